package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/prometheus/client_golang/prometheus"
)

// Options tune a Fetcher. Zero values take the defaults.
type Options struct {
	// AttemptTimeout bounds one remote's attempt at one block (default 5 s).
	AttemptTimeout time.Duration
	// HedgeMin and HedgeMax bound the hedge delay: how long the Fetcher waits for a
	// remote before it asks the next one too. The delay is three times the remote's
	// latency estimate within these bounds (defaults 50 ms and 500 ms).
	HedgeMin, HedgeMax time.Duration
	// CooldownMin and CooldownMax bound the back-off of a failing remote: the first
	// failure rests it CooldownMin, each further one doubles it up to CooldownMax
	// (defaults 1 s and 1 min). A remote that lacks a block is not failing.
	CooldownMin, CooldownMax time.Duration
	// Window is how many blocks Open fetches ahead of the reader (default 8, 2 MiB of
	// 256 KiB leaves).
	Window int
	// Registerer, if set, receives the Fetcher's metrics (or register the Fetcher
	// itself: it is a prometheus.Collector).
	Registerer prometheus.Registerer
	// Logger receives security events and failures; default slog.Default().
	Logger *slog.Logger
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.AttemptTimeout, 5*time.Second)
	def(&o.HedgeMin, 50*time.Millisecond)
	def(&o.HedgeMax, 500*time.Millisecond)
	def(&o.CooldownMin, time.Second)
	def(&o.CooldownMax, time.Minute)
	if o.Window <= 0 {
		o.Window = 8
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// remote is a Remote with its health.
type remote struct {
	Remote
	mu       sync.Mutex
	latency  time.Duration // moving average of successful attempts; 0 until one
	failures int           // consecutive failures
	until    time.Time     // end of the cooldown
	lastKind string        // kind of the last failure ("" after a success)
}

// RemoteStatus is a remote's health, for /health and /ready.
type RemoteStatus struct {
	Name                string        `json:"name"`
	Healthy             bool          `json:"healthy"`
	Latency             time.Duration `json:"latencyNs"`
	ConsecutiveFailures int           `json:"consecutiveFailures"`
	CooldownUntil       time.Time     `json:"cooldownUntil,omitzero"`
	LastFailure         string        `json:"lastFailure,omitempty"`
}

// Fetcher fetches verified blocks from remotes; see the package documentation.
type Fetcher struct {
	remotes []*remote
	o       Options
	m       *metrics
}

type metrics struct {
	latency  *prometheus.HistogramVec
	failures *prometheus.CounterVec
	verify   *prometheus.CounterVec
	fetched  *prometheus.CounterVec
	served   prometheus.Counter
}

func newMetrics(r prometheus.Registerer) *metrics {
	m := &metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dwn_ipfs_remote_request_seconds", Help: "Latency of successful block requests per IPFS remote.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"remote"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dwn_ipfs_remote_failures_total", Help: "Failed block requests per IPFS remote and kind.",
		}, []string{"remote", "kind"}),
		verify: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dwn_ipfs_remote_verification_failures_total", Help: "Blocks whose bytes did not hash to their CID, per IPFS remote (a security event).",
		}, []string{"remote"}),
		fetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dwn_ipfs_remote_bytes_total", Help: "Verified block bytes fetched per IPFS remote.",
		}, []string{"remote"}),
		served: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dwn_ipfs_served_bytes_total", Help: "File bytes served from IPFS remotes.",
		}),
	}
	if r != nil {
		r.MustRegister(m.latency, m.failures, m.verify, m.fetched, m.served)
	}
	return m
}

// New returns a Fetcher over remotes, tried in this order while equally healthy.
func New(remotes []Remote, o Options) *Fetcher {
	o.defaults()
	f := &Fetcher{o: o, m: newMetrics(o.Registerer)}
	for _, r := range remotes {
		f.remotes = append(f.remotes, &remote{Remote: r})
	}
	return f
}

// order returns the remotes to try: those not cooling down by latency estimate (an
// unmeasured remote keeps its configured place, ahead of slower measured ones only if
// it comes first), then those cooling down, soonest back first.
func (f *Fetcher) order(now time.Time) []*remote {
	type entry struct {
		r       *remote
		cooling bool
		until   time.Time
		latency time.Duration
		index   int
	}
	es := make([]entry, len(f.remotes))
	for i, r := range f.remotes {
		r.mu.Lock()
		es[i] = entry{r: r, cooling: now.Before(r.until), until: r.until, latency: r.latency, index: i}
		r.mu.Unlock()
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		switch {
		case a.cooling != b.cooling:
			if a.cooling {
				return 1
			}
			return -1
		case a.cooling:
			return a.until.Compare(b.until)
		case a.latency > 0 && b.latency > 0:
			// Prefer the faster only when clearly faster, so that order is stable
			// under noise.
			if a.latency*2 < b.latency {
				return -1
			}
			if b.latency*2 < a.latency {
				return 1
			}
		}
		return a.index - b.index
	})
	out := make([]*remote, len(es))
	for i, e := range es {
		out[i] = e.r
	}
	return out
}

func (f *Fetcher) hedgeDelay(r *remote) time.Duration {
	r.mu.Lock()
	d := 3 * r.latency
	r.mu.Unlock()
	if d == 0 {
		d = f.o.HedgeMax / 2
	}
	return min(max(d, f.o.HedgeMin), f.o.HedgeMax)
}

func (f *Fetcher) succeeded(r *remote, took time.Duration, n int) {
	r.mu.Lock()
	if r.latency == 0 {
		r.latency = took
	} else {
		r.latency = (4*r.latency + took) / 5
	}
	r.failures, r.until, r.lastKind = 0, time.Time{}, ""
	r.mu.Unlock()
	f.m.latency.WithLabelValues(r.Name()).Observe(took.Seconds())
	f.m.fetched.WithLabelValues(r.Name()).Add(float64(n))
}

// slower raises r's latency estimate to at least d (r was outrun by d).
func (f *Fetcher) slower(r *remote, d time.Duration) {
	r.mu.Lock()
	if r.latency < d {
		r.latency = d
	}
	r.mu.Unlock()
}

func (f *Fetcher) failed(r *remote, kind string) {
	f.m.failures.WithLabelValues(r.Name(), kind).Inc()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastKind = kind
	if kind == KindNotFound {
		return // missing content is not ill health
	}
	r.failures++
	back := f.o.CooldownMin << min(r.failures-1, 20)
	r.until = time.Now().Add(min(back, f.o.CooldownMax))
}

// attempt is one remote's answer for one block.
type attempt struct {
	r    *remote
	data []byte
	err  error
}

// Block returns the bytes of block c, verified against c, from the first remote that
// has it. When every remote fails, the error names each one's failure.
func (f *Fetcher) Block(ctx context.Context, c cid.Cid) ([]byte, error) {
	if len(f.remotes) == 0 {
		return nil, errors.New("fetch: no IPFS remotes configured")
	}
	order := f.order(time.Now())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan attempt, len(order))
	next, inflight := 0, 0
	started := make([]time.Time, len(order))
	launch := func() {
		r := order[next]
		start := time.Now()
		started[next] = start
		next++
		inflight++
		go func() {
			actx, acancel := context.WithTimeout(ctx, f.o.AttemptTimeout)
			defer acancel()
			data, err := r.Block(actx, c)
			if err == nil {
				if verify(c, data) != nil {
					err = &RemoteError{Remote: r.Name(), Kind: KindVerify}
					f.m.verify.WithLabelValues(r.Name()).Inc()
					f.o.Logger.Warn("SECURITY: an IPFS remote sent a block that does not match its CID; remote put in cooldown",
						"remote", r.Name(), "cid", c.String())
				}
			}
			if err == nil {
				f.succeeded(r, time.Since(start), len(data))
			} else if ctx.Err() == nil { // not cancelled because another remote won
				err = classify(r.Name(), err)
				var re *RemoteError
				errors.As(err, &re)
				f.failed(r, re.Kind)
			}
			results <- attempt{r: r, data: data, err: err}
		}()
	}
	launch()
	hedge := time.NewTimer(f.hedgeDelay(order[0]))
	defer hedge.Stop()
	var errs []string
	for {
		select {
		case a := <-results:
			inflight--
			if a.err == nil {
				// Remotes still working on the block are at least this slow: remember
				// it, so that the next blocks go to the winner first.
				for i := range next {
					if order[i] != a.r {
						f.slower(order[i], time.Since(started[i]))
					}
				}
				return a.data, nil
			}
			errs = append(errs, a.err.Error())
			if next < len(order) && inflight == 0 {
				launch()
				hedge.Reset(f.hedgeDelay(order[next-1]))
			}
			if inflight == 0 {
				return nil, fmt.Errorf("fetch: block %s from no remote: %s", c, strings.Join(errs, "; "))
			}
		case <-hedge.C:
			if next < len(order) {
				launch()
				hedge.Reset(f.hedgeDelay(order[next-1]))
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("fetch: block %s: %w", c, ctx.Err())
		}
	}
}

// Describe implements prometheus.Collector, so that the Fetcher's metrics can be
// registered after it is made.
func (f *Fetcher) Describe(ch chan<- *prometheus.Desc) {
	f.m.latency.Describe(ch)
	f.m.failures.Describe(ch)
	f.m.verify.Describe(ch)
	f.m.fetched.Describe(ch)
	f.m.served.Describe(ch)
}

// Collect implements prometheus.Collector.
func (f *Fetcher) Collect(ch chan<- prometheus.Metric) {
	f.m.latency.Collect(ch)
	f.m.failures.Collect(ch)
	f.m.verify.Collect(ch)
	f.m.fetched.Collect(ch)
	f.m.served.Collect(ch)
}

// verify checks that data hashes to c.
func verify(c cid.Cid, data []byte) error {
	got, err := c.Prefix().Sum(data)
	if err != nil || !got.Equals(c) {
		return &RemoteError{Kind: KindVerify}
	}
	return nil
}

// Status reports every remote's health.
func (f *Fetcher) Status() []RemoteStatus {
	now := time.Now()
	out := make([]RemoteStatus, len(f.remotes))
	for i, r := range f.remotes {
		r.mu.Lock()
		out[i] = RemoteStatus{Name: r.Name(), Healthy: !now.Before(r.until), Latency: r.latency,
			ConsecutiveFailures: r.failures, LastFailure: r.lastKind}
		if now.Before(r.until) {
			out[i].CooldownUntil = r.until
		}
		r.mu.Unlock()
	}
	return out
}

// Ready returns nil when some remote answers a probe (remotes cooling down are probed
// last, and a successful probe ends a cooldown).
func (f *Fetcher) Ready(ctx context.Context) error {
	var errs []string
	for _, r := range f.order(time.Now()) {
		pctx, cancel := context.WithTimeout(ctx, f.o.AttemptTimeout)
		err := r.Probe(pctx)
		cancel()
		if err == nil {
			r.mu.Lock()
			r.failures, r.until = 0, time.Time{}
			r.mu.Unlock()
			return nil
		}
		errs = append(errs, classify(r.Name(), err).Error())
	}
	return fmt.Errorf("fetch: no IPFS remote answers: %s", strings.Join(errs, "; "))
}
