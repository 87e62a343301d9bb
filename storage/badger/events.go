package badger

import (
	"context"
	"encoding/binary"
	"errors"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
)

// eventBatch is how many events Events reads per read transaction, so that a long
// catch-up neither holds one transaction open nor loads the log into memory.
const eventBatch = 256

// Events implements dwn.MessageStore: it walks the tenant's event log after sequence
// number after, in order, calling fn with each event's sequence number and message
// (with its indexes), until fn returns dwn.ErrStop or an error, or the log ends.
func (s *Store) Events(ctx context.Context, did string, after uint64, fn func(seq uint64, m *dwn.StoredMessage) error) error {
	tenant, known, err := s.tenantID(did, false)
	if err != nil || !known {
		return err
	}
	prefix := tenantPrefix(ksEvent, tenant, 0)
	for {
		type entry struct {
			seq uint64
			m   *dwn.StoredMessage
		}
		batch := make([]entry, 0, eventBatch)
		err := s.db.View(func(txn *badgerdb.Txn) error {
			it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: prefix})
			defer it.Close()
			for it.Seek(binary.BigEndian.AppendUint64(append([]byte{}, prefix...), after+1)); it.Valid() && len(batch) < eventBatch; it.Next() {
				k := it.Item().Key()
				if len(k) != len(prefix)+8 {
					return errCorrupt
				}
				cid, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				m, err := getMessage(txn, tenant, string(cid), true)
				if err != nil {
					return err
				}
				batch = append(batch, entry{binary.BigEndian.Uint64(k[len(prefix):]), m})
			}
			return nil
		})
		if err != nil {
			return dwn.Wrap("storage/badger.Events", err)
		}
		for _, e := range batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(e.seq, e.m); err != nil {
				if errors.Is(err, dwn.ErrStop) {
					return nil
				}
				return err
			}
			after = e.seq
		}
		if len(batch) < eventBatch {
			return nil
		}
	}
}

// EventSeq returns the sequence number of a message's event; NotFound when the message
// has none (any more).
func (s *Store) EventSeq(ctx context.Context, did, messageCID string) (uint64, error) {
	tenant, known, err := s.tenantID(did, false)
	if err != nil {
		return 0, dwn.Wrap("storage/badger.EventSeq", err)
	}
	if !known {
		return 0, notFound("event")
	}
	var seq uint64
	err = s.db.View(func(txn *badgerdb.Txn) error {
		item, err := txn.Get(key(ksEventCID, tenant, messageCID))
		if errors.Is(err, badgerdb.ErrKeyNotFound) {
			return notFound("event")
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 8 {
				return errCorrupt
			}
			seq = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	if err != nil {
		return 0, dwn.Wrap("storage/badger.EventSeq", err)
	}
	return seq, nil
}
