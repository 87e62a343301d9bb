package schemas_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/schemas"
)

func ExampleValidator_Validate() {
	v, err := schemas.New()
	if err != nil {
		panic(err)
	}
	d := json.NewDecoder(strings.NewReader(`{
		"descriptor": {
			"interface": "Records", "method": "Query",
			"messageTimestamp": "2024-01-02T03:04:05.678901Z",
			"filter": {"protocol": "https://example.com/proto", "published": true},
			"pagination": {"limit": 0}
		}
	}`))
	d.UseNumber()
	var msg map[string]any
	if err := d.Decode(&msg); err != nil {
		panic(err)
	}
	desc := msg["descriptor"].(map[string]any)
	name := desc["interface"].(string) + desc["method"].(string)
	err = v.Validate(name, msg)
	fmt.Println(dwn.StatusOf(err).Code, err.(*dwn.Error).Detail())

	msg["encodedData"] = "aGVsbG8"
	err = v.Validate("EventsQuery", msg)
	fmt.Println(dwn.CodeOf(err))
	// Output:
	// 400 SchemaValidatorFailure: /descriptor/pagination/limit: must be >= 1
	// SchemaValidatorSchemaNotFound
}
