// Command dwnd is the dwn-ipfs Decentralized Web Node server.
//
// Usage:
//
//	dwnd [--listen ADDR] [--data DIR] [flags]
//
// Every flag can also be set with an environment variable: DWND_ plus the flag name in
// upper case with dashes as underscores (DWND_LISTEN, DWND_DATA, DWND_MAX_DATA_SIZE, …).
// Flags win over the environment. dwnd prints the address it listens on when ready and
// shuts down cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/node"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/server"
	"github.com/dwn-ipfs/dwn-ipfs/schemas/dataschema"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dwnd:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var cfg server.Config
	var logLevel string
	var tenants, gateways string
	fs := flag.NewFlagSet("dwnd", flag.ContinueOnError)
	fs.StringVar(&cfg.Listen, "listen", server.DefaultListen, "TCP address to listen on")
	fs.StringVar(&cfg.DataDir, "data", server.DefaultDataDir, "directory for the database")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "public URL reported by /info (default http://<listen address>)")
	fs.Int64Var(&cfg.Node.MaxDataSize, "max-data-size", node.DefaultMaxDataSize, "largest record data in bytes")
	fs.IntVar(&cfg.Node.MaxMessageSize, "max-message-size", node.DefaultMaxMessageSize, "largest message JSON in bytes")
	fs.IntVar(&cfg.Node.MaxNesting, "max-nesting", node.DefaultMaxNesting, "deepest nesting of objects and arrays in a message")
	fs.IntVar(&cfg.Node.MaxTags, "max-tags", node.DefaultMaxTags, "most tags on a record (at most 10, the reference's limit)")
	fs.IntVar(&cfg.Node.MaxQueryLimit, "max-query-limit", 0, "cap on RecordsQuery page size (0: no cap, as the reference)")
	fs.IntVar(&cfg.MaxHeaderBytes, "max-header-bytes", server.DefaultMaxHeaderBytes, "largest HTTP request header (the dwn-request header) in bytes")
	fs.IntVar(&cfg.MaxRequestHeader, "max-request-header", server.DefaultMaxRequestHeader, "largest dwn-request header (the JSON-RPC request) in bytes")
	fs.StringVar(&cfg.IPFSAPI, "ipfs-api", "", "RPC API URL of the Kubo node that keeps record data over 30000 bytes, e.g. http://127.0.0.1:5001 (default: files under --data)")
	fs.StringVar(&gateways, "gateways", "", "comma-separated trustless IPFS HTTP gateways that reads fall back to after the Kubo node (every block is verified), e.g. https://trustless-gateway.link")
	fs.StringVar(&cfg.MasterKeyFile, "master-key-file", "", "file of the master keys that encrypt unpublished data in IPFS and the database at rest; created (0600) on first start (default <data>/keys/master.json; used with --ipfs-api, or when set; DWND_MASTER_KEY=<base64 of 32 bytes> gives the key itself)")
	fs.StringVar(&cfg.Node.DataSchemaDir, "data-schemas", "", "directory of JSON Schemas (*.json, known by $id) that record data with a matching schema and dataFormat application/json must match (off by default)")
	fs.BoolVar(&cfg.Node.TenantSchemas, "tenant-schemas", false, "let tenants install JSON Schemas for their own records (built-in schema protocol; off by default)")
	fs.Int64Var(&cfg.Node.MaxSchemaDataSize, "max-schema-data-size", dataschema.DefaultMaxDataBytes, "largest record data validated against a JSON Schema, in bytes")
	fs.StringVar(&tenants, "tenants", "", "comma-separated DIDs: serve only these tenants (default: any tenant)")
	fs.Int64Var(&cfg.MemoryLimit, "memory-limit", server.DefaultMemoryLimit, "soft limit of the Go heap in bytes (negative: none; GOMEMLIMIT wins)")
	fs.StringVar(&cfg.DebugListen, "debug-listen", "", "serve Go pprof profiles on this address (loopback only; off by default)")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: dwnd [flags]\n\nRuns a Decentralized Web Node on the given address.\nEvery flag can also be set as DWND_<FLAG> in the environment (for example DWND_LISTEN).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	if err := applyEnv(fs); err != nil {
		return err
	}
	cfg.MasterKey = os.Getenv("DWND_MASTER_KEY")
	for _, g := range strings.Split(gateways, ",") {
		if g = strings.TrimSpace(g); g != "" {
			if u, err := url.Parse(g); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("--gateways: %q is not an http(s) URL", g)
			}
			cfg.Gateways = append(cfg.Gateways, g)
		}
	}
	if len(cfg.Gateways) > 0 && cfg.IPFSAPI == "" {
		return fmt.Errorf("--gateways needs --ipfs-api: without Kubo, record data is in files under --data")
	}
	if tenants != "" {
		for _, t := range strings.Split(tenants, ",") {
			if t = strings.TrimSpace(t); t != "" {
				cfg.Node.AllowedTenants = append(cfg.Node.AllowedTenants, t)
			}
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", logLevel)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg.Ready = func(addr string) { fmt.Printf("dwnd listening on http://%s\n", addr) }
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return server.Run(ctx, cfg, log)
}

// applyEnv sets every flag not given on the command line from DWND_<NAME>.
func applyEnv(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		env := "DWND_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", env, v, e)
			}
		}
	})
	return err
}
