package node

import (
	"strings"
	"testing"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/builder"
	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

const noteSchema = "https://schemas.example.com/note.json"

// schemaFixture is a node with data schema checks and a tenant.
type schemaFixture struct {
	t      *testing.T
	n      *Node
	tenant string
	owner  jws.Signer
	clock  time.Time
}

func newSchemaFixture(t *testing.T, cfg Config) *schemaFixture {
	f := &schemaFixture{t: t, n: newNode(t, cfg), clock: time.Now().Add(-time.Hour)}
	f.tenant, f.owner = newIdentity(t)
	return f
}

func (f *schemaFixture) send(what string, m *builder.Message, data []byte, code int, detailPrefix string) *Reply {
	f.t.Helper()
	rep := process(f.t, f.n, f.tenant, m.JSON, data)
	if rep.Status.Code != code || !strings.HasPrefix(rep.Status.Detail, detailPrefix) {
		f.t.Fatalf("%s: got %d %q, want %d %s...", what, rep.Status.Code, rep.Status.Detail, code, detailPrefix)
	}
	return rep
}

func (f *schemaFixture) write(s jws.Signer, w builder.Write) *builder.Message {
	f.t.Helper()
	f.clock = f.clock.Add(time.Second)
	w.Time = f.clock
	m, err := builder.RecordsWrite(w, s)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func TestDataSchemasFromDirectory(t *testing.T) {
	f := newSchemaFixture(t, Config{DataSchemaDir: "testdata/dataschemas", MaxSchemaDataSize: 64 << 10})
	long := `{"title":"t","lines":[` + strings.Repeat(`"a line",`, 4000) + `"the end"]}`
	tooLong := `{"title":"t","lines":[` + strings.Repeat(`"a line",`, 4000) + `"` + strings.Repeat("x", 81) + `"]}`
	tests := []struct {
		name, schema, format, data string
		code                       int
		detail                     string
	}{
		{"valid", noteSchema, "application/json", `{"title":"hello"}`, 202, ""},
		{"missing title", noteSchema, "application/json", `{"lines":[]}`, 400, "DataSchemaMismatch"},
		{"wrong type deep inside", noteSchema, "application/json", `{"title":"t","lines":["ok",7]}`, 400, "DataSchemaMismatch: data does not match schema " + noteSchema + ": /lines/1:"},
		{"not JSON", noteSchema, "application/json", `{"title":`, 400, "DataSchemaInvalidData"},
		{"another data format is not checked", noteSchema, "text/plain", `not json`, 202, ""},
		{"an unknown schema is not checked", "https://schemas.example.com/other.json", "application/json", `[1]`, 202, ""},
		{"large valid data, stored outside the message", noteSchema, "application/json", long, 202, ""},
		{"large invalid data", noteSchema, "application/json", tooLong, 400, "DataSchemaMismatch: data does not match schema " + noteSchema + ": /lines/4000:"},
		{"data above the validation limit", noteSchema, "application/json", `{"title":"` + strings.Repeat("x", 64<<10) + `"}`, 400, "DataSchemaDataTooLarge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			m := f.write(f.owner, builder.Write{Data: []byte(tc.data), DataFormat: tc.format, Schema: tc.schema})
			f.send(tc.name, m, []byte(tc.data), tc.code, tc.detail)
			// Nothing of a refused write is kept.
			r, err := builder.RecordsRead(m.RecordID, f.owner)
			if err != nil {
				t.Fatal(err)
			}
			want := 200
			if tc.code != 202 {
				want = 404
			}
			f.send("read back", r, nil, want, "")
		})
	}
}

func TestDataSchemasOfTenants(t *testing.T) {
	f := newSchemaFixture(t, Config{TenantSchemas: true})
	_, bob := newIdentity(t)
	const todo = "https://example.com/schemas/todo"
	schema := func(s jws.Signer, uri, body string) (*builder.Message, []byte) {
		return f.write(s, builder.Write{Data: []byte(body), DataFormat: "application/schema+json", Published: true,
			Protocol: SchemaProtocol, ProtocolPath: "schema", Tags: map[string]any{"uri": uri}}), []byte(body)
	}
	todoWrite := func(data string) (*builder.Message, []byte) {
		return f.write(f.owner, builder.Write{Data: []byte(data), DataFormat: "application/json", Schema: todo}), []byte(data)
	}
	const todoSchema = `{"type":"object","required":["task"],"properties":{"task":{"type":"string"},"done":{"type":"boolean"}}}`

	m, d := todoWrite(`{"done":1}`)
	f.send("before any schema is installed", m, d, 202, "")
	m, d = schema(f.owner, todo, `{"type":"object","properties":{"x":{"$ref":"https://elsewhere.example/x"}}}`)
	f.send("a schema that refers to an unknown schema", m, d, 400, "DataSchemaInvalid")
	m, d = schema(f.owner, todo, `{"$id":"https://example.com/schemas/other","type":"object"}`)
	f.send("a schema whose $id is another URI", m, d, 400, "DataSchemaInvalid")
	m, d = schema(bob, todo, todoSchema)
	f.send("a stranger installs a schema", m, d, 401, "ProtocolAuthorization")
	installed, d := schema(f.owner, todo, todoSchema)
	f.send("the tenant installs a schema", installed, d, 202, "")

	m, d = todoWrite(`{"task":"write tests","done":true}`)
	f.send("a valid todo", m, d, 202, "")
	m, d = todoWrite(`{"task":"write tests","done":"yes"}`)
	rep := f.send("an invalid todo", m, d, 400, "DataSchemaMismatch")
	if !strings.Contains(rep.Status.Detail, ": /done: ") {
		t.Fatalf("the detail does not point at /done: %q", rep.Status.Detail)
	}

	// Anyone may list the schemas a DWN enforces, when they are published.
	q, err := builder.RecordsQuery(builder.Query{Filter: map[string]any{"protocol": SchemaProtocol}}, bob)
	if err != nil {
		t.Fatal(err)
	}
	if rep := f.send("bob lists the schemas", q, nil, 200, ""); len(rep.Entries) != 1 {
		t.Fatalf("bob sees %d schemas, want 1", len(rep.Entries))
	}

	// Other tenants' records are not checked against this tenant's schemas.
	other := &schemaFixture{t: t, n: f.n, clock: f.clock}
	other.tenant, other.owner = newIdentity(t)
	m = other.write(other.owner, builder.Write{Data: []byte(`{"done":"yes"}`), DataFormat: "application/json", Schema: todo})
	other.send("another tenant's todo", m, []byte(`{"done":"yes"}`), 202, "")

	// Deleting the schema record uninstalls it at once.
	f.clock = f.clock.Add(time.Second)
	del, err := builder.RecordsDelete(installed.RecordID, false, f.clock, f.owner)
	if err != nil {
		t.Fatal(err)
	}
	f.send("delete the schema", del, nil, 202, "")
	m, d = todoWrite(`{"task":"write tests","done":"yes"}`)
	f.send("after the schema is deleted", m, d, 202, "")
}
