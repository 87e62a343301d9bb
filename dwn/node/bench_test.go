package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

// BenchmarkRecordsWrite measures the write path of a pre-signed 1 KiB RecordsWrite:
// parsing, schema validation, signature verification, CIDs and the store commit.
func BenchmarkRecordsWrite(b *testing.B) {
	n := newNode(b, Config{})
	tenant, signer := newIdentity(b)
	type pre struct {
		msg  []byte
		data []byte
	}
	msgs := make([]pre, b.N)
	for i := range msgs {
		data := make([]byte, 1024)
		rand.Read(data)
		m, err := builder.RecordsWrite(builder.Write{Data: data, Schema: "https://bench.example/s"}, signer)
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = pre{m.JSON, data}
	}
	b.ReportAllocs()
	b.SetBytes(1024)
	b.ResetTimer()
	for i := range msgs {
		rep, err := n.ProcessMessage(context.Background(), tenant, msgs[i].msg, bytes.NewReader(msgs[i].data))
		if err != nil || rep.Status.Code != 202 {
			b.Fatalf("%v %+v", err, rep)
		}
	}
}

// BenchmarkRecordsQuery measures an owner's first page of 20 by schema over 10^4 records.
func BenchmarkRecordsQuery(b *testing.B) {
	n := newNode(b, Config{})
	tenant, signer := newIdentity(b)
	seedRecords(b, n, tenant, signer, 10000)
	q, _ := builder.RecordsQuery(builder.Query{Filter: map[string]any{"schema": "https://bench.example/s"}, Limit: 20}, signer)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := n.ProcessMessage(context.Background(), tenant, q.JSON, nil)
		if err != nil || len(rep.Entries) != 20 {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordsQueryCursor measures the second page of 20 by schema over 10^4 records.
func BenchmarkRecordsQueryCursor(b *testing.B) {
	n := newNode(b, Config{})
	tenant, signer := newIdentity(b)
	seedRecords(b, n, tenant, signer, 10000)
	q, _ := builder.RecordsQuery(builder.Query{Filter: map[string]any{"schema": "https://bench.example/s"}, Limit: 20}, signer)
	first, err := n.ProcessMessage(context.Background(), tenant, q.JSON, nil)
	if err != nil || first.Cursor == nil {
		b.Fatal(err)
	}
	q2, _ := builder.RecordsQuery(builder.Query{Filter: map[string]any{"schema": "https://bench.example/s"}, Limit: 20, Cursor: first.Cursor}, signer)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := n.ProcessMessage(context.Background(), tenant, q2.JSON, nil)
		if err != nil || len(rep.Entries) != 20 {
			b.Fatal(err, rep.Status)
		}
	}
}

// seedRecords writes count records of 64 random bytes with the bench schema.
func seedRecords(b *testing.B, n *Node, tenant string, signer jws.Signer, count int) {
	b.Helper()
	for range count {
		data := make([]byte, 64)
		rand.Read(data)
		m, _ := builder.RecordsWrite(builder.Write{Data: data, Schema: "https://bench.example/s"}, signer)
		if rep, err := n.ProcessMessage(context.Background(), tenant, m.JSON, bytes.NewReader(data)); err != nil || rep.Status.Code != 202 {
			b.Fatal(err)
		}
	}
}
