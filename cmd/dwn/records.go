package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/client"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
)

const defaultEndpoint = "http://127.0.0.1:3000"

// allRecordsFrom is the dateCreated lower bound of a query given no filter flag: every
// record matches it (the reference requires at least one filter property).
const allRecordsFrom = "1970-01-01T00:00:00.000000Z"

// conn holds the flags every record command takes.
type conn struct {
	endpoint string
	identity string
	target   string
	grants   *grantFlags // nil unless registerGrants was called
}

func (c *conn) register(fs *flagSet, e *env) {
	c.registerOwn(fs, e)
	fs.StringVar(&c.target, "target", "", "DID of the tenant whose DWN is addressed (default: the identity's DID)")
}

// registerOwn registers --endpoint and --identity, for commands that address the
// identity's own DWN only.
func (c *conn) registerOwn(fs *flagSet, e *env) {
	def := e.getenv("DWN_ENDPOINT")
	if def == "" {
		def = defaultEndpoint
	}
	fs.StringVar(&c.endpoint, "endpoint", def, "DWN URL; $DWN_ENDPOINT sets the default")
	fs.StringVar(&c.identity, "identity", "", "identity file (default $DWN_IDENTITY, else ~/.dwn/identity.json)")
}

// registerGrants registers --grant and --delegated-grant: the session's messages then
// invoke the grant (session.opts).
func (c *conn) registerGrants(fs *flagSet) {
	c.grants = &grantFlags{}
	c.grants.register(fs)
}

// session is a connection to a DWN on behalf of an identity.
type session struct {
	cl       *client.Client
	endpoint string
	id       *identity // nil for an anonymous session without identity
	target   string
	signer   jws.Signer // nil when anonymous

	// opts invoke the grant of --grant or --delegated-grant in the messages the
	// command is about; grantFlag names that flag for hints ("" without a grant).
	opts      []builder.Option
	grantFlag string
	// lookupWithout is set on the session of a lookup (see lookup) made without the
	// grant of this flag.
	lookupWithout string
}

// open checks the flags and loads the identity. An anonymous session signs nothing and
// needs the identity only to default --target.
func (c *conn) open(e *env, cmd string, anonymous bool) (*session, error) {
	if err := checkEndpoint(c.endpoint); err != nil {
		return nil, usageError(cmd, err)
	}
	if anonymous && c.grants.used() {
		return nil, usageError(cmd, errors.New("--anonymous messages are unsigned and cannot invoke a grant: drop --anonymous or the grant flag"))
	}
	s := &session{cl: client.New(c.endpoint), endpoint: c.endpoint, target: c.target}
	if anonymous && c.target != "" {
		return s, nil
	}
	path, err := identityPath(e, c.identity)
	if err != nil {
		return nil, err
	}
	id, err := loadIdentity(e, path)
	if err != nil {
		if anonymous {
			return nil, withHint(err, "or name the tenant to read anonymously with --target DID")
		}
		return nil, err
	}
	s.id = id
	if err := c.grants.apply(s, cmd); err != nil {
		return nil, err
	}
	if s.target == "" {
		s.target = id.DID
	}
	if !anonymous {
		s.signer = id.signer()
	}
	return s, nil
}

// checkEndpoint accepts http and https URLs with a host.
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--endpoint %q is not an http(s) URL such as %s", endpoint, defaultEndpoint)
	}
	return nil
}

// send sends a message and turns transport failures into errors with hints.
func (s *session) send(ctx context.Context, msg []byte, data io.Reader, size int64) (*client.Reply, io.ReadCloser, error) {
	rep, rc, err := s.cl.Send(ctx, s.target, msg, data, size)
	if err != nil {
		return nil, nil, transportError(err, s.endpoint)
	}
	return rep, rc, nil
}

// do sends a message, discards any data in the reply and checks the reply's status;
// op names what was attempted, as for checkStatus. The reply is returned with a status
// error too.
func (s *session) do(ctx context.Context, msg []byte, data io.Reader, size int64, op string) (*client.Reply, error) {
	rep, rc, err := s.send(ctx, msg, data, size)
	if err != nil {
		return nil, err
	}
	if rc != nil {
		rc.Close()
	}
	return rep, s.checkStatus(rep, op)
}

// transportError explains a failure to get a DWN reply.
func transportError(err error, endpoint string) error {
	var rpc *client.RPCError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted")
	case errors.Is(err, syscall.ECONNREFUSED):
		return withHint(fmt.Errorf("cannot connect to the DWN at %s: connection refused", endpoint),
			"is dwnd running? start it with: go run ./cmd/dwnd",
			"or point --endpoint (or DWN_ENDPOINT) at a running DWN")
	case errors.As(err, &dnsErr):
		return withHint(fmt.Errorf("cannot find the DWN host of %s: %v", endpoint, dnsErr),
			"check the host name in --endpoint (or DWN_ENDPOINT)")
	case errors.As(err, &netErr) && netErr.Timeout():
		return withHint(fmt.Errorf("the DWN at %s did not answer in time: %v", endpoint, err),
			"check that the server is up and reachable")
	case errors.As(err, &rpc):
		return withHint(fmt.Errorf("the DWN at %s failed the request: %v", endpoint, rpc),
			"the server could not process the message; its log says why")
	case strings.Contains(err.Error(), "not JSON-RPC"):
		return withHint(err, "is "+endpoint+" a DWN? --endpoint must be the root URL of a DWN server")
	}
	return withHint(err, "check --endpoint (or DWN_ENDPOINT) and that the DWN is reachable")
}

// statusError is a DWN reply whose status is not 2xx.
type statusError struct {
	Code   int    // the reply's status.code
	Detail string // the reply's status.detail
}

func (e *statusError) Error() string { return fmt.Sprintf("DWN status %d: %s", e.Code, e.Detail) }

// checkStatus returns nil for a 2xx reply and otherwise an error with hints; op names
// what was attempted ("write", "read RECORDID").
func (s *session) checkStatus(rep *client.Reply, op string) error {
	c := rep.Status.Code
	if c >= 200 && c < 300 {
		return nil
	}
	serr := &statusError{Code: c, Detail: rep.Status.Detail}
	err := fmt.Errorf("%s: %w", op, serr)
	return withHint(err, statusHints(serr, rep, s)...)
}

// statusHints says what a DWN status means and what to do.
func statusHints(e *statusError, rep *client.Reply, s *session) []string {
	d := e.Detail
	if h := grantHint(d); h != "" {
		return []string{h}
	}
	has := func(code string) bool { return strings.Contains(d, code) }
	switch e.Code {
	case 400:
		switch {
		case has("RecordsWriteNotAllowedAfterDelete"):
			return []string{"the record was deleted; write a new record with: dwn write"}
		case has("RecordsWriteImmutablePropertyChanged"):
			return []string{"schema, recipient, protocol and dateCreated cannot change in an update"}
		case has("RecordsWriteDataCidMismatch"), has("RecordsWriteDataSizeMismatch"):
			return []string{"the data changed while it was sent; try again"}
		case has("RecordsQueryParseFilterPublishedSortInvalid"):
			return []string{"sorting by publication needs --published true"}
		case has("RecordsWriteGetInitialWriteNotFound"):
			return []string{"the DWN does not have this record's initial write; check the record ID"}
		case has("DataSchemaMismatch"):
			return []string{"the data does not match the JSON Schema the DWN enforces for the record's --schema; fix the value at the JSON Pointer in the detail"}
		case has("DataSchemaInvalidData"):
			return []string{"the DWN checks this record's data against a JSON Schema, and the data is not valid JSON"}
		case has("DataSchemaInvalid"):
			return []string{"the DWN could not use this schema: it must be valid JSON Schema, refer to no other URL, and its $id (if any) must be the uri tag"}
		case has("DataSchemaDataTooLarge"):
			return []string{"the DWN validates data against its JSON Schema only up to a size limit (dwnd --max-schema-data-size)"}
		}
		return []string{"the DWN rejected the message as invalid (400); the detail names the rule it breaks"}
	case 401:
		switch {
		case has("registered tenant"), has("terms-of-service"):
			return []string{"the DWN serves registered tenants only; register " + s.target + " with its operator"}
		case s.signer == nil:
			return []string{"anonymous requests see published records only; drop --anonymous to sign as " + s.idDID()}
		case s.id != nil && s.target != s.id.DID && s.lookupWithout != "":
			return []string{"this read is sent as your own identity, without " + s.lookupWithout + ", and the DWN of " +
				s.target + " does not let you read the record yourself"}
		case s.id != nil && s.target != s.id.DID && s.grantFlag != "":
			return []string{"the DWN of " + s.target + " refused this despite " + s.grantFlag + ": the grant does not cover it",
				"(a DWN ignores --grant, though not --delegated-grant, on delete, and on query, which lists what you may see anyway)"}
		case s.id != nil && s.target != s.id.DID:
			return []string{"your identity " + s.id.DID + " may not do this on the DWN of " + s.target,
				"if " + s.target + " gave you a permission grant, invoke it with --grant ID (the grantor lists grants with: dwn grant list)",
				"drop --target to address your own DWN"}
		}
		return []string{"the DWN did not accept your signature (401); check --identity, and that the DWN can resolve your DID"}
	case 404:
		if bytes.Contains(rep.Entry, []byte(`"recordsDelete"`)) {
			return []string{"the record was deleted (404); list the live records with: dwn query"}
		}
		return []string{"no such record on the DWN of " + s.target + " (404: deleted, or never written); list records with: dwn query",
			"check the record ID, --target and --endpoint"}
	case 409:
		return []string{"the DWN already has this message or a newer one for the record (409 Conflict)",
			"see the current version with: dwn query --record-id RECORDID; for an update, run dwn update again"}
	case 413:
		return []string{"the data is larger than the DWN accepts (413)"}
	case 501:
		return []string{"the DWN does not implement this (501)"}
	}
	if e.Code >= 500 {
		return []string{fmt.Sprintf("the DWN failed (%d); its log says why", e.Code)}
	}
	return nil
}

func (s *session) idDID() string {
	if s.id == nil {
		return "your identity"
	}
	return s.id.DID
}

// writeFlags are the flags of write and update.
type writeFlags struct {
	schema     string
	dataFormat string
	recipient  string
	published  bool
	tags       tagFlag
}

func (w *writeFlags) register(fs *flagSet) {
	fs.StringVar(&w.schema, "schema", "", "schema URI of the record (normalized: example.com/x becomes http://example.com/x)")
	fs.StringVar(&w.dataFormat, "data-format", "", "MIME type of the data (default application/octet-stream)")
	fs.StringVar(&w.recipient, "recipient", "", "DID of the record's recipient")
	fs.BoolVar(&w.published, "published", false, "publish the record: anyone may read it")
	fs.Var(&w.tags, "tag", "tag `KEY=VALUE`, repeatable; VALUE is JSON if it is a number, boolean, quoted string or array")
}

// dataSource is record data ready to send: a file positioned at its start, with the
// dataCid and size computed in a first pass.
type dataSource struct {
	f       *os.File
	cid     string
	size    int64
	cleanup func()
}

// openData opens a file ("-": standard input, spooled to a temporary file) and computes
// its dataCid by reading it once.
func openData(ctx context.Context, e *env, name string) (*dataSource, error) {
	var src io.Reader
	if name == "-" {
		src = e.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, withHint(err, "give a readable FILE, or - to read standard input")
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		if st.IsDir() {
			f.Close()
			return nil, withHint(fmt.Errorf("%s is a directory", name), "give a file, or - to read standard input")
		}
		if st.Mode().IsRegular() {
			c, n, err := importer.Import(ctx, f, importer.Discard)
			if err == nil {
				_, err = f.Seek(0, io.SeekStart)
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			return &dataSource{f: f, cid: c.String(), size: n, cleanup: func() { f.Close() }}, nil
		}
		defer f.Close()
		src = f // a pipe or device: spool it like standard input
	}
	tmp, err := os.CreateTemp("", "dwn-data-*")
	if err != nil {
		return nil, err
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	c, n, err := importer.Import(ctx, io.TeeReader(src, tmp), importer.Discard)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return &dataSource{f: tmp, cid: c.String(), size: n, cleanup: cleanup}, nil
}

func cmdWrite(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "write", "[flags] FILE|-",
		"Writes a new record with the data of FILE (- for standard input) and prints its recordId.")
	var c conn
	c.register(fs, e)
	c.registerGrants(fs)
	var w writeFlags
	w.register(fs)
	protocolFlag := fs.String("protocol", "", "write the record in this protocol (installed with dwn protocol configure)")
	protocolPath := fs.String("protocol-path", "", "the record's `PATH` in the protocol, e.g. thread/message (default: the last segment of the path is the type)")
	parent := fs.String("parent", "", "recordId of the parent record, for a record below the root of its protocol")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("write", errors.New("write needs one FILE (or - for standard input)"))
	}
	schema, err := normalizeFlagURI("schema", w.schema)
	if err != nil {
		return usageError("write", err)
	}
	protocol, err := normalizeFlagURI("protocol", *protocolFlag)
	if err != nil {
		return usageError("write", err)
	}
	if (protocol == "") != (*protocolPath == "") {
		return usageError("write", errors.New("--protocol and --protocol-path go together"))
	}
	if *parent != "" && protocol == "" {
		return usageError("write", errors.New("--parent needs --protocol and --protocol-path"))
	}
	s, err := c.open(e, "write", false)
	if err != nil {
		return err
	}
	parentContext := ""
	if *parent != "" {
		if parentContext, err = s.contextOf(ctx, *parent); err != nil {
			return err
		}
	}
	src, err := openData(ctx, e, pos[0])
	if err != nil {
		return err
	}
	defer src.cleanup()
	msg, err := builder.RecordsWrite(builder.Write{
		DataCID: src.cid, DataSize: src.size, DataFormat: w.dataFormat, Schema: schema,
		Recipient: w.recipient, Tags: w.tags.tags, Published: w.published,
		Protocol: protocol, ProtocolPath: *protocolPath, ParentID: *parent, ParentContext: parentContext,
	}, s.signer, s.opts...)
	if err != nil {
		return err
	}
	rep, err := s.do(ctx, msg.JSON, src.f, src.size, "write")
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, msg.RecordID)
	printStatus(e, rep)
	return nil
}

// contextOf reads a record as the identity and returns its contextId.
func (s *session) contextOf(ctx context.Context, recordID string) (string, error) {
	en, err := s.lookup(ctx, recordID, "read parent "+recordID)
	if err != nil {
		return "", err
	}
	ctxID, _ := en.RecordsWrite["contextId"].(string)
	if ctxID == "" {
		return "", withHint(fmt.Errorf("parent %s is not a protocol record", recordID), "give the recordId of a record written with --protocol")
	}
	return ctxID, nil
}

// lookup reads a record's writes (not its data) as the identity itself, without the
// session's grant, as update and write --parent do before their message; op names the
// read for errors.
func (s *session) lookup(ctx context.Context, recordID, op string) (*readEntry, error) {
	msg, err := builder.RecordsRead(recordID, s.signer)
	if err != nil {
		return nil, err
	}
	own := *s
	own.opts, own.grantFlag, own.lookupWithout = nil, "", s.grantFlag
	rep, err := own.do(ctx, msg.JSON, nil, 0, op)
	if err != nil {
		return nil, err
	}
	return decodeEntry(rep.Entry)
}

func printStatus(e *env, rep *client.Reply) {
	fmt.Fprintf(e.stderr, "status: %d %s\n", rep.Status.Code, rep.Status.Detail)
	if rep.Status.Code == 204 {
		fmt.Fprintln(e.stderr, "note: the DWN stored the record without data; it is not readable until written with data")
	}
}

// readEntry is the entry of a RecordsRead reply.
type readEntry struct {
	RecordsWrite  map[string]any `json:"recordsWrite"`
	InitialWrite  map[string]any `json:"initialWrite"`
	RecordsDelete map[string]any `json:"recordsDelete"`
}

func decodeEntry(raw json.RawMessage) (*readEntry, error) {
	var en readEntry
	if len(raw) == 0 {
		return &en, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&en); err != nil {
		return nil, fmt.Errorf("the DWN's reply entry is not valid: %v", err)
	}
	return &en, nil
}

func descriptorOf(m map[string]any) map[string]any {
	d, _ := m["descriptor"].(map[string]any)
	return d
}

func cmdUpdate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "update", "RECORDID [flags] [FILE|-]",
		"Writes a newer version of a record you own: new data from FILE (- for standard input) or the\n"+
			"current data, the given tags (else the current ones) and publication state (else the current one).")
	var c conn
	c.register(fs, e)
	c.registerGrants(fs)
	var w writeFlags
	w.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageError("update", errors.New("update needs RECORDID and at most one FILE (or -)"))
	}
	recordID := pos[0]
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	s, err := c.open(e, "update", false)
	if err != nil {
		return err
	}

	// Find the initial and latest writes.
	en, err := s.lookup(ctx, recordID, "read "+recordID)
	if err != nil {
		return err
	}
	latest := en.RecordsWrite
	if latest == nil || descriptorOf(latest) == nil {
		return errors.New("the DWN's RecordsRead reply has no recordsWrite")
	}
	initial := en.InitialWrite
	if initial == nil {
		initial = latest
	}
	ld := descriptorOf(latest)
	id := descriptorOf(initial)
	if id == nil {
		return errors.New("the DWN's RecordsRead reply has an initialWrite without descriptor")
	}
	for _, f := range []struct{ flag, key, value string }{
		{"schema", "schema", w.schema}, {"recipient", "recipient", w.recipient},
	} {
		if !set[f.flag] {
			continue
		}
		v := f.value
		if f.flag == "schema" {
			if v, err = normalizeFlagURI("schema", v); err != nil {
				return usageError("update", err)
			}
		}
		if old, _ := id[f.key].(string); old != v {
			return usageError("update", fmt.Errorf("--%s cannot change in an update (the record has %q)", f.flag, old))
		}
	}

	nw := builder.Write{DataFormat: w.dataFormat, Published: w.published}
	if nw.DataFormat == "" {
		nw.DataFormat, _ = ld["dataFormat"].(string)
	}
	if set["tag"] {
		nw.Tags = w.tags.tags
	} else if t, ok := ld["tags"].(map[string]any); ok {
		nw.Tags = maps.Clone(t)
	}
	if !set["published"] {
		nw.Published, _ = ld["published"].(bool)
	}
	if nw.Published {
		if dp, ok := ld["datePublished"].(string); ok {
			if t, err := time.Parse(dwn.DateTimeLayout, dp); err == nil {
				nw.DatePublished = t
			}
		}
	}
	// The update must be strictly newer than the latest write, even if clocks are coarse.
	nw.Time = time.Now().UTC().Truncate(time.Microsecond)
	if ts, ok := ld["messageTimestamp"].(string); ok {
		if t, err := time.Parse(dwn.DateTimeLayout, ts); err == nil && !nw.Time.After(t) {
			nw.Time = t.Add(time.Microsecond)
		}
	}
	var body io.Reader
	var size int64
	if len(pos) == 2 {
		src, err := openData(ctx, e, pos[1])
		if err != nil {
			return err
		}
		defer src.cleanup()
		nw.DataCID, nw.DataSize, body, size = src.cid, src.size, src.f, src.size
	} else {
		nw.DataCID, _ = ld["dataCid"].(string)
		nw.DataSize, err = int64Of(ld["dataSize"])
		if err != nil || nw.DataCID == "" {
			return errors.New("the record's latest write has no valid dataCid and dataSize")
		}
	}
	msg, err := builder.Update(initial, nw, s.signer, s.opts...)
	if err != nil {
		return err
	}
	rep, err := s.do(ctx, msg.JSON, body, size, "update "+recordID)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, msg.RecordID)
	printStatus(e, rep)
	return nil
}

func int64Of(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Int64()
	case float64:
		return int64(x), nil
	}
	return 0, fmt.Errorf("not a number: %v", v)
}

func cmdQuery(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "query", "[flags]",
		"Prints the records matching the filter flags, one JSON entry per line, and the cursor of the\n"+
			"next page, if any, on standard error. With no filter flag it lists every record.")
	var c conn
	c.register(fs, e)
	c.registerGrants(fs)
	var q queryFlags
	q.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("query", fmt.Errorf("unexpected argument %q (filters are flags, such as --record-id)", pos[0]))
	}
	bq, err := q.build()
	if err != nil {
		return usageError("query", err)
	}
	s, err := c.open(e, "query", q.anonymous)
	if err != nil {
		return err
	}
	cursor, err := s.query(ctx, bq, q.all, func(en json.RawMessage) error {
		line, err := formatEntry(en, q.withData)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", line)
		return nil
	})
	if err != nil {
		return err
	}
	if cursor != "" {
		fmt.Fprintf(e.stderr, "cursor: %s\n", cursor)
	}
	return nil
}

// query sends the RecordsQuery bq (with the session's grant) and calls each for every
// entry. With all it follows cursors to the last page; otherwise it stops after the
// first page and returns the cursor of the next one, if any, as compact JSON.
func (s *session) query(ctx context.Context, bq builder.Query, all bool, each func(json.RawMessage) error) (string, error) {
	var prev string
	for {
		msg, err := builder.RecordsQuery(bq, s.signer, s.opts...)
		if err != nil {
			return "", err
		}
		rep, err := s.do(ctx, msg.JSON, nil, 0, "query")
		if err != nil {
			return "", err
		}
		for _, en := range rep.Entries {
			if err := each(en); err != nil {
				return "", err
			}
		}
		cur := bytes.TrimSpace(rep.Cursor)
		if len(cur) == 0 || string(cur) == "null" {
			return "", nil
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, cur); err != nil {
			return "", fmt.Errorf("the DWN returned an invalid cursor: %v", err)
		}
		if !all {
			return compact.String(), nil
		}
		if compact.String() == prev {
			return "", errors.New("the DWN returned the same cursor twice; stopping")
		}
		prev = compact.String()
		if bq.Cursor, err = parseCursor(compact.String()); err != nil {
			return "", fmt.Errorf("the DWN returned an invalid cursor: %v", err)
		}
	}
}

// queryFlags are the flags of query.
type queryFlags struct {
	schema, recordID, protocol, protocolPath string
	author                                   string
	published, sort, cursor                  string
	tags                                     tagFlag
	limit                                    int
	all, withData, anonymous                 bool
}

var sorts = []string{"createdAscending", "createdDescending", "publishedAscending", "publishedDescending"}

func (q *queryFlags) register(fs *flagSet) {
	fs.StringVar(&q.schema, "schema", "", "only records with this schema URI")
	fs.StringVar(&q.recordID, "record-id", "", "only the record with this recordId")
	fs.StringVar(&q.author, "author", "", "only records authored by this `DID` (a delegate's records are its grantor's)")
	fs.StringVar(&q.protocol, "protocol", "", "only records of this protocol URI")
	fs.StringVar(&q.protocolPath, "protocol-path", "", "only records at this protocol path")
	fs.Var(&q.tags, "tag", "only records with tag `KEY=VALUE`, repeatable (VALUE as for write)")
	fs.StringVar(&q.published, "published", "", "only published (true) or unpublished (false) records")
	fs.StringVar(&q.sort, "sort", "", "order: "+strings.Join(sorts, ", ")+" (default createdAscending)")
	fs.IntVar(&q.limit, "limit", 0, "at most N entries per page (default: no limit)")
	fs.StringVar(&q.cursor, "cursor", "", "continue after this cursor `JSON` (printed by a previous query)")
	fs.BoolVar(&q.all, "all", false, "follow cursors to the last page")
	fs.BoolVar(&q.withData, "with-data", false, "keep the encodedData of small records in the entries")
	fs.BoolVar(&q.anonymous, "anonymous", false, "send an unsigned query: see published records only")
}

// build turns the flags into a RecordsQuery.
func (q *queryFlags) build() (builder.Query, error) {
	var bq builder.Query
	f := map[string]any{}
	var err error
	if q.schema != "" {
		if f["schema"], err = normalizeFlagURI("schema", q.schema); err != nil {
			return bq, err
		}
	}
	if q.protocol != "" {
		if f["protocol"], err = normalizeFlagURI("protocol", q.protocol); err != nil {
			return bq, err
		}
	}
	if q.recordID != "" {
		f["recordId"] = q.recordID
	}
	if q.author != "" {
		f["author"] = q.author
	}
	if q.protocolPath != "" {
		f["protocolPath"] = q.protocolPath
	}
	if len(q.tags.tags) > 0 {
		f["tags"] = q.tags.tags
	}
	switch q.published {
	case "":
	case "true", "false":
		f["published"] = q.published == "true"
	default:
		return bq, fmt.Errorf("--published %q: use true or false", q.published)
	}
	if len(f) == 0 {
		f["dateCreated"] = map[string]any{"from": allRecordsFrom}
	}
	bq.Filter = f
	if q.sort != "" {
		ok := false
		for _, s := range sorts {
			ok = ok || s == q.sort
		}
		if !ok {
			return bq, fmt.Errorf("--sort %q: use one of %s", q.sort, strings.Join(sorts, ", "))
		}
		bq.DateSort = q.sort
	}
	if q.limit < 0 {
		return bq, fmt.Errorf("--limit %d: must be positive", q.limit)
	}
	bq.Limit = q.limit
	if q.cursor != "" {
		if bq.Cursor, err = parseCursor(q.cursor); err != nil {
			return bq, fmt.Errorf("--cursor: %v", err)
		}
	}
	if q.anonymous && q.published == "false" {
		return bq, errors.New("--anonymous queries see published records only; drop --published false or --anonymous")
	}
	return bq, nil
}

// parseCursor decodes a cursor printed by query: {"messageCid":…,"value":…}.
func parseCursor(s string) (*dwn.Cursor, error) {
	var c dwn.Cursor
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf(`want {"messageCid":"…","value":…}: %v`, err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the cursor")
	}
	if c.MessageCID == "" || c.Value == nil {
		return nil, errors.New(`want {"messageCid":"…","value":…} with both members`)
	}
	return &c, nil
}

// formatEntry re-encodes a query entry on one line, without encodedData unless withData.
func formatEntry(raw json.RawMessage, withData bool) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("the DWN returned an invalid entry: %v", err)
	}
	if !withData {
		delete(m, "encodedData")
	}
	return json.Marshal(m)
}

func cmdRead(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "read", "RECORDID [-o FILE] [flags]",
		"Writes a record's data to standard output or FILE, checking it against the record's dataCid.")
	var c conn
	c.register(fs, e)
	c.registerGrants(fs)
	out := fs.String("o", "", "write the data to `FILE` instead of standard output")
	anonymous := fs.Bool("anonymous", false, "send an unsigned read: works for published records only")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("read", errors.New("read needs one RECORDID"))
	}
	recordID := pos[0]
	s, err := c.open(e, "read", *anonymous)
	if err != nil {
		return err
	}
	msg, err := builder.RecordsRead(recordID, s.signer, s.opts...)
	if err != nil {
		return err
	}
	rep, rc, err := s.send(ctx, msg.JSON, nil, 0)
	if err != nil {
		return err
	}
	if rc != nil {
		defer rc.Close()
	}
	if rep.Status.Code == 404 {
		se := &statusError{Code: 404, Detail: rep.Status.Detail}
		return withHint(fmt.Errorf("record %s not found: %w", recordID, se), statusHints(se, rep, s)...)
	}
	if err := s.checkStatus(rep, "read "+recordID); err != nil {
		return err
	}
	en, err := decodeEntry(rep.Entry)
	if err != nil {
		return err
	}
	want, _ := descriptorOf(en.RecordsWrite)["dataCid"].(string)
	var data io.Reader = rc
	if rc == nil {
		data = bytes.NewReader(nil)
	}
	var w io.Writer = e.stdout
	var f *os.File
	if *out != "" && *out != "-" {
		if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666); err != nil {
			return err
		}
		w = f
	}
	fail := func(err error) error {
		if f != nil {
			f.Close()
			os.Remove(*out)
		}
		return err
	}
	// Stream the data out while computing its CID, to check it against the record.
	got, _, err := importer.Import(ctx, io.TeeReader(data, w), importer.Discard)
	if err != nil {
		return fail(fmt.Errorf("read %s: %w", recordID, err))
	}
	if want != "" && got.String() != want {
		return fail(withHint(fmt.Errorf("the data the DWN sent for %s does not match the record's dataCid (got %s, want %s)",
			recordID, got, want), "do not trust this DWN's copy of the data; try again or ask its operator"))
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fail(err)
		}
	}
	return nil
}

func cmdDelete(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "delete", "RECORDID [--prune] [flags]", "Deletes a record.")
	var c conn
	c.register(fs, e)
	c.registerGrants(fs)
	prune := fs.Bool("prune", false, "also delete the record's descendants (protocol child records)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("delete", errors.New("delete needs one RECORDID"))
	}
	s, err := c.open(e, "delete", false)
	if err != nil {
		return err
	}
	msg, err := builder.RecordsDelete(pos[0], *prune, time.Time{}, s.signer, s.opts...)
	if err != nil {
		return err
	}
	rep, err := s.do(ctx, msg.JSON, nil, 0, "delete "+pos[0])
	if err != nil {
		return err
	}
	printStatus(e, rep)
	return nil
}

// decodeJSONScalar decodes s if it is one JSON number, boolean, string or array.
func decodeJSONScalar(s string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	switch v.(type) {
	case json.Number, bool, string, []any:
		return v, true
	}
	return nil, false
}

var hasScheme = regexp.MustCompile(`^[^:]+:(//)?[^/].*`)

// normalizeURI normalizes a schema or protocol URI as the reference client does: add
// http:// when there is no scheme, drop the query and fragment, lower-case the host of
// http(s) URLs and drop their default port, and drop one trailing slash.
func normalizeURI(s string) (string, error) {
	if !hasScheme.MatchString(s) {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("%q is not a URI", s)
	}
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	if u.Scheme == "http" || u.Scheme == "https" {
		if u.Host == "" {
			return "", fmt.Errorf("%q has no host", s)
		}
		u.Host = strings.ToLower(u.Host)
		if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
			u.Host = strings.TrimSuffix(u.Host, ":"+p)
		}
		if u.Path == "" {
			u.Path = "/"
		}
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func normalizeFlagURI(flagName, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	n, err := normalizeURI(v)
	if err != nil {
		return "", fmt.Errorf("--%s: %v", flagName, err)
	}
	return n, nil
}
