package badger

import (
	"encoding/binary"
	"math"
	"strings"
)

// Keyspace tags: the first byte of every key. Never reuse or renumber one; add new tags
// and bump formatVersion when the meaning of an existing one changes.
const (
	ksMeta      = 'V' // global: format version, tenant id counter
	ksTenant    = 'T' // global: tenant DID → its short id (uvarint), used in every other key
	ksMessage   = 'M' // tenant, messageCid → message value
	ksRecord    = 'R' // tenant, recordId → record state
	_           = 'K' // reserved (index key lists of an unreleased layout)
	ksIndex     = 'I' // tenant, prop, value, sort, sortValue 0x00 messageCid → empty
	ksChild     = 'C' // tenant, parentId 0x00 recordId → empty
	ksEvent     = 'E' // tenant, seq(8, big-endian) → messageCid
	ksEventCID  = 'e' // tenant, messageCid → seq
	ksDataRef   = 'D' // tenant, dataCid → data reference
	_           = 'B' // reserved (blob chunks of an unreleased layout)
	ksPending   = 'U' // tenant, blob → pending upload marker
	ksGarbage   = 'G' // tenant, blob → blob to delete
	ksProtocol  = 'P' // tenant, protocol → its configuration (protocolState)
	ksBlobRef   = 'b' // global: blob, tenant → empty: the tenants whose data references name the blob
	ksConvert   = 'X' // tenant, dataCid → tenant DID: the data's blob must change form (publicBlobs)
	ksTenantKey = 'k' // tenant → its wrapped data-encryption keys (tenantKeysValue)
)

// blobRefPrefix is the prefix of the ksBlobRef keys of a blob.
func blobRefPrefix(blob string) []byte {
	b := append([]byte{ksBlobRef}, binary.AppendUvarint(nil, uint64(len(blob)))...)
	return append(b, blob...)
}

// blobRefKey is the ksBlobRef key of (blob, tenant id).
func blobRefKey(blob, tenant string) []byte {
	return append(blobRefPrefix(blob), tenant...)
}

// formatVersion is the on-disk layout version written under ksMeta.
const formatVersion = 1

var (
	metaVersionKey  = []byte{ksMeta, 'v'}
	metaTenantIDKey = []byte{ksMeta, 't'} // the last tenant id given out (uint64)
	metaBlobsKey    = []byte{ksMeta, 'b'} // the kind of blob backend the directory's data is in
)

// tenantPrefix returns the keyspace tag followed by the length-prefixed tenant id (the
// short id the store gave the tenant's DID, see Store.tenantID), so tenants never share
// a key range and a tenant purge is a prefix delete. The id keeps keys short: DIDs are
// often over 100 bytes and every index entry carries one.
func tenantPrefix(ks byte, tenant string, extra int) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen32+len(tenant)+extra)
	b = append(b, ks)
	b = binary.AppendUvarint(b, uint64(len(tenant)))
	return append(b, tenant...)
}

func key(ks byte, tenant string, parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := tenantPrefix(ks, tenant, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

// Sort tags inside index keys.
const (
	sortCreated   = 'c'
	sortPublished = 'p'
)

// appendIndexValue appends an encoding of v that keeps equal values equal and orders
// numbers numerically: 's' len string | 'n' 8 bytes | 'b' 0/1.
func appendIndexValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		b = append(b, 's')
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...), true
	case float64:
		bits := math.Float64bits(x)
		if x >= 0 {
			bits ^= 1 << 63
		} else {
			bits = ^bits
		}
		return binary.BigEndian.AppendUint64(append(b, 'n'), bits), true
	case int:
		return appendIndexValue(b, float64(x))
	case int64:
		return appendIndexValue(b, float64(x))
	case bool:
		if x {
			return append(b, 'b', 1), true
		}
		return append(b, 'b', 0), true
	}
	return b, false
}

// indexPrefix is the key prefix of the index entries of (prop, value) sorted by sort.
// An empty prop is the index of all queryable records.
func indexPrefix(tenant, prop string, value any, sort byte) ([]byte, bool) {
	b := tenantPrefix(ksIndex, tenant, len(prop)+48)
	b = binary.AppendUvarint(b, uint64(len(prop)))
	b = append(b, prop...)
	if prop != "" {
		var ok bool
		if b, ok = appendIndexValue(b, value); !ok {
			return nil, false
		}
	}
	return append(b, sort), true
}

// indexSuffix is the part of an index key after the prefix: the sort value and the
// messageCid. Sort values are fixed-width timestamps, so byte order is time order.
func indexSuffix(sortValue, messageCID string) []byte {
	b := make([]byte, 0, len(sortValue)+1+len(messageCID))
	b = append(b, sortValue...)
	b = append(b, 0)
	return append(b, messageCID...)
}

func splitSuffix(s []byte) (sortValue, messageCID string) {
	v, c, _ := strings.Cut(string(s), "\x00")
	return v, c
}

// notIndexed are properties that are only range-filtered or sorted on; they get no
// equality index entries.
var notIndexed = map[string]bool{
	"dateCreated": true, "datePublished": true, "messageTimestamp": true, "dataSize": true,
	"interface": true, "method": true, "isLatestBaseState": true, "entryId": true,
}

// contextPrefixes returns "a", "a/b", "a/b/c" for "a/b/c".
func contextPrefixes(ctxID string) []string {
	var out []string
	for i := 0; i < len(ctxID); i++ {
		if ctxID[i] == '/' {
			out = append(out, ctxID[:i])
		}
	}
	return append(out, ctxID)
}

func seqKey(tenant string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(tenantPrefix(ksEvent, tenant, 8), seq)
}

// seqValue is the stored form of an event sequence number (ksEventCID values).
func seqValue(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
