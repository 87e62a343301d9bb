package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
)

// TestConcurrentUpdates sends many updates of one record at once: every one gets 202
// or 409, and the record ends at the newest of all of them (the largest messageTimestamp,
// then CID), whatever order they were processed in.
func TestConcurrentUpdates(t *testing.T) {
	n := newNode(t, Config{})
	tenant, signer := newIdentity(t)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	initial, err := builder.RecordsWrite(builder.Write{Data: []byte("v0"), Time: base}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if rep := process(t, n, tenant, initial.JSON, []byte("v0")); rep.Status.Code != 202 {
		t.Fatalf("initial write: %+v", rep.Status)
	}
	type upd struct {
		m    *builder.Message
		data []byte
	}
	var updates []upd
	for i := range 24 {
		data := []byte(fmt.Sprintf("v%d", i+1))
		// Pairs share a timestamp, so the CID tie-break is exercised too.
		m, err := builder.Update(initial.Value, builder.Write{Data: data, Time: base.Add(time.Duration(1+i/2) * time.Second)}, signer)
		if err != nil {
			t.Fatal(err)
		}
		updates = append(updates, upd{m, data})
	}
	newest := updates[0]
	for _, u := range updates[1:] {
		ts := func(m *builder.Message) string {
			return m.Value["descriptor"].(map[string]any)["messageTimestamp"].(string)
		}
		if newer(ts(u.m), u.m.CID, ts(newest.m), newest.m.CID) {
			newest = u
		}
	}
	var wg sync.WaitGroup
	for _, u := range updates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := n.ProcessMessage(context.Background(), tenant, u.m.JSON, bytes.NewReader(u.data))
			if err != nil {
				t.Error(err)
				return
			}
			if rep.Status.Code != 202 && rep.Status.Code != 409 {
				t.Errorf("update: %+v", rep.Status)
			}
		}()
	}
	wg.Wait()
	r, _ := builder.RecordsRead(initial.RecordID, signer)
	rep, err := n.ProcessMessage(context.Background(), tenant, r.JSON, nil)
	if err != nil || rep.Status.Code != 200 {
		t.Fatalf("read: %v %+v", err, rep)
	}
	defer rep.Data.Close()
	var buf bytes.Buffer
	buf.ReadFrom(rep.Data)
	var w struct {
		Descriptor struct {
			MessageTimestamp string `json:"messageTimestamp"`
		} `json:"descriptor"`
	}
	json.Unmarshal(rep.Entry.RecordsWrite, &w)
	if buf.String() != string(newest.data) {
		t.Fatalf("record ended at %q (%s), want %q", buf.String(), w.Descriptor.MessageTimestamp, newest.data)
	}
	q, _ := builder.RecordsQuery(builder.Query{Filter: map[string]any{"recordId": initial.RecordID}}, signer)
	if rep := process(t, n, tenant, q.JSON, nil); len(rep.Entries) != 1 {
		t.Fatalf("query lists %d entries for one record", len(rep.Entries))
	}
}
