package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema is one standalone JSON Schema (draft 2020-12, no external references),
// evaluated as Ajv evaluates it: the first error, in Ajv's keyword order, with Ajv's
// message. Protocol rules use it for the `$tags` of a rule set. It is immutable and safe
// for concurrent use.
type Schema struct {
	root *node
}

// Compile compiles the schema document doc (JSON). The keyword subset is the one the
// message schemas use plus contains/minContains/maxContains; other keywords are refused.
func Compile(doc []byte) (*Schema, error) {
	const u = baseURL + "standalone.json"
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("schemas: standalone schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	if err := c.AddResource(u, v); err != nil {
		return nil, fmt.Errorf("schemas: standalone schema: %w", err)
	}
	compiled, err := c.Compile(u)
	if err != nil {
		return nil, fmt.Errorf("schemas: standalone schema: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	ordered, err := decodeOrdered(d)
	if err != nil {
		return nil, fmt.Errorf("schemas: standalone schema: %w", err)
	}
	raw := map[string]*rawObject{}
	indexRaw(raw, u, nil, ordered)
	conv := &converter{raw: raw, nodes: map[*jsonschema.Schema]*node{}}
	n, err := conv.convert(compiled)
	if err != nil {
		return nil, fmt.Errorf("schemas: standalone schema: %w", err)
	}
	return &Schema{root: n}, nil
}

// ErrorText returns "" when instance (decoded JSON) is valid, and otherwise Ajv's
// errorsText of the first error with dataVar in place of "data": the instance path and
// the message, e.g. "https://p/a/$tags/status must be string".
func (s *Schema) ErrorText(instance any, dataVar string) string {
	if s.root.eval(instance, false) == nil {
		return ""
	}
	f := s.root.eval(instance, true)
	if f == nil || f == invalid {
		return dataVar + " is invalid"
	}
	return dataVar + instancePath(f.rpath) + " " + f.msg
}
