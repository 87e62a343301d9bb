package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/did"
	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/did/didkey"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/node"
	"github.com/dwn-ipfs/dwn-ipfs/encryption"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/fetch"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
	"github.com/dwn-ipfs/dwn-ipfs/storage/kubo"
	"github.com/dwn-ipfs/dwn-ipfs/storage/vault"
)

// Config configures Run. Every field has a default; see cmd/dwnd for the flags and
// environment variables that set them.
type Config struct {
	// Listen is the TCP address to serve on (default 127.0.0.1:3000).
	Listen string
	// DataDir holds the Badger database (default ./dwn-data).
	DataDir string
	// BaseURL is the public URL reported by /info (default http://<Listen>).
	BaseURL string
	// MaxHeaderBytes bounds all request headers together (default 1 MiB; Node's default
	// used by the reference is 16 KiB). Larger headers get HTTP 431 from net/http.
	MaxHeaderBytes int
	// MaxRequestHeader bounds the dwn-request header alone (default 512 KiB); larger get
	// HTTP 431 with JSON-RPC error -50400.
	MaxRequestHeader int
	// ReadHeaderTimeout bounds the time to read request headers (default 10 s).
	ReadHeaderTimeout time.Duration
	// ShutdownTimeout bounds a graceful shutdown (default 10 s).
	ShutdownTimeout time.Duration
	// Node holds the message limits.
	Node node.Config
	// Store tunes Badger.
	Store badger.Options
	// MemoryLimit is the soft limit of the Go runtime's memory in bytes (default 256 MiB;
	// 0 keeps the default, a negative value disables it; the GOMEMLIMIT environment
	// variable, when set, wins). Near the limit the garbage collector runs more often
	// instead of letting the heap grow; it is not a hard cap.
	MemoryLimit int64
	// IPFSAPI, if set, is the RPC API URL of the Kubo node that keeps record data over
	// 30000 bytes (http://127.0.0.1:5001); without it, data goes to files under DataDir.
	IPFSAPI string
	// MasterKeyFile is the file of the master keys (default <DataDir>/keys/master.json,
	// created with a new key on first start). The master key wraps the keys that
	// encrypt unpublished data in IPFS, and Badger's key for encryption at rest.
	MasterKeyFile string
	// Gateways are trustless HTTP gateways (https://gateway.example) that reads fall
	// back to, in this order, after the Kubo node; every block they send is verified.
	Gateways []string
	// MasterKey, if set, is the master key itself (standard base64 of 32 bytes, from
	// the environment variable DWND_MASTER_KEY) instead of the file.
	MasterKey string
	// DebugListen, if set, serves Go's pprof profiles on this address (keep it on
	// loopback: profiles reveal internals).
	DebugListen string
	// Ready, if set, is called with the listening address once the server accepts
	// connections.
	Ready func(addr string)
}

// Defaults.
const (
	DefaultMemoryLimit    = 256 << 20
	DefaultListen         = "127.0.0.1:3000"
	DefaultDataDir        = "./dwn-data"
	DefaultMaxHeaderBytes = 1 << 20
)

func (c *Config) withDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
}

// Resolver returns the DID resolver dwnd uses: did:key and did:jwk, offline, with
// resolved documents kept in memory (they are functions of the DID).
func Resolver() did.Resolver {
	return did.NewMemoryCache(did.Methods{"key": didkey.Resolver{ReferenceOnly: true}, "jwk": didjwk.Resolver{}}, 0)
}

// Run opens the store, serves the API on cfg.Listen and returns when ctx ends (after a
// graceful shutdown) or serving fails.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	cfg.Store.Logger = log
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && cfg.MemoryLimit >= 0 {
		limit := cfg.MemoryLimit
		if limit == 0 {
			limit = DefaultMemoryLimit
		}
		debug.SetMemoryLimit(limit)
	}
	var kb *kubo.Backend
	var keys *vault.Vault
	if cfg.IPFSAPI != "" || cfg.MasterKeyFile != "" || cfg.MasterKey != "" {
		master, err := LoadMasterKeys(cfg, log)
		if err != nil {
			return err
		}
		if cfg.Store.EncryptionKey, err = master.DeriveKey("badger", 32); err != nil {
			return err
		}
		keys = vault.New(master)
	}
	var fetcher *fetch.Fetcher
	if cfg.IPFSAPI != "" {
		remotes := []fetch.Remote{fetch.NewKuboRPC(cfg.IPFSAPI, nil)}
		for _, g := range cfg.Gateways {
			remotes = append(remotes, fetch.NewGateway(g, nil))
		}
		fetcher = fetch.New(remotes, fetch.Options{Logger: log})
		var err error
		if kb, err = kubo.New(ctx, cfg.IPFSAPI, kubo.Options{Logger: log, Sealer: keys, Reader: fetcher}); err != nil {
			return err
		}
		cfg.Store.Blobs = kb
		log.Info("record data goes to Kubo: published as is, unpublished encrypted", "api", cfg.IPFSAPI)
	}
	store, err := badger.Open(cfg.DataDir, cfg.Store)
	if err != nil {
		return err
	}
	defer store.Close()
	if keys != nil {
		keys.Attach(store)
	}
	if kb != nil {
		if err := reconcilePins(ctx, kb, store, log); err != nil {
			return err
		}
	}
	n, err := node.New(cfg.Node, store, store, Resolver(), log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another dwnd running? choose another address with --listen)", cfg.Listen, err)
	}
	addr := ln.Addr().String()
	base := cfg.BaseURL
	if base == "" {
		base = "http://" + addr
	}
	maxFile := cfg.Node.MaxDataSize
	if maxFile <= 0 {
		maxFile = node.DefaultMaxDataSize
	}
	h := NewHandler(n, log, base, maxFile)
	if cfg.MaxRequestHeader > 0 {
		h.MaxRequestHeader = cfg.MaxRequestHeader
	}
	if kb != nil {
		h.AddReadyCheck("kubo", kb.Ping)
		h.AddReadyCheck("ipfs-read", fetcher.Ready)
		h.AddHealthInfo("ipfs", func() any { return fetcher.Status() })
		h.Registry().MustRegister(fetcher)
	}
	srv := &http.Server{
		Handler:           h,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.DebugListen != "" {
		dbg := http.NewServeMux()
		dbg.HandleFunc("/debug/pprof/", pprof.Index)
		dbg.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() {
			if err := http.ListenAndServe(cfg.DebugListen, dbg); err != nil {
				log.Error("debug server failed", "err", err)
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("dwnd listening", "addr", addr, "data", cfg.DataDir)
	if cfg.Ready != nil {
		cfg.Ready(addr)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// MasterKeyPath is the master key file cfg names.
func MasterKeyPath(cfg Config) string {
	if cfg.MasterKeyFile != "" {
		return cfg.MasterKeyFile
	}
	return filepath.Join(cfg.DataDir, "keys", "master.json")
}

// LoadMasterKeys loads the master keys cfg names, generating the key file on first
// start (and saying so: without it, encrypted data cannot be read).
func LoadMasterKeys(cfg Config, log *slog.Logger) (*encryption.MasterKeys, error) {
	path := MasterKeyPath(cfg)
	_, statErr := os.Stat(path)
	master, err := encryption.LoadMasterKeys(path, cfg.MasterKey)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.MasterKey != "":
		log.Info("master key from DWND_MASTER_KEY", "id", master.Active())
	case errors.Is(statErr, os.ErrNotExist):
		log.Warn("generated a new master key: back up this file, without it encrypted record data cannot be read", "file", path, "id", master.Active())
	default:
		log.Info("master keys loaded", "file", path, "active", master.Active(), "keys", len(master.IDs()))
	}
	return master, nil
}

// reconcilePins makes Kubo pin every blob the store references and reports what does
// not add up.
func reconcilePins(ctx context.Context, kb *kubo.Backend, store *badger.Store, log *slog.Logger) error {
	all, err := store.ReferencedBlobs(ctx)
	if err != nil {
		return err
	}
	refs := kubo.PinsOf(all)
	r, err := kb.Reconcile(ctx, refs, 10*time.Second)
	if err != nil {
		return err
	}
	log.Info("Kubo pins reconciled", "referenced", r.Referenced, "repinned", len(r.Repinned),
		"missing", len(r.Missing), "stray", len(r.Stray))
	if len(r.Missing) > 0 {
		log.Error("record data missing from the Kubo node: reads of these records will fail until it is added back",
			"count", len(r.Missing), "first", r.Missing[0])
	}
	if len(r.Stray) > 0 {
		log.Warn("Kubo has dwn-ipfs pins that no record references (left by a crash); unpin them with: ipfs pin rm CID",
			"count", len(r.Stray), "first", r.Stray[0])
	}
	return nil
}
