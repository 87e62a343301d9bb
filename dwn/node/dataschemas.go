package node

import (
	"context"
	"fmt"
	"io"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/protocols"
	"github.com/dwn-ipfs/dwn-ipfs/schemas/dataschema"
)

// The built-in schema protocol: with Config.TenantSchemas, a tenant installs a JSON
// Schema for a URI by writing it as a record at path "schema" of this protocol, with
// the URI as its "uri" tag. Its records are the tenant's to write; anyone may read and
// query them, so that apps can fetch the schemas a DWN enforces.
const (
	SchemaProtocol = "https://github.com/dwn-ipfs/dwn-ipfs/protocols/json-schema"
	schemaPath     = "schema"
)

// schemaDefinition is the schema protocol's fixed definition. Its $size max is
// dataschema.DefaultMaxSchemaBytes.
const schemaDefinition = `{"protocol":"https://github.com/dwn-ipfs/dwn-ipfs/protocols/json-schema","published":true,
"types":{"schema":{"dataFormats":["application/schema+json","application/json"]}},
"structure":{"schema":{"$size":{"max":262144},"$tags":{"$requiredTags":["uri"],"uri":{"type":"string"}},
"$actions":[{"who":"anyone","can":["read","query"]}]}}}`

// setupDataSchemas creates the registry of data schemas when the configuration asks
// for them: the directory's schemas, and the tenants' own when enabled.
func (n *Node) setupDataSchemas(ctx context.Context) error {
	if n.cfg.DataSchemaDir == "" && !n.cfg.TenantSchemas {
		return nil
	}
	opts := dataschema.Options{MaxDataBytes: n.cfg.MaxSchemaDataSize}
	if n.cfg.TenantSchemas {
		def, err := protocols.ParseDefinition([]byte(schemaDefinition))
		if err == nil {
			err = def.Validate()
		}
		if err != nil {
			return fmt.Errorf("schema protocol: %w", err)
		}
		n.schemaDef = def
		opts.Source = tenantSchemas{n}
	}
	n.dataSchemas = dataschema.New(opts)
	if n.cfg.DataSchemaDir != "" {
		count, err := n.dataSchemas.LoadDir(ctx, n.cfg.DataSchemaDir)
		if err != nil {
			return fmt.Errorf("data schemas: %w", err)
		}
		n.log.Info("data schemas loaded", "dir", n.cfg.DataSchemaDir, "count", count)
	}
	return nil
}

// tenantSchemas finds the schemas tenants installed: the newest schema record tagged
// with the URI.
type tenantSchemas struct{ n *Node }

func (t tenantSchemas) TenantSchema(ctx context.Context, tenant, uri string) ([]byte, bool, error) {
	n := t.n
	f := dwn.Filter{Equal: map[string]any{"protocol": SchemaProtocol, "protocolPath": schemaPath, "tag.uri": uri}}
	page, err := n.store.QueryRecords(ctx, tenant, &dwn.Query{Filters: []dwn.Filter{f}, Descending: true, Limit: 1})
	if err != nil || len(page.Entries) == 0 {
		return nil, false, err
	}
	id, _ := page.Entries[0].Indexes["recordId"].(string)
	st, err := n.store.Record(ctx, tenant, id)
	if err != nil {
		return nil, false, err
	}
	m, err := n.store.Message(ctx, tenant, st.NewestCID)
	if err != nil {
		return nil, false, err
	}
	if m.EncodedData != nil {
		return m.EncodedData, true, nil
	}
	ref, err := n.data.Ref(ctx, tenant, st.DataCID)
	if err != nil {
		return nil, false, err
	}
	rc, err := n.data.Open(ctx, tenant, ref, 0)
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, dataschema.DefaultMaxSchemaBytes+1))
	return b, err == nil, err
}

// schemaCheck is what a RecordsWrite's data is checked against beyond the reference:
// a JSON Schema its data must match, or, for a record of the schema protocol, the
// schema it installs.
type schemaCheck struct {
	uri     string // the schema the data must match, or the URI a schema record installs
	install bool   // the record installs a schema
	data    capture
}

// dataSchemaCheck returns what the data of a RecordsWrite must be checked against, nil
// for nothing. Data too large to validate is refused before it is read.
func (n *Node) dataSchemaCheck(ctx context.Context, tenant string, d *dwn.Descriptor) (*schemaCheck, error) {
	if n.dataSchemas == nil {
		return nil, nil
	}
	if n.schemaDef != nil && d.Protocol == SchemaProtocol && d.ProtocolPath == schemaPath {
		uri, _ := d.Tags["uri"].(string)
		return &schemaCheck{uri: uri, install: true, data: capture{limit: dataschema.DefaultMaxSchemaBytes}}, nil
	}
	if d.Schema == "" || d.DataFormat != "application/json" {
		return nil, nil
	}
	known, err := n.dataSchemas.Known(ctx, tenant, d.Schema)
	if err != nil || !known {
		return nil, err
	}
	if max := n.dataSchemas.MaxDataBytes(); d.DataSize > max {
		return nil, dwn.Errorf(dwn.TooLarge, dataschema.CodeDataTooLarge,
			"data of %d bytes is larger than the %d bytes validated against schema %s", d.DataSize, max, truncate(d.Schema, 200))
	}
	return &schemaCheck{uri: d.Schema, data: capture{limit: int(d.DataSize)}}, nil
}

// check validates the captured data, which passed the data integrity checks.
func (n *Node) checkDataSchema(ctx context.Context, tenant string, c *schemaCheck) error {
	if c.install {
		return n.dataSchemas.CheckSchema(c.uri, c.data.buf)
	}
	return n.dataSchemas.Validate(ctx, tenant, c.uri, c.data.buf)
}

// capture keeps a copy of the first limit bytes written to it.
type capture struct {
	buf   []byte
	limit int
}

func (c *capture) Write(p []byte) (int, error) {
	if room := c.limit - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// schemaChanged drops what the registry remembers of the tenant's schema records for
// these URIs after one was written or deleted.
func (n *Node) schemaChanged(tenant string, uris ...string) {
	for _, u := range uris {
		if u != "" {
			n.dataSchemas.Invalidate(tenant, u)
		}
	}
}

// schemaURIOf returns the URI a stored schema record installs, "" if unknown.
func (n *Node) schemaURIOf(ctx context.Context, tenant, cid string) string {
	m, err := n.store.Message(ctx, tenant, cid)
	if err != nil {
		return ""
	}
	uri, _ := m.Indexes["tag.uri"].(string)
	return uri
}
