package kubotest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// add adds data through d's RPC API with the options dwnd uses and returns its CID.
func add(t *testing.T, d *Daemon, data []byte) string {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", "data")
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	resp, err := http.Post(d.API+"/api/v0/add?cid-version=1&raw-leaves=true&chunker=size-262144&quieter=true",
		w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("add: %d %s", resp.StatusCode, out)
	}
	i := strings.Index(string(out), `"Hash":"`)
	if i < 0 {
		t.Fatalf("add: %s", out)
	}
	rest := string(out[i+8:])
	return rest[:strings.IndexByte(rest, '"')]
}

func TestTwoDaemons(t *testing.T) {
	a := Start(t, Options{})
	b := Start(t, Options{Fetch: true})
	data := bytes.Repeat([]byte("dwn-ipfs "), 100_000) // 900 KB: four chunks
	c := add(t, a, data)
	if !strings.HasPrefix(c, "bafybei") {
		t.Fatalf("CID %s is not a CIDv1 dag-pb root", c)
	}
	if pins, err := a.Pins(); err != nil || !pins[c] {
		t.Fatalf("add did not pin %s: %v %v", c, pins, err)
	}

	// a's gateway answers a block it lacks with 404 at once.
	resp, err := http.Get(a.Gateway + "/ipfs/bafkreie7ohywtosou76tasm7j63yigtzxe7d5zqus4zu3j6oltvgtibeom?format=raw")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("a missing block answered %d", resp.StatusCode)
	}

	// b fetches the file from a once connected.
	if err := b.Connect(a); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(b.Gateway + "/ipfs/" + c)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("b's gateway served %d bytes, want the %d added to a", len(got), len(data))
	}

	a.Kill()
	if _, err := a.RPC("id"); err == nil {
		t.Fatal("a killed daemon still answers")
	}
	a.Restart()
	if pins, err := a.Pins(); err != nil || !pins[c] {
		t.Fatalf("after a restart the pin of %s is gone: %v", c, err)
	}
}
