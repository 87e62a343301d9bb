package node

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// DefaultEventQueue is how many events a subscription may have waiting before it is
// closed as too slow.
const DefaultEventQueue = 1000

// ErrSubscriberTooSlow closes a subscription whose queue of undelivered events is full:
// it never slows writers or grows memory. The subscriber catches up with
// MessagesQuery from its last event.
var ErrSubscriberTooSlow = errors.New("subscription closed: the subscriber did not keep up with events (catch up with MessagesQuery)")

// event is a committed message, pushed to the tenant's matching subscriptions.
type event struct {
	tenant  string
	json    []byte // {"message":…,"initialWrite":…}
	indexes dwn.Indexes
}

// eventJSON renders an event: the message (without encodedData) and, for updates and
// deletes, the record's initial write.
func eventJSON(message, initialWrite []byte) []byte {
	b := make([]byte, 0, 32+len(message)+len(initialWrite))
	b = append(b, `{"message":`...)
	b = append(b, stripEncodedData(message)...)
	if initialWrite != nil {
		b = append(b, `,"initialWrite":`...)
		b = append(b, stripEncodedData(initialWrite)...)
	}
	return append(b, '}')
}

// stripEncodedData returns a message JSON without its encodedData property (events
// carry no data).
func stripEncodedData(m []byte) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(m, &obj) != nil {
		return m
	}
	if _, ok := obj["encodedData"]; !ok {
		return m
	}
	delete(obj, "encodedData")
	out, err := json.Marshal(obj)
	if err != nil {
		return m
	}
	return out
}

// bus fans committed events out to subscriptions.
type bus struct {
	queue int
	mu    sync.RWMutex
	subs  map[string]map[*Sub]struct{} // tenant → its subscriptions
}

func newBus(queue int) *bus {
	if queue <= 0 {
		queue = DefaultEventQueue
	}
	return &bus{queue: queue, subs: map[string]map[*Sub]struct{}{}}
}

// Sub is a live subscription: Events delivers its events (event JSON objects) until it
// is closed; Err then says why.
type Sub struct {
	b      *bus
	tenant string
	match  func(dwn.Indexes) bool
	ch     chan []byte
	done   chan struct{}
	once   sync.Once
	err    error
}

func (b *bus) subscribe(tenant string, match func(dwn.Indexes) bool) *Sub {
	s := &Sub{b: b, tenant: tenant, match: match, ch: make(chan []byte, b.queue), done: make(chan struct{})}
	b.mu.Lock()
	if b.subs[tenant] == nil {
		b.subs[tenant] = map[*Sub]struct{}{}
	}
	b.subs[tenant][s] = struct{}{}
	b.mu.Unlock()
	return s
}

// publish delivers e to every matching subscription of its tenant without blocking; a
// subscription whose queue is full is closed.
func (b *bus) publish(e *event) {
	b.mu.RLock()
	var slow []*Sub
	for s := range b.subs[e.tenant] {
		if !s.match(e.indexes) {
			continue
		}
		select {
		case s.ch <- e.json:
		default:
			slow = append(slow, s)
		}
	}
	b.mu.RUnlock()
	for _, s := range slow {
		s.close(ErrSubscriberTooSlow)
	}
}

// Events delivers the subscription's events in commit order.
func (s *Sub) Events() <-chan []byte { return s.ch }

// Done is closed when the subscription ends.
func (s *Sub) Done() <-chan struct{} { return s.done }

// Err says why the subscription ended (nil while it runs, or after Close).
func (s *Sub) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the subscription.
func (s *Sub) Close() { s.close(nil) }

func (s *Sub) close(reason error) {
	s.once.Do(func() {
		s.b.mu.Lock()
		delete(s.b.subs[s.tenant], s)
		if len(s.b.subs[s.tenant]) == 0 {
			delete(s.b.subs, s.tenant)
		}
		s.b.mu.Unlock()
		s.err = reason
		close(s.done)
	})
}

// Subscribers counts the live subscriptions (for metrics).
func (n *Node) Subscribers() int {
	n.events.mu.RLock()
	defer n.events.mu.RUnlock()
	c := 0
	for _, m := range n.events.subs {
		c += len(m)
	}
	return c
}

// hasSubscribers reports whether tenant has live subscriptions.
func (b *bus) hasSubscribers(tenant string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs[tenant]) > 0
}

// publishRecord publishes a committed RecordsWrite or RecordsDelete: the message and,
// unless it is the initial write itself, the record's initial write.
func (n *Node) publishRecord(ctx context.Context, tenant string, message []byte, cid, initialCID string, ix dwn.Indexes) {
	if !n.events.hasSubscribers(tenant) {
		return
	}
	var initial []byte
	if initialCID != "" && initialCID != cid {
		m, err := n.store.Message(ctx, tenant, initialCID)
		if err != nil {
			n.log.Error("event: read the initial write", "err", err)
			return
		}
		initial = m.JSON
	}
	n.events.publish(&event{tenant: tenant, json: eventJSON(message, initial), indexes: ix})
}

// recordsSubscribe answers a RecordsSubscribe: it authorizes the subscription as a
// RecordsQuery with the same filter and subscribes to the tenant's record events that
// one of the resulting filters matches.
func (n *Node) recordsSubscribe(ctx context.Context, r *request) (*Reply, error) {
	d := &r.msg.Descriptor
	if err := checkTimestamp(d.MessageTimestamp); err != nil {
		return nil, err
	}
	filters, err := n.recordsFilters(ctx, r, false)
	if err != nil {
		return nil, err
	}
	cid, err := dwn.ComputeCID(r.raw)
	if err != nil {
		return nil, err
	}
	sub := n.events.subscribe(r.tenant, func(ix dwn.Indexes) bool {
		if ix["interface"] != dwn.InterfaceRecords {
			return false
		}
		if m := ix["method"]; m != dwn.MethodWrite && m != dwn.MethodDelete {
			return false
		}
		for i := range filters {
			if filters[i].Match(ix) {
				return true
			}
		}
		return false
	})
	return &Reply{Status: dwn.Status{Code: 200, Detail: "OK"}, Subscription: &Subscription{ID: cid}, Sub: sub}, nil
}
