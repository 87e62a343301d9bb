package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// env is what a command sees of the process: its standard streams and environment.
// Tests supply their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"id", "create or show the identity (id new, id show)", cmdID},
		{"write", "write a new record from a file or standard input", cmdWrite},
		{"update", "write a newer version of a record", cmdUpdate},
		{"query", "list records matching a filter, one JSON entry per line", cmdQuery},
		{"read", "read a record's data", cmdRead},
		{"delete", "delete a record", cmdDelete},
		{"protocol", "install or list protocol definitions (protocol configure, protocol query)", cmdProtocol},
		{"grant", "give, list, revoke and export permission grants (grant create, list, revoke, export)", cmdGrant},
		{"bench", "load-test a DWN", cmdBench},
		{"admin", "administer a stopped dwnd's data directory (admin rotate-key)", cmdAdmin},
		{"help", "show help for a command", nil},
	}
}

// run runs the command line args and returns the process exit code: 0 on success, 1 on
// error, 2 on usage error. Errors are reported on e.stderr.
func run(ctx context.Context, e *env, args []string) int {
	return report(e.stderr, dispatch(ctx, e, args))
}

func dispatch(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return withHint(usageErrorf("no command given"), "see the commands with: dwn help")
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		printUsage(e.stdout)
		return nil
	case "help":
		if len(args) < 2 {
			printUsage(e.stdout)
			return nil
		}
		if args[1] == "help" {
			printUsage(e.stdout)
			return nil
		}
		return dispatch(ctx, e, append(append([]string(nil), args[1:]...), "-h"))
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return c.run(ctx, e, args[1:])
		}
	}
	return withHint(usageErrorf("unknown command %q", name), "see the commands with: dwn help")
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: dwn COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'dwn help COMMAND' for a command's flags.")
}

// cliError is an error with the hints that tell the user what to do next.
type cliError struct {
	err   error
	hints []string
	usage bool // a usage error: exit code 2
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

// withHint attaches hints to err. A nil err stays nil.
func withHint(err error, hints ...string) error {
	if err == nil {
		return nil
	}
	return &cliError{err: err, hints: hints}
}

// usageErrorf returns a usage error (exit code 2).
func usageErrorf(format string, args ...any) error {
	return &cliError{err: fmt.Errorf(format, args...), usage: true}
}

// usageError makes err a usage error of the command cmd ("write", "id new").
func usageError(cmd string, err error) error {
	return &cliError{err: err, usage: true, hints: []string{"see the flags with: dwn help " + cmd}}
}

// report prints err as "dwn: cause" and its hints and returns the exit code.
func report(w io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(w, "dwn: %s\n", oneLine(err.Error()))
	code := 1
	var hints []string
	seen := map[string]bool{}
	for e := err; e != nil; e = errors.Unwrap(e) {
		ce, ok := e.(*cliError)
		if !ok {
			continue
		}
		if ce.usage {
			code = 2
		}
		for _, h := range ce.hints {
			if !seen[h] {
				seen[h] = true
				hints = append(hints, h)
			}
		}
	}
	for _, h := range hints {
		fmt.Fprintf(w, "hint: %s\n", h)
	}
	return code
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// flagSet is a FlagSet for one command that prints nothing by itself: parse errors
// become usage errors and -h prints the usage to stdout.
type flagSet struct {
	*flag.FlagSet
	cmd  string // "write", "id new"
	help func()
}

func newFlagSet(e *env, name, synopsis, about string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet("dwn "+name, flag.ContinueOnError), cmd: name}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // parse errors are reported by report
	fs.help = func() {
		w := e.stdout
		fmt.Fprintf(w, "usage: dwn %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseArgs parses args with fs, allowing flags after positional arguments, and
// returns the positional arguments. "--" ends the flags.
func parseArgs(fs *flagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.help()
				return nil, err
			}
			return nil, usageError(fs.cmd, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// tagFlag collects repeated --tag k=v flags.
type tagFlag struct {
	tags map[string]any
	keys []string // in the order given
}

func (t *tagFlag) String() string {
	if t == nil || len(t.keys) == 0 {
		return ""
	}
	keys := append([]string(nil), t.keys...)
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, t.tags[k]))
	}
	return strings.Join(parts, ",")
}

func (t *tagFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	if t.tags == nil {
		t.tags = map[string]any{}
	}
	if _, dup := t.tags[k]; dup {
		return fmt.Errorf("tag %q given twice", k)
	}
	t.tags[k] = tagValue(v)
	t.keys = append(t.keys, k)
	return nil
}

// tagValue interprets a tag value: JSON numbers, booleans, quoted strings and arrays are
// decoded as JSON; anything else is the string itself.
func tagValue(v string) any {
	if x, ok := decodeJSONScalar(v); ok {
		return x
	}
	return v
}
