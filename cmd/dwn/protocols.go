package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
)

func cmdProtocol(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErrorf("protocol needs a subcommand: configure or query")
	}
	switch args[0] {
	case "configure":
		return cmdProtocolConfigure(ctx, e, args[1:])
	case "query":
		return cmdProtocolQuery(ctx, e, args[1:])
	case "-h", "-help", "--help":
		fmt.Fprintln(e.stdout, "usage: dwn protocol configure [flags] FILE   install the protocol definition in FILE (JSON)")
		fmt.Fprintln(e.stdout, "       dwn protocol query [flags] [URI]      list installed definitions, one JSON per line")
		fmt.Fprintln(e.stdout, "\nRun 'dwn protocol configure -h' or 'dwn protocol query -h' for their flags.")
		return nil
	}
	return usageErrorf("unknown protocol subcommand %q: use configure or query", args[0])
}

func cmdProtocolConfigure(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "protocol configure", "[flags] FILE",
		"Installs (or replaces) the protocol definition in FILE, a JSON object with protocol,\n"+
			"published, types and structure (dwn-protocol.md §7.1). The protocol and schema URIs\n"+
			"are normalized as the reference client does.")
	var c conn
	c.register(fs, e)
	c.registerGrants(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("protocol configure", errors.New("protocol configure needs one FILE with the definition"))
	}
	raw, err := os.ReadFile(pos[0])
	if err != nil {
		return withHint(err, "give the path of a JSON file holding the protocol definition")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var def map[string]any
	if err := dec.Decode(&def); err != nil || def == nil {
		return withHint(fmt.Errorf("%s is not a JSON object: %v", pos[0], err),
			`a definition looks like {"protocol":"https://example.com/p","published":true,"types":{...},"structure":{...}}`)
	}
	if err := normalizeDefinition(def); err != nil {
		return usageError("protocol configure", err)
	}
	s, err := c.open(e, "protocol configure", false)
	if err != nil {
		return err
	}
	msg, err := builder.ProtocolsConfigure(def, time.Time{}, s.signer, s.opts...)
	if err != nil {
		return err
	}
	rep, err := s.do(ctx, msg.JSON, nil, 0, "protocol configure")
	if err != nil {
		if rep != nil && rep.Status.Code == 409 {
			return withHint(err, "a newer configuration of this protocol is installed already")
		}
		return err
	}
	fmt.Fprintln(e.stdout, def["protocol"])
	printStatus(e, rep)
	return nil
}

// normalizeDefinition normalizes the protocol URI and the types' schema URIs in place,
// as the reference's ProtocolsConfigure.create does.
func normalizeDefinition(def map[string]any) error {
	p, ok := def["protocol"].(string)
	if !ok {
		return errors.New(`the definition has no "protocol" string`)
	}
	n, ok := dwn.NormalizeURL(p)
	if !ok {
		return fmt.Errorf("protocol %q is not a URI", p)
	}
	def["protocol"] = n
	types, _ := def["types"].(map[string]any)
	for name, t := range types {
		tm, _ := t.(map[string]any)
		if sc, ok := tm["schema"].(string); ok {
			n, ok := dwn.NormalizeURL(sc)
			if !ok {
				return fmt.Errorf("schema %q of type %s is not a URI", sc, name)
			}
			tm["schema"] = n
		}
	}
	return nil
}

func cmdProtocolQuery(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "protocol query", "[flags] [URI]",
		"Prints the installed protocol definitions (one ProtocolsConfigure message per line), or\n"+
			"the one of URI. Others than the tenant, and --anonymous, see published ones only.")
	var c conn
	c.register(fs, e)
	c.registerGrants(fs)
	anonymous := fs.Bool("anonymous", false, "send an unsigned query: see published definitions only")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError("protocol query", fmt.Errorf("unexpected argument %q", pos[1]))
	}
	if c.grants.file != "" {
		return withHint(usageError("protocol query", errors.New("a ProtocolsQuery cannot carry a delegated grant (the DWN's message schema has no authorDelegatedGrant for it)")),
			"ask the grantor for a Protocols:Query grant and invoke it with --grant ID --target GRANTOR")
	}
	protocol := ""
	if len(pos) == 1 {
		n, ok := dwn.NormalizeURL(pos[0])
		if !ok {
			return usageError("protocol query", fmt.Errorf("%q is not a URI", pos[0]))
		}
		protocol = n
	}
	s, err := c.open(e, "protocol query", *anonymous)
	if err != nil {
		return err
	}
	signer := s.signer
	if *anonymous {
		signer = nil
	}
	msg, err := builder.ProtocolsQuery(protocol, time.Time{}, signer, s.opts...)
	if err != nil {
		return err
	}
	rep, err := s.do(ctx, msg.JSON, nil, 0, "protocol query")
	if err != nil {
		return err
	}
	for _, en := range rep.Entries {
		fmt.Fprintf(e.stdout, "%s\n", en)
	}
	if len(rep.Entries) == 0 {
		fmt.Fprintln(e.stderr, "no protocol definitions (install one with: dwn protocol configure FILE)")
	}
	return nil
}
