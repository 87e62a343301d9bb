package dataschema_test

import (
	"context"
	"fmt"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/schemas/dataschema"
)

func ExampleRegistry_Validate() {
	ctx := context.Background()
	reg := dataschema.New(dataschema.Options{})
	n, err := reg.LoadDir(ctx, "testdata/schemas")
	if err != nil {
		panic(err)
	}
	fmt.Println("loaded", n)

	const uri = "https://schemas.example.com/post.json"
	for _, data := range []string{
		`{"title": "Hi", "body": "", "author": {"name": "Ann", "address": {"street": "1 Main St", "zip": "12345"}}}`,
		`{"title": "Hi", "body": "", "author": {"name": "Ann", "address": {"street": "1 Main St", "zip": "123"}}}`,
		`{"body": "", "author": {"name": "Ann"}}`,
		`{"title": "Hi", "title": "Ho"}`,
	} {
		err := reg.Validate(ctx, "did:example:alice", uri, []byte(data))
		st := dwn.StatusOf(err)
		if err == nil {
			st = dwn.Status{Code: 202, Detail: "Accepted"}
		}
		fmt.Println(st.Code, st.Detail)
	}
	// Output:
	// loaded 3
	// 202 Accepted
	// 400 DataSchemaMismatch: data does not match schema https://schemas.example.com/post.json: /author/address/zip: does not match pattern "^[0-9]{5}$"
	// 400 DataSchemaMismatch: data does not match schema https://schemas.example.com/post.json: (root): missing required property "title"
	// 400 DataSchemaInvalidData: data for schema https://schemas.example.com/post.json: duplicate property name at /title
}

func ExampleRegistry_CheckSchema() {
	reg := dataschema.New(dataschema.Options{})
	const uri = "https://alice.example/schemas/note.json"
	for _, schema := range []string{
		`{"$id": "https://alice.example/schemas/note.json", "type": "object", "required": ["text"]}`,
		`{"type": "object", "properties": {"text": {"type": "strin"}}}`,
		`{"$ref": "https://schemas.example.net/remote.json"}`,
	} {
		if err := reg.CheckSchema(uri, []byte(schema)); err != nil {
			fmt.Println(dwn.StatusOf(err).Detail)
			continue
		}
		fmt.Println("ok")
	}
	// Output:
	// ok
	// DataSchemaInvalid: schema does not compile: invalid at /properties/text/type: must be one of "array", "boolean", "integer", "null", "number", "object", "string"
	// DataSchemaInvalid: schema does not compile: reference to https://schemas.example.net/remote.json refused: only loaded schemas can be referenced, nothing is fetched from the network or the filesystem
}
