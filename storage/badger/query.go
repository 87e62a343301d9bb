package badger

import (
	"bytes"
	"context"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// QueryRecords implements dwn.MessageStore. Each filter becomes a stream of index
// suffixes in sort order: a leapfrog join over the index ranges of its equality
// conditions (or the all-records index when it has none). The streams of the filters are
// merged, duplicates dropped, and every candidate is checked against its filter's full
// conditions before it is returned. Work is bounded by the limit, not the tenant size,
// whenever the equality conditions are selective.
func (s *Store) QueryRecords(ctx context.Context, did string, q *dwn.Query) (*dwn.Page, error) {
	page := &dwn.Page{}
	tenant, known, err := s.tenantID(did, false)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.QueryRecords", err)
	}
	if !known {
		return page, nil
	}
	err = s.db.View(func(txn *badgerdb.Txn) error {
		sortTag := byte(sortCreated)
		if q.Sort == dwn.SortDatePublished {
			sortTag = sortPublished
		}
		var start []byte
		strict := false
		if q.Cursor != nil {
			v, _ := q.Cursor.Value.(string)
			start, strict = indexSuffix(v, q.Cursor.MessageCID), true
		} else if q.Descending {
			start = []byte{0xff}
		}
		streams := make([]*joinStream, 0, len(q.Filters))
		for i := range q.Filters {
			js, err := newJoinStream(txn, tenant, &q.Filters[i], sortTag, q.Descending)
			if err != nil {
				return err
			}
			defer js.close()
			js.advance(start, strict)
			streams = append(streams, js)
		}
		want := q.Limit
		var lastSort string
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			// Pick the stream whose head comes first in sort order.
			var best *joinStream
			for _, js := range streams {
				if js.head == nil {
					continue
				}
				if best == nil || before(js.head, best.head, q.Descending) {
					best = js
				}
			}
			if best == nil {
				return nil
			}
			head := best.head
			// Advance every stream positioned on the same entry (dedupe).
			matched := false
			var msg *dwn.StoredMessage
			for _, js := range streams {
				if js.head == nil || !bytes.Equal(js.head, head) {
					continue
				}
				if !matched {
					m, err := matchCandidate(txn, tenant, head, js.filter, q.AllIndexes)
					if err != nil {
						return err
					}
					matched, msg = m != nil, m
				}
				js.advance(head, true)
			}
			if !matched {
				continue
			}
			// Check the other filters too: a message matched by any filter is returned.
			if want > 0 && len(page.Entries) == want {
				page.Cursor = &dwn.Cursor{MessageCID: page.Entries[want-1].CID, Value: lastSort}
				return nil
			}
			page.Entries = append(page.Entries, *msg)
			lastSort, _ = splitSuffix(head)
		}
	})
	if err != nil {
		return nil, dwn.Wrap("storage/badger.QueryRecords", err)
	}
	return page, nil
}

// matchCandidate fetches the message of an index suffix and matches it against f
// without decoding its indexes; it returns nil when it does not match. The message
// carries all its indexes when all is set, else recordId and entryId only.
func matchCandidate(txn *badgerdb.Txn, tenant string, suffix []byte, f *dwn.Filter, all bool) (*dwn.StoredMessage, error) {
	_, cid := splitSuffix(suffix)
	item, err := txn.Get(key(ksMessage, tenant, cid))
	if err != nil {
		// An index entry always has its message in the same transaction.
		return nil, err
	}
	var m *dwn.StoredMessage
	err = item.Value(func(b []byte) error {
		p, err := splitMessage(b)
		if err != nil || !f.Match(p.indexes) {
			return err
		}
		m = p.copy(cid)
		if all {
			m.Indexes, err = decodeIndexes(p.indexes)
			return err
		}
		m.Indexes = dwn.Indexes{"recordId": p.indexes.Lookup("recordId"), "entryId": p.indexes.Lookup("entryId")}
		return nil
	})
	return m, err
}

func before(a, b []byte, desc bool) bool {
	c := bytes.Compare(a, b)
	if desc {
		return c > 0
	}
	return c < 0
}

// joinStream yields, in sort order, the index suffixes present in every one of its
// index ranges.
type joinStream struct {
	filter *dwn.Filter
	ranges []*indexRange // all ranges, for close
	active []*indexRange // the ranges the join still seeks
	desc   bool
	head   []byte // current suffix, nil when exhausted
}

type indexRange struct {
	it     *badgerdb.Iterator
	prefix []byte
	desc   bool
	cur    []byte // suffix the iterator is positioned on, nil if unknown
	// agreeRun counts the consecutive times this range already held the entry another
	// range proposed: a range that never disagrees filters nothing the others do not.
	agreeRun int
}

// lazyAfter is the number of consecutive agreements after which a range stops being
// sought. Its condition is still enforced: every candidate is matched against the full
// filter. A seek costs about as much as fetching a candidate, so a range that does not
// filter is cheaper to check per candidate than to keep seeking (a schema that every
// record has, joined with a tag that 1% have, costs one seek per result otherwise).
const lazyAfter = 8

func newJoinStream(txn *badgerdb.Txn, tenant string, f *dwn.Filter, sortTag byte, desc bool) (*joinStream, error) {
	js := &joinStream{filter: f, desc: desc}
	addRange := func(prop string, v any) bool {
		p, ok := indexPrefix(tenant, prop, v, sortTag)
		if !ok {
			return false
		}
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: p, Reverse: desc, PrefetchValues: false})
		js.ranges = append(js.ranges, &indexRange{it: it, prefix: p, desc: desc})
		return true
	}
	for prop, v := range f.Equal {
		if notIndexed[prop] {
			continue
		}
		addRange(prop, v)
	}
	for prop, p := range f.Prefix {
		// contextIds are indexed by their segment prefixes; other prefixes (tag
		// startsWith) are checked per candidate.
		if prop == "contextId" {
			addRange(prop, p)
		}
	}
	if len(js.ranges) == 0 {
		addRange("", nil)
	}
	js.active = append([]*indexRange(nil), js.ranges...)
	return js, nil
}

func (js *joinStream) close() {
	for _, r := range js.ranges {
		r.it.Close()
	}
}

// seek positions the range at the first suffix at or after target in its order (strictly
// after when strict) and returns it, or nil when the range is exhausted.
func (r *indexRange) seek(target []byte, strict bool) []byte {
	switch {
	case r.cur != nil && bytes.Equal(r.cur, target):
		// Already there (the common case of stepping past the entry just returned):
		// Next is far cheaper than a Seek through every table.
		if strict {
			r.it.Next()
		}
	default:
		k := make([]byte, 0, len(r.prefix)+len(target))
		k = append(append(k, r.prefix...), target...)
		r.it.Seek(k)
		if strict && r.it.Valid() && bytes.Equal(r.it.Item().Key(), k) {
			r.it.Next()
		}
	}
	if !r.it.Valid() {
		r.cur = nil
		return nil
	}
	r.cur = r.it.Item().KeyCopy(nil)[len(r.prefix):]
	return r.cur
}

// advance moves the stream to the first common suffix at or after target (strictly
// after when strict) of its active ranges: the leapfrog join. The result is a superset
// of the entries in every range (lazy ranges are not sought), so callers match every
// candidate against the filter.
func (js *joinStream) advance(target []byte, strict bool) {
	if target == nil {
		target = []byte{}
	}
	i, agreed := 0, 0
	for agreed < len(js.active) {
		r := js.active[i]
		s := r.seek(target, strict)
		if s == nil {
			js.head = nil
			return
		}
		if bytes.Equal(s, target) && !strict {
			agreed++
			r.agreeRun++
			if r.agreeRun >= lazyAfter && len(js.active) > 1 {
				// r holds whatever the others propose: stop seeking it.
				js.active = append(js.active[:i], js.active[i+1:]...)
				agreed--
				i %= len(js.active)
				continue
			}
		} else {
			if !strict {
				r.agreeRun = 0 // it disagreed with a proposal (a strict seek proposes)
			}
			target, strict, agreed = s, false, 1
		}
		i = (i + 1) % len(js.active)
	}
	js.head = target
}
