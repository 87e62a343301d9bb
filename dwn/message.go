package dwn

import (
	"bytes"
	"encoding/json"
)

// Interface and method names.
const (
	InterfaceRecords   = "Records"
	InterfaceProtocols = "Protocols"
	InterfaceMessages  = "Messages"

	MethodWrite     = "Write"
	MethodQuery     = "Query"
	MethodRead      = "Read"
	MethodDelete    = "Delete"
	MethodSubscribe = "Subscribe"
	MethodConfigure = "Configure"
)

// MaxEncodedDataSize is the largest data, in bytes, kept inline with its message and
// returned as encodedData (the reference's maxDataSizeAllowedToBeEncoded).
const MaxEncodedDataSize = 30000

// DateTimeLayout is the only timestamp format DWN messages use: UTC with exactly six
// fractional digits.
const DateTimeLayout = "2006-01-02T15:04:05.000000Z"

// GeneralJWS is a JWS in general JSON serialization, as messages carry it.
type GeneralJWS struct {
	Payload    string         `json:"payload"`
	Signatures []JWSSignature `json:"signatures"`
}

// JWSSignature is one signature of a GeneralJWS.
type JWSSignature struct {
	Protected string `json:"protected"`
	Signature string `json:"signature"`
}

// Authorization is the authorization property of a message.
type Authorization struct {
	Signature            *GeneralJWS     `json:"signature,omitempty"`
	OwnerSignature       *GeneralJWS     `json:"ownerSignature,omitempty"`
	AuthorDelegatedGrant json.RawMessage `json:"authorDelegatedGrant,omitempty"`
	OwnerDelegatedGrant  json.RawMessage `json:"ownerDelegatedGrant,omitempty"`
}

// Pagination is the pagination property of a RecordsQuery descriptor.
type Pagination struct {
	Limit  int     `json:"limit,omitempty"`
	Cursor *Cursor `json:"cursor,omitempty"`
}

// Cursor marks a position in a sorted result: the messageCid of the last entry returned
// and its sort value (a timestamp string for records, a watermark for the event log).
type Cursor struct {
	MessageCID string `json:"messageCid"`
	Value      any    `json:"value"`
}

// Range is a range filter; at most one of GT/GTE and one of LT/LTE is set. Values are
// strings or float64.
type Range struct {
	GT  any `json:"gt,omitempty"`
	GTE any `json:"gte,omitempty"`
	LT  any `json:"lt,omitempty"`
	LTE any `json:"lte,omitempty"`
}

// DateRange is a {from, to} date filter: from is inclusive, to exclusive.
type DateRange struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// StringOrList is a JSON value that is either a string or an array of strings.
type StringOrList []string

// UnmarshalJSON accepts a string or an array of strings.
func (s *StringOrList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = StringOrList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// RecordsFilter is the filter of RecordsQuery, RecordsRead and RecordsSubscribe.
type RecordsFilter struct {
	Protocol      string                     `json:"protocol,omitempty"`
	ProtocolPath  string                     `json:"protocolPath,omitempty"`
	Author        StringOrList               `json:"author,omitempty"`
	Attester      string                     `json:"attester,omitempty"`
	Recipient     StringOrList               `json:"recipient,omitempty"`
	ContextID     string                     `json:"contextId,omitempty"`
	Schema        string                     `json:"schema,omitempty"`
	Tags          map[string]json.RawMessage `json:"tags,omitempty"`
	RecordID      string                     `json:"recordId,omitempty"`
	ParentID      string                     `json:"parentId,omitempty"`
	Published     *bool                      `json:"published,omitempty"`
	DataFormat    string                     `json:"dataFormat,omitempty"`
	DataSize      *Range                     `json:"dataSize,omitempty"`
	DataCID       string                     `json:"dataCid,omitempty"`
	DateCreated   *DateRange                 `json:"dateCreated,omitempty"`
	DatePublished *DateRange                 `json:"datePublished,omitempty"`
	DateUpdated   *DateRange                 `json:"dateUpdated,omitempty"`
}

// Descriptor is the union of the descriptors of every interface and method; which fields
// are meaningful depends on Interface and Method. The JSON Schemas decide which are allowed.
type Descriptor struct {
	Interface        string `json:"interface"`
	Method           string `json:"method"`
	MessageTimestamp string `json:"messageTimestamp"`

	// RecordsWrite.
	Protocol      string         `json:"protocol,omitempty"`
	ProtocolPath  string         `json:"protocolPath,omitempty"`
	Recipient     string         `json:"recipient,omitempty"`
	Schema        string         `json:"schema,omitempty"`
	Tags          map[string]any `json:"tags,omitempty"`
	ParentID      string         `json:"parentId,omitempty"`
	DataCID       string         `json:"dataCid,omitempty"`
	DataSize      int64          `json:"dataSize,omitempty"`
	DateCreated   string         `json:"dateCreated,omitempty"`
	Published     *bool          `json:"published,omitempty"`
	DatePublished string         `json:"datePublished,omitempty"`
	DataFormat    string         `json:"dataFormat,omitempty"`

	// RecordsDelete.
	RecordID string `json:"recordId,omitempty"`
	Prune    bool   `json:"prune,omitempty"`

	// RecordsQuery, RecordsRead, RecordsSubscribe.
	Filter     *RecordsFilter `json:"filter,omitempty"`
	DateSort   string         `json:"dateSort,omitempty"`
	Pagination *Pagination    `json:"pagination,omitempty"`

	// ProtocolsConfigure.
	Definition json.RawMessage `json:"definition,omitempty"`

	// MessagesRead.
	MessageCID string `json:"messageCid,omitempty"`

	// MessagesQuery, MessagesSubscribe.
	Filters []MessagesFilter `json:"filters,omitempty"`
	Cursor  *Cursor          `json:"cursor,omitempty"`
}

// MessagesFilter is one filter of MessagesQuery and MessagesSubscribe (ORed).
type MessagesFilter struct {
	Interface        string     `json:"interface,omitempty"`
	Method           string     `json:"method,omitempty"`
	Protocol         string     `json:"protocol,omitempty"`
	MessageTimestamp *DateRange `json:"messageTimestamp,omitempty"`
}

// Message is a DWN message. It is decoded from the JSON the client sent; the signed
// bytes are never re-serialized.
type Message struct {
	RecordID      string          `json:"recordId,omitempty"`
	ContextID     string          `json:"contextId,omitempty"`
	Descriptor    Descriptor      `json:"descriptor"`
	Authorization *Authorization  `json:"authorization,omitempty"`
	Attestation   *GeneralJWS     `json:"attestation,omitempty"`
	Encryption    json.RawMessage `json:"encryption,omitempty"`
}

// IsPublished reports whether a RecordsWrite descriptor says published: true.
func (d *Descriptor) IsPublished() bool { return d.Published != nil && *d.Published }

// Name returns Interface+Method, the name of the message's JSON Schema.
func (d *Descriptor) Name() string { return d.Interface + d.Method }

// CompactJSON returns b without insignificant whitespace, or b itself when it has no
// whitespace at all (the common case: clients send JSON.stringify output). It fails on
// invalid JSON only when it has to compact.
func CompactJSON(b []byte) ([]byte, error) {
	if !bytes.ContainsAny(b, " \t\r\n") {
		return b, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
