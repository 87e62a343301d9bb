package badger

import (
	"context"
	"errors"
	"slices"
	"strings"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// protocolState is the stored pointer to a protocol's configuration.
type protocolState struct {
	CID       string `json:"c"`
	Timestamp string `json:"t"`
}

// ApplyProtocol implements dwn.MessageStore.
func (s *Store) ApplyProtocol(ctx context.Context, did string, u *dwn.ProtocolUpdate) error {
	tenant, _, err := s.tenantID(did, true)
	if err != nil {
		return dwn.Wrap("storage/badger.ApplyProtocol", err)
	}
	ts := s.tenant(tenant)
	for range maxApplyRetries {
		if err = ctx.Err(); err != nil {
			return err
		}
		ts.mu.Lock()
		var done <-chan error
		done, err = s.applyProtocolOnce(tenant, ts, u)
		ts.mu.Unlock()
		if err == nil {
			err = <-done
		}
		if !errors.Is(err, badgerdb.ErrConflict) {
			break
		}
	}
	if err != nil {
		return dwn.Wrap("storage/badger.ApplyProtocol", err)
	}
	return nil
}

func (s *Store) applyProtocolOnce(tenant string, ts *tenantState, u *dwn.ProtocolUpdate) (<-chan error, error) {
	txn := s.db.NewTransaction(true)
	committing := false
	defer func() {
		if !committing {
			txn.Discard()
		}
	}()
	if !ts.loaded {
		seq, err := lastSeq(txn, tenant)
		if err != nil {
			return nil, err
		}
		ts.nextSeq, ts.loaded = seq+1, true
	}
	pk := key(ksProtocol, tenant, u.Protocol)
	var old protocolState
	found, err := getJSON(txn, pk, &old)
	if err != nil {
		return nil, err
	}
	if old.CID != u.ExpectNewestCID {
		return nil, &dwn.Error{Kind: dwn.Conflict, Message: "Conflict", Op: "protocol changed concurrently"}
	}
	if found {
		if err := deleteMessage(txn, tenant, old.CID); err != nil {
			return nil, err
		}
	}
	val, err := encodeMessage(&u.Message)
	if err != nil {
		return nil, err
	}
	if err := txn.Set(key(ksMessage, tenant, u.Message.CID), val); err != nil {
		return nil, err
	}
	seq := ts.nextSeq
	if err := txn.Set(seqKey(tenant, seq), []byte(u.Message.CID)); err != nil {
		return nil, err
	}
	if err := txn.Set(key(ksEventCID, tenant, u.Message.CID), seqValue(seq)); err != nil {
		return nil, err
	}
	if err := setJSON(txn, pk, &protocolState{CID: u.Message.CID, Timestamp: u.Timestamp}); err != nil {
		return nil, err
	}
	ch := make(chan error, 1)
	committing = true
	txn.CommitWith(func(err error) { ch <- err })
	ts.nextSeq++
	return ch, nil
}

// Protocol implements dwn.MessageStore.
func (s *Store) Protocol(ctx context.Context, did, protocol string) (*dwn.StoredMessage, error) {
	tenant, known, err := s.tenantID(did, false)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Protocol", err)
	}
	if !known {
		return nil, notFound("protocol")
	}
	var m *dwn.StoredMessage
	err = s.db.View(func(txn *badgerdb.Txn) error {
		var st protocolState
		found, err := getJSON(txn, key(ksProtocol, tenant, protocol), &st)
		if err != nil {
			return err
		}
		if !found {
			return notFound("protocol")
		}
		m, err = getMessage(txn, tenant, st.CID, true)
		return err
	})
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Protocol", err)
	}
	return m, nil
}

// Protocols implements dwn.MessageStore. A tenant has few protocols: they are read in
// full and sorted.
func (s *Store) Protocols(ctx context.Context, did string) ([]dwn.StoredMessage, error) {
	tenant, known, err := s.tenantID(did, false)
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Protocols", err)
	}
	if !known {
		return nil, nil
	}
	type entry struct {
		st protocolState
		m  *dwn.StoredMessage
	}
	var out []entry
	err = s.db.View(func(txn *badgerdb.Txn) error {
		prefix := tenantPrefix(ksProtocol, tenant, 0)
		it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var st protocolState
			if _, err := getJSON(txn, it.Item().KeyCopy(nil), &st); err != nil {
				return err
			}
			m, err := getMessage(txn, tenant, st.CID, true)
			if err != nil {
				return err
			}
			out = append(out, entry{st, m})
		}
		return nil
	})
	if err != nil {
		return nil, dwn.Wrap("storage/badger.Protocols", err)
	}
	slices.SortFunc(out, func(a, b entry) int {
		if c := strings.Compare(a.st.Timestamp, b.st.Timestamp); c != 0 {
			return c
		}
		return strings.Compare(a.st.CID, b.st.CID)
	})
	msgs := make([]dwn.StoredMessage, len(out))
	for i, e := range out {
		msgs[i] = *e.m
	}
	return msgs, nil
}
