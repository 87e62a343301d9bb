package builder

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/jwk"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

// TestReferenceRecordsWrite rebuilds the RecordsWrite of dwn-protocol.md Appendix A
// (made with @tbd54566975/dwn-sdk-js 0.5.2 and a fixed Ed25519 key) and checks that it
// is byte-identical: recordId, signature and message CID.
func TestReferenceRecordsWrite(t *testing.T) {
	var key jwk.JWK
	if err := json.Unmarshal([]byte(`{"kty":"OKP","crv":"Ed25519","x":"6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw","d":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc","alg":"EdDSA"}`), &key); err != nil {
		t.Fatal(err)
	}
	did := "did:jwk:eyJjcnYiOiJFZDI1NTE5Iiwia3R5IjoiT0tQIiwieCI6IjZrcHNZLUtjVWdxLTlWQjdFeTdGLVpWSGRxNi12bnVTUWg3cWFSUkcwaXcifQ"
	ts, _ := time.Parse(time.RFC3339Nano, "2024-01-02T03:04:05.678901Z")
	m, err := RecordsWrite(Write{Data: []byte("hello"), DataFormat: "text/plain", Schema: "https://example.com/schema", Time: ts},
		jws.PrivateKeySigner{Key: &key, KID: did + "#0"})
	if err != nil {
		t.Fatal(err)
	}
	if m.RecordID != "bafyreia523uyczhrkptzhmxmr7p2w2cu46lwknjrd3zeaajlzaosumjo54" {
		t.Errorf("recordId = %s", m.RecordID)
	}
	sig := m.Value["authorization"].(map[string]any)["signature"].(map[string]any)
	if sig["payload"] != "eyJyZWNvcmRJZCI6ImJhZnlyZWlhNTIzdXljemhya3B0emhteG1yN3AydzJjdTQ2bHdrbmpyZDN6ZWFhamx6YW9zdW1qbzU0IiwiZGVzY3JpcHRvckNpZCI6ImJhZnlyZWloYjNyZGs3Z2hxbXZjbjMyN2FudXFkaTRhbTR4Mmc3cWV3anR2b3Z6d29qNTVmejJjNnd5In0" {
		t.Errorf("payload = %s", sig["payload"])
	}
	if s := sig["signatures"].([]any)[0].(map[string]any)["signature"]; s != "jC4TVJ_KKMRNwl6MOq4ZlXHJNDTX_ZYWTmRgfWuIfR3UpaU2pp68VzDup5p7-sdr_TfSrRSIbZU6QONpJ9Q1Dg" {
		t.Errorf("signature = %s", s)
	}
	if m.CID != "bafyreigqjwi6ykwrr6fexyt2vpanxofbftkihumbqnwadb4gujbh6qjvm4" {
		t.Errorf("message CID = %s", m.CID)
	}
}
