package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/server"
	"github.com/dwn-ipfs/dwn-ipfs/encryption"
	"github.com/dwn-ipfs/dwn-ipfs/storage/badger"
	"github.com/dwn-ipfs/dwn-ipfs/storage/vault"
)

func cmdAdmin(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return withHint(usageErrorf("admin needs a subcommand: rotate-key"), "see it with: dwn help admin")
	}
	switch args[0] {
	case "rotate-key":
		return cmdRotateKey(ctx, e, args[1:])
	case "-h", "-help", "--help":
		fmt.Fprintln(e.stdout, "usage: dwn admin rotate-key --data DIR [--master-key-file FILE]   make a new master key and re-wrap the tenant keys under it")
		fmt.Fprintln(e.stdout, "\nAdmin commands work on a dwnd data directory while dwnd is stopped.")
		return nil
	}
	return withHint(usageErrorf("unknown admin subcommand %q: use rotate-key", args[0]), "see it with: dwn help admin")
}

func cmdRotateKey(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin rotate-key", "--data DIR [--master-key-file FILE]",
		"Makes a new master key the active one and re-wraps every tenant key under it, in the\n"+
			"data directory of a stopped dwnd. Data is not re-encrypted; older master keys stay in the\n"+
			"key file (data encrypted with them stays readable). Back up the key file afterwards.")
	var cfg server.Config
	fs.StringVar(&cfg.DataDir, "data", server.DefaultDataDir, "dwnd's data directory (as its --data)")
	fs.StringVar(&cfg.MasterKeyFile, "master-key-file", "", "dwnd's master key file (as its --master-key-file; default <data>/keys/master.json)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("admin rotate-key", pos); err != nil {
		return err
	}
	if e.getenv("DWND_MASTER_KEY") != "" {
		return withHint(errors.New("the master key comes from DWND_MASTER_KEY: it cannot rotate here"),
			"keep the key in a file instead (--master-key-file), or set a new DWND_MASTER_KEY together with the old one in a key file")
	}
	path := server.MasterKeyPath(cfg)
	if _, err := os.Stat(path); err != nil {
		return withHint(fmt.Errorf("no master key file at %s", path), "give the file dwnd uses with --master-key-file, and the data directory with --data")
	}
	master, err := encryption.LoadMasterKeys(path, "")
	if err != nil {
		return err
	}
	key, err := master.DeriveKey("badger", 32)
	if err != nil {
		return err
	}
	store, err := badger.Open(cfg.DataDir, badger.Options{EncryptionKey: key, Maintenance: true})
	if err != nil {
		if strings.Contains(err.Error(), "lock") {
			return withHint(err, "stop dwnd first: it holds the data directory")
		}
		return err
	}
	defer store.Close()
	old := master.Active()
	id, n, err := vault.RotateMaster(ctx, master, path, store)
	if err != nil {
		return withHint(fmt.Errorf("rotate: %w", err), "run the command again to finish: the new key is saved and older keys are kept")
	}
	fmt.Fprintf(e.stdout, "master key %s is active (was %s); %d tenant keys re-wrapped\n", id, old, n)
	fmt.Fprintf(e.stdout, "back up %s now: it holds every master key\n", path)
	return nil
}
