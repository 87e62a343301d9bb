package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/did/didjwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/client"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
	"github.com/dwn-ipfs/dwn-ipfs/gateway/importer"
)

// Bench constants. The schema and tag make query-tag select 1% of the records.
const (
	benchSchema    = "https://bench.example/schema"
	benchBuckets   = 100
	benchTagBucket = 7
	benchPageLimit = 20
	// benchMemLimit is the largest total of write payloads kept in memory; beyond it
	// payloads are regenerated from their seed while sending.
	benchMemLimit = 256 << 20
)

var benchOps = []string{"write", "read", "query", "query-cursor", "query-tag", "protocol-write"}

// writes reports whether op writes records (and needs no seeded records).
func writes(op string) bool { return op == "write" || op == "protocol-write" }

// benchProtocol is the protocol of the protocol-write operation: threads anyone may
// start, participants (a role) the thread's author assigns, and messages and reactions
// to messages that participants write by invoking their role.
const benchProtocol = "https://bench.example/chat"

func benchDefinition() map[string]any {
	participant := []any{map[string]any{"role": "thread/participant", "can": []any{"create", "read", "query", "subscribe"}}}
	return map[string]any{
		"protocol": benchProtocol, "published": true,
		"types": map[string]any{"thread": map[string]any{}, "participant": map[string]any{},
			"message": map[string]any{}, "reaction": map[string]any{}},
		"structure": map[string]any{"thread": map[string]any{
			"$actions":    []any{map[string]any{"who": "anyone", "can": []any{"create"}}},
			"participant": map[string]any{"$role": true, "$actions": []any{map[string]any{"who": "author", "of": "thread", "can": []any{"create"}}}},
			"message": map[string]any{"$actions": participant,
				"reaction": map[string]any{"$actions": participant}},
		}},
	}
}

// setupProtocol configures the bench protocol for the tenant, starts a thread, makes
// the participant a participant, and has it write a message. It returns the message,
// under which the bench writes reactions three levels deep.
func setupProtocol(ctx context.Context, cl *client.Client, tenant string, owner, participant jws.Signer, base time.Time) (*builder.Message, error) {
	send := func(m *builder.Message, err error) (*builder.Message, error) {
		if err != nil {
			return nil, err
		}
		var data []byte
		if strings.Contains(string(m.JSON), `"Write"`) {
			data = []byte("bench")
		}
		rep, _, err := cl.SendBytes(ctx, tenant, m.JSON, data)
		if err != nil {
			return nil, err
		}
		if rep.Status.Code != 202 {
			return nil, fmt.Errorf("protocol setup: DWN status %d: %s", rep.Status.Code, rep.Status.Detail)
		}
		return m, nil
	}
	if _, err := send(builder.ProtocolsConfigure(benchDefinition(), base, owner)); err != nil {
		return nil, err
	}
	w := builder.Write{Data: []byte("bench"), Protocol: benchProtocol}
	w.ProtocolPath, w.Time = "thread", base.Add(time.Millisecond)
	thread, err := send(builder.RecordsWrite(w, owner))
	if err != nil {
		return nil, err
	}
	w.ProtocolPath, w.Time = "thread/participant", base.Add(2*time.Millisecond)
	w.ParentID, w.ParentContext, w.Recipient = thread.RecordID, thread.RecordID, jws.SignerDID(participant.KeyID())
	if _, err := send(builder.RecordsWrite(w, owner)); err != nil {
		return nil, err
	}
	w.ProtocolPath, w.Time, w.Recipient, w.ProtocolRole = "thread/message", base.Add(3*time.Millisecond), "", "thread/participant"
	return send(builder.RecordsWrite(w, participant))
}

// benchConfig holds the flags of bench.
type benchConfig struct {
	endpoint   string
	op         string
	n, c       int
	size       int
	records    int
	serverPID  int
	json       bool
	cpuProfile string
	published  bool
}

// benchResult is the report of a bench run; --json prints it. Times are in seconds
// (_s) or milliseconds (_ms), memory in MiB.
type benchResult struct {
	Op             string   `json:"op"`                // the --op
	Endpoint       string   `json:"endpoint"`          // the DWN
	Tenant         string   `json:"tenant"`            // the fresh did:jwk used as tenant and author
	N              int      `json:"n"`                 // requests sent
	Concurrency    int      `json:"concurrency"`       // workers
	SizeBytes      int      `json:"size_bytes"`        // data size of written and seeded records
	Records        int      `json:"records,omitempty"` // records seeded before read and query runs
	SeedSeconds    float64  `json:"seed_s,omitempty"`  // time to seed them (not timed in the results)
	PrepareSeconds float64  `json:"prepare_s"`         // time to sign the N messages (not timed)
	Seconds        float64  `json:"elapsed_s"`         // wall time of the N requests
	OpsPerSec      float64  `json:"ops_per_s"`         // N / elapsed_s
	MeanMs         float64  `json:"mean_ms"`           // latency of a request, reply body included
	P50Ms          float64  `json:"p50_ms"`            // latency percentiles and maximum
	P95Ms          float64  `json:"p95_ms"`
	P99Ms          float64  `json:"p99_ms"`
	MaxMs          float64  `json:"max_ms"`
	Errors         int      `json:"errors"`                           // transport errors and unexpected DWN statuses
	ErrorSamples   []string `json:"error_samples,omitempty"`          // the first distinct error details
	DataBytes      int64    `json:"data_bytes"`                       // record data sent (write) or received (read)
	MiBPerSec      float64  `json:"mib_per_s"`                        // data_bytes / elapsed_s
	EntriesPerOp   float64  `json:"entries_per_op,omitempty"`         // mean entries per successful query
	ServerPID      int      `json:"server_pid,omitempty"`             // the --server-pid
	ServerRSSStart float64  `json:"server_vmrss_start_mib,omitempty"` // its VmRSS when the clock started
	ServerRSSMax   float64  `json:"server_vmrss_max_mib,omitempty"`   // its largest VmRSS sampled every 100 ms during the run
	ServerHWM      float64  `json:"server_vmhwm_mib,omitempty"`       // its VmHWM (peak RSS of its whole life) after the run
}

func cmdBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bench", "--op "+strings.Join(benchOps, "|")+" [flags]",
		"Load-tests a DWN as a fresh in-memory did:jwk tenant. Every message is signed before the\n"+
			"clock starts; N requests are then sent by C workers. read and query operations first seed\n"+
			"--records records. Works against any DWN that speaks the dwn-server HTTP API.")
	var cfg benchConfig
	def := e.getenv("DWN_ENDPOINT")
	if def == "" {
		def = defaultEndpoint
	}
	fs.StringVar(&cfg.endpoint, "endpoint", def, "DWN URL; $DWN_ENDPOINT sets the default")
	fs.StringVar(&cfg.op, "op", "write", "operation: "+strings.Join(benchOps, ", "))
	fs.IntVar(&cfg.n, "n", 1000, "number of requests")
	fs.IntVar(&cfg.c, "c", 8, "number of concurrent workers")
	fs.IntVar(&cfg.size, "size", 1024, "record data size in bytes (written records and seeded records)")
	fs.IntVar(&cfg.records, "records", 10000, "records to seed before read and query operations")
	fs.IntVar(&cfg.serverPID, "server-pid", 0, "PID of the server on this machine: report its resident memory")
	fs.BoolVar(&cfg.published, "published", false, "write (and seed) published records (default unpublished: with Kubo, their data is encrypted)")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON object with all numbers")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of this client's timed run to `FILE` (go tool pprof)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("bench", fmt.Errorf("unexpected argument %q", pos[0]))
	}
	if err := cfg.check(); err != nil {
		return usageError("bench", err)
	}
	res, err := runBench(ctx, e.stderr, cfg)
	if err != nil {
		return err
	}
	if cfg.json {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
	} else {
		res.print(e.stdout)
	}
	if res.Errors > 0 {
		return withHint(fmt.Errorf("bench: %d of %d requests failed", res.Errors, res.N),
			"the report lists the first distinct errors; check the server's log")
	}
	return nil
}

func (cfg *benchConfig) check() error {
	if !slices.Contains(benchOps, cfg.op) {
		return fmt.Errorf("--op %q: use one of %s", cfg.op, strings.Join(benchOps, ", "))
	}
	if cfg.n < 1 {
		return fmt.Errorf("--n %d: must be at least 1", cfg.n)
	}
	if cfg.c < 1 {
		return fmt.Errorf("--c %d: must be at least 1", cfg.c)
	}
	if cfg.size < 0 {
		return fmt.Errorf("--size %d: must not be negative", cfg.size)
	}
	if !writes(cfg.op) && cfg.records < 1 {
		return fmt.Errorf("--records %d: --op %s needs at least 1 record", cfg.records, cfg.op)
	}
	if cfg.op == "query-cursor" && cfg.records <= benchPageLimit {
		return fmt.Errorf("--records %d: --op query-cursor needs more than %d records for a second page", cfg.records, benchPageLimit)
	}
	if cfg.serverPID < 0 {
		return fmt.Errorf("--server-pid %d: not a process ID", cfg.serverPID)
	}
	return checkEndpoint(cfg.endpoint)
}

// payloads produces the random data of written records: payload i is always the same
// bytes, kept in memory when they fit in benchMemLimit and regenerated otherwise.
type payloads struct {
	size int
	seed [32]byte
	mem  [][]byte
}

func newPayloads(n, size int) *payloads {
	p := &payloads{size: size}
	binary.LittleEndian.PutUint64(p.seed[:], rand.Uint64())
	binary.LittleEndian.PutUint64(p.seed[8:], rand.Uint64())
	if int64(n)*int64(size) <= benchMemLimit {
		p.mem = make([][]byte, n)
	}
	return p
}

func (p *payloads) gen(i int) io.Reader {
	s := p.seed
	binary.LittleEndian.PutUint64(s[16:], uint64(i))
	return io.LimitReader(rand.NewChaCha8(s), int64(p.size))
}

// reader returns payload i; prepare(i) must have been called.
func (p *payloads) reader(i int) io.Reader {
	if p.mem != nil {
		return bytes.NewReader(p.mem[i])
	}
	return p.gen(i)
}

// prepare generates payload i and returns its dataCid.
func (p *payloads) prepare(i int) (string, error) {
	if p.mem != nil {
		b := make([]byte, p.size)
		io.ReadFull(p.gen(i), b)
		p.mem[i] = b
		return importer.Sum(b).String(), nil
	}
	c, _, err := importer.Import(context.Background(), p.gen(i), importer.Discard)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

// benchWrite builds the RecordsWrite of payload i at time t.
func benchWrite(p *payloads, i int, t time.Time, s jws.Signer, published bool) (*builder.Message, error) {
	c, err := p.prepare(i)
	if err != nil {
		return nil, err
	}
	return builder.RecordsWrite(builder.Write{
		DataCID: c, DataSize: int64(p.size), Schema: benchSchema,
		Tags: map[string]any{"bucket": i % benchBuckets}, Time: t, Published: published,
	}, s)
}

// benchReq is one pre-signed request.
type benchReq struct {
	msg  []byte
	data int // index of the payload to send, or -1
}

// runBench runs one bench and returns its numbers; progress goes to progress.
func runBench(ctx context.Context, progress io.Writer, cfg benchConfig) (*benchResult, error) {
	key, err := jwk.Generate(jwk.Ed25519)
	if err != nil {
		return nil, err
	}
	tenant, err := didjwk.New(key)
	if err != nil {
		return nil, err
	}
	signer := jws.PrivateKeySigner{Key: key, KID: tenant + "#0"}
	cl := client.New(cfg.endpoint)
	res := &benchResult{Op: cfg.op, Endpoint: cfg.endpoint, Tenant: tenant, N: cfg.n, Concurrency: cfg.c,
		SizeBytes: cfg.size, ServerPID: cfg.serverPID}
	if cfg.serverPID > 0 {
		if _, err := procStatus(cfg.serverPID); err != nil {
			return nil, withHint(fmt.Errorf("--server-pid %d: %v", cfg.serverPID, err),
				"give the PID of a server process on this machine, or drop --server-pid")
		}
	}

	// Seed records for reads and queries.
	var seeded []string
	if !writes(cfg.op) {
		res.Records = cfg.records
		t0 := time.Now()
		seeded, err = seed(ctx, progress, cl, tenant, signer, cfg)
		if err != nil {
			return nil, err
		}
		res.SeedSeconds = time.Since(t0).Seconds()
	}

	// Sign every message before the clock starts.
	t0 := time.Now()
	reqs := make([]benchReq, cfg.n)
	var pl *payloads
	expect := 200
	switch cfg.op {
	case "write":
		expect = 202
		if cfg.size == 0 {
			expect = 204 // an initial write without data
		}
		pl = newPayloads(cfg.n, cfg.size)
		// Distinct timestamps keep messages distinct even with identical data.
		base := time.Now().Add(-time.Duration(cfg.n) * time.Microsecond)
		for i := range reqs {
			m, err := benchWrite(pl, i, base.Add(time.Duration(i)*time.Microsecond), signer, cfg.published)
			if err != nil {
				return nil, err
			}
			reqs[i] = benchReq{msg: m.JSON, data: i}
		}
	case "read":
		for i := range reqs {
			m, err := builder.RecordsRead(seeded[rand.IntN(len(seeded))], signer)
			if err != nil {
				return nil, err
			}
			reqs[i] = benchReq{msg: m.JSON, data: -1}
		}
	case "protocol-write":
		expect = 202
		pkey, err := jwk.Generate(jwk.Ed25519)
		if err != nil {
			return nil, err
		}
		pdid, err := didjwk.New(pkey)
		if err != nil {
			return nil, err
		}
		participant := jws.PrivateKeySigner{Key: pkey, KID: pdid + "#0"}
		base := time.Now().Add(-time.Duration(cfg.n)*time.Microsecond - time.Second)
		msg, err := setupProtocol(ctx, cl, tenant, signer, participant, base)
		if err != nil {
			return nil, transportError(err, cfg.endpoint)
		}
		parentContext, _ := msg.Value["contextId"].(string)
		pl = newPayloads(cfg.n, cfg.size)
		for i := range reqs {
			c, err := pl.prepare(i)
			if err != nil {
				return nil, err
			}
			m, err := builder.RecordsWrite(builder.Write{DataCID: c, DataSize: int64(cfg.size), Protocol: benchProtocol,
				ProtocolPath: "thread/message/reaction", ParentID: msg.RecordID, ParentContext: parentContext,
				ProtocolRole: "thread/participant", Time: base.Add(time.Second + time.Duration(i)*time.Microsecond)}, participant)
			if err != nil {
				return nil, err
			}
			reqs[i] = benchReq{msg: m.JSON, data: i}
		}
	case "query", "query-cursor", "query-tag":
		q := builder.Query{Filter: map[string]any{"schema": benchSchema}, Limit: benchPageLimit}
		if cfg.op == "query-tag" {
			q.Filter["tags"] = map[string]any{"bucket": benchTagBucket}
			q.Limit = 0 // all matches: 1% of the records
		}
		if cfg.op == "query-cursor" {
			if q.Cursor, err = firstCursor(ctx, cl, tenant, q, signer); err != nil {
				return nil, err
			}
		}
		for i := range reqs {
			m, err := builder.RecordsQuery(q, signer)
			if err != nil {
				return nil, err
			}
			reqs[i] = benchReq{msg: m.JSON, data: -1}
		}
	}
	res.PrepareSeconds = time.Since(t0).Seconds()

	// Run.
	var (
		done, entries, dataBytes atomic.Int64
		errMu                    sync.Mutex
		errCount                 int
		errSeen                  = map[string]bool{}
		lat                      = make([]time.Duration, cfg.n)
	)
	fail := func(detail string) {
		errMu.Lock()
		defer errMu.Unlock()
		errCount++
		if !errSeen[detail] && len(res.ErrorSamples) < 5 {
			errSeen[detail] = true
			res.ErrorSamples = append(res.ErrorSamples, detail)
		}
	}
	stopSampler := func() {}
	if cfg.serverPID > 0 {
		st, _ := procStatus(cfg.serverPID)
		res.ServerRSSStart = st["VmRSS"]
		stopSampler = sampleRSS(cfg.serverPID, &res.ServerRSSMax)
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	stopProgress := showProgress(progress, "bench "+cfg.op, "requests", int64(cfg.n), &done, start)
	forEach(ctx, cfg.c, cfg.n, func(i int) bool {
		r := reqs[i]
		var body io.Reader
		var size int64
		if r.data >= 0 {
			body, size = pl.reader(r.data), int64(cfg.size)
		}
		t := time.Now()
		rep, rc, err := cl.Send(ctx, tenant, r.msg, body, size)
		var got int64
		if err == nil && rc != nil {
			got, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		lat[i] = time.Since(t)
		done.Add(1)
		switch {
		case err != nil:
			fail(oneLine(err.Error()))
			return true
		case rep.Status.Code != expect:
			fail(fmt.Sprintf("DWN status %d: %s", rep.Status.Code, truncate(rep.Status.Detail, 200)))
			return true
		case cfg.op == "read" && got != int64(cfg.size):
			fail(fmt.Sprintf("read returned %d bytes, want %d", got, cfg.size))
			return true
		}
		entries.Add(int64(len(rep.Entries)))
		switch cfg.op {
		case "write", "protocol-write":
			dataBytes.Add(size)
		case "read":
			dataBytes.Add(got)
		}
		return true
	})
	elapsed := time.Since(start)
	stopProgress()
	stopSampler()
	if err := ctx.Err(); err != nil {
		return nil, errors.New("interrupted")
	}
	if cfg.serverPID > 0 {
		st, err := procStatus(cfg.serverPID)
		if err != nil {
			return nil, fmt.Errorf("--server-pid %d after the run: %v", cfg.serverPID, err)
		}
		res.ServerHWM = st["VmHWM"]
	}

	res.Seconds = elapsed.Seconds()
	res.OpsPerSec = float64(cfg.n) / elapsed.Seconds()
	res.Errors = errCount
	res.DataBytes = dataBytes.Load()
	res.MiBPerSec = float64(res.DataBytes) / (1 << 20) / elapsed.Seconds()
	if !writes(cfg.op) && cfg.op != "read" && cfg.n > errCount {
		res.EntriesPerOp = float64(entries.Load()) / float64(cfg.n-errCount)
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pct := func(p float64) float64 { return ms(lat[min(len(lat)-1, int(p*float64(len(lat))))]) }
	res.MeanMs = ms(sum / time.Duration(len(lat)))
	res.P50Ms, res.P95Ms, res.P99Ms, res.MaxMs = pct(0.50), pct(0.95), pct(0.99), ms(lat[len(lat)-1])
	return res, nil
}

// seed writes cfg.records records with cfg.c workers and returns their recordIds.
func seed(ctx context.Context, progress io.Writer, cl *client.Client, tenant string, s jws.Signer, cfg benchConfig) ([]string, error) {
	n := cfg.records
	ids := make([]string, n)
	pl := &payloads{size: cfg.size}
	binary.LittleEndian.PutUint64(pl.seed[:], rand.Uint64())
	base := time.Now().Add(-time.Duration(n) * time.Microsecond)
	wantCode := 202
	if cfg.size == 0 {
		wantCode = 204
	}
	var done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	stop := showProgress(progress, "seeding", "records", int64(n), &done, start)
	forEach(ctx, cfg.c, n, func(i int) bool {
		err := func() error {
			m, err := benchWrite(pl, i, base.Add(time.Duration(i)*time.Microsecond), s, cfg.published)
			if err != nil {
				return err
			}
			rep, rc, err := cl.Send(ctx, tenant, m.JSON, pl.gen(i), int64(cfg.size))
			if err != nil {
				return transportError(err, cfg.endpoint)
			}
			if rc != nil {
				rc.Close()
			}
			if rep.Status.Code != wantCode {
				return fmt.Errorf("DWN status %d: %s", rep.Status.Code, rep.Status.Detail)
			}
			ids[i] = m.RecordID
			return nil
		}()
		if err != nil {
			errOnce.Do(func() { firstErr = err; cancel() })
			return false
		}
		done.Add(1)
		return true
	})
	stop()
	if firstErr != nil {
		if ctx.Err() != nil && errors.Is(firstErr, context.Canceled) {
			return nil, errors.New("interrupted")
		}
		return nil, fmt.Errorf("seeding records: %w", firstErr)
	}
	d := time.Since(start)
	fmt.Fprintf(progress, "seeded %d records in %.1fs (%.0f/s)\n", n, d.Seconds(), float64(n)/d.Seconds())
	return ids, nil
}

// firstCursor runs q once and returns the cursor of its first page.
func firstCursor(ctx context.Context, cl *client.Client, tenant string, q builder.Query, s jws.Signer) (*dwn.Cursor, error) {
	m, err := builder.RecordsQuery(q, s)
	if err != nil {
		return nil, err
	}
	rep, rc, err := cl.Send(ctx, tenant, m.JSON, nil, 0)
	if err != nil {
		return nil, transportError(err, cl.Endpoint)
	}
	if rc != nil {
		rc.Close()
	}
	if rep.Status.Code != 200 {
		return nil, fmt.Errorf("first page for the cursor: DWN status %d: %s", rep.Status.Code, rep.Status.Detail)
	}
	if len(rep.Cursor) == 0 || string(rep.Cursor) == "null" {
		return nil, fmt.Errorf("first page for the cursor: the DWN returned %d entries and no cursor", len(rep.Entries))
	}
	c, err := parseCursor(string(rep.Cursor))
	if err != nil {
		return nil, fmt.Errorf("first page for the cursor: %v", err)
	}
	return c, nil
}

// showProgress prints "label done/total unit" on w every second until the returned
// function is called. On a terminal the line is rewritten in place.
func showProgress(w io.Writer, label, unit string, total int64, done *atomic.Int64, start time.Time) (stop func()) {
	tty := isTerminal(w)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	printed := false
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				d := done.Load()
				line := fmt.Sprintf("%s: %d/%d %s, %.0f/s", label, d, total, unit, float64(d)/time.Since(start).Seconds())
				if tty {
					fmt.Fprintf(w, "\r%s\x1b[K", line)
				} else {
					fmt.Fprintln(w, line)
				}
				printed = true
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
		if tty && printed {
			fmt.Fprint(w, "\r\x1b[K")
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// procStatus reads the memory lines (in MiB) of /proc/PID/status.
func procStatus(pid int) (map[string]float64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(k, "Vm") {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 2 && fields[1] == "kB" {
			if kb, err := strconv.ParseFloat(fields[0], 64); err == nil {
				out[k] = kb / 1024
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if _, ok := out["VmRSS"]; !ok {
		return nil, errors.New("no VmRSS in /proc status (a zombie, or not Linux)")
	}
	return out, nil
}

// sampleRSS records the largest VmRSS of pid, sampled every 100 ms, into *dst until
// the returned function is called.
func sampleRSS(pid int, dst *float64) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var peak float64
	sample := func() {
		if st, err := procStatus(pid); err == nil && st["VmRSS"] > peak {
			peak = st["VmRSS"]
		}
	}
	go func() {
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
		sample()
		*dst = peak
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// print writes the human-readable report.
func (r *benchResult) print(w io.Writer) {
	fmt.Fprintf(w, "op           %s against %s (tenant %s)\n", r.Op, r.Endpoint, truncate(r.Tenant, 40))
	fmt.Fprintf(w, "requests     %d with %d workers, data %d B\n", r.N, r.Concurrency, r.SizeBytes)
	if r.Records > 0 {
		fmt.Fprintf(w, "seeded       %d records in %.2fs\n", r.Records, r.SeedSeconds)
	}
	fmt.Fprintf(w, "prepared     %d signed messages in %.2fs (not timed)\n", r.N, r.PrepareSeconds)
	fmt.Fprintf(w, "elapsed      %.3fs\n", r.Seconds)
	fmt.Fprintf(w, "throughput   %.1f ops/s", r.OpsPerSec)
	if r.DataBytes > 0 {
		fmt.Fprintf(w, ", %.2f MiB/s of record data", r.MiBPerSec)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "latency      p50 %.2fms  p95 %.2fms  p99 %.2fms  max %.2fms  mean %.2fms\n",
		r.P50Ms, r.P95Ms, r.P99Ms, r.MaxMs, r.MeanMs)
	if r.EntriesPerOp > 0 {
		fmt.Fprintf(w, "entries      %.1f per query\n", r.EntriesPerOp)
	}
	fmt.Fprintf(w, "errors       %d\n", r.Errors)
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(w, "  e.g.       %s\n", s)
	}
	if r.ServerPID > 0 {
		fmt.Fprintf(w, "server RSS   peak %.1f MiB (VmHWM, whole life), max %.1f MiB during the run (sampled), %.1f MiB at start\n",
			r.ServerHWM, r.ServerRSSMax, r.ServerRSSStart)
	}
}

// forEach calls fn(i) for every i in [0, n) from the given number of worker goroutines
// (each worker claims the next index) until all are done or ctx ends; fn returning false
// stops its worker.
func forEach(ctx context.Context, workers, n int, fn func(i int) bool) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil || !fn(i) {
					return
				}
			}
		}()
	}
	wg.Wait()
}
