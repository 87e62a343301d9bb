package builder

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dwn-ipfs/dwn-ipfs/dwn/jws"
)

// PermissionsProtocol is the URI of the built-in permissions protocol whose records are
// permission requests, grants and revocations (dwn-protocol.md §9).
const PermissionsProtocol = "https://tbd.website/dwn/permissions"

// Scope is what a permission grant allows: an interface and method, and for Records
// (where Protocol is required) optionally one context or one protocol path.
type Scope struct {
	Interface    string `json:"interface"`
	Method       string `json:"method"`
	Protocol     string `json:"protocol,omitempty"`
	ContextID    string `json:"contextId,omitempty"`
	ProtocolPath string `json:"protocolPath,omitempty"`
}

// Grant describes a permission grant.
type Grant struct {
	Grantee string    // DID the grant is for
	Expires time.Time // required: the grant is void from this time on
	Scope   Scope
	// Delegated lets the grantee sign messages as the grantor (WithDelegatedGrant).
	Delegated   bool
	Description string
	RequestID   string // the permission request this grant answers, if any
	// Publication is a condition on RecordsWrite grants: "Required", "Prohibited" or "".
	Publication string
	// Time is dateGranted: the grant is active from this time on (default now).
	Time time.Time
}

// grantData is the data of a grant record, in the reference's member order.
type grantData struct {
	DateExpires string           `json:"dateExpires"`
	RequestID   string           `json:"requestId,omitempty"`
	Description string           `json:"description,omitempty"`
	Delegated   bool             `json:"delegated,omitempty"`
	Scope       Scope            `json:"scope"`
	Conditions  *grantConditions `json:"conditions,omitempty"`
}

type grantConditions struct {
	Publication string `json:"publication"`
}

// PermissionGrant builds the RecordsWrite of a permission grant signed by the grantor s,
// and its data. Write both to the grantor's DWN; the grantee then invokes the grant by
// its record ID (WithPermissionGrant) or, when delegated, embeds it (WithDelegatedGrant).
func PermissionGrant(g Grant, s jws.Signer) (*Message, []byte, error) {
	if g.Grantee == "" {
		return nil, nil, fmt.Errorf("builder.PermissionGrant: no grantee")
	}
	if g.Expires.IsZero() {
		return nil, nil, fmt.Errorf("builder.PermissionGrant: no expiry")
	}
	if g.Scope.Interface == "Records" && g.Scope.Protocol == "" {
		return nil, nil, fmt.Errorf("builder.PermissionGrant: a Records grant needs a protocol")
	}
	d := grantData{DateExpires: Timestamp(g.Expires), RequestID: g.RequestID, Description: g.Description,
		Delegated: g.Delegated, Scope: g.Scope}
	if g.Publication != "" {
		d.Conditions = &grantConditions{Publication: g.Publication}
	}
	data, err := json.Marshal(d)
	if err != nil {
		return nil, nil, err
	}
	w := Write{Data: data, DataFormat: "application/json", Recipient: g.Grantee, Protocol: PermissionsProtocol,
		ProtocolPath: "grant", Tags: protocolTag(g.Scope.Protocol), Time: g.Time}
	m, err := RecordsWrite(w, s)
	return m, data, err
}

// PermissionRevocation builds the RecordsWrite revoking grant (as built by
// PermissionGrant or read back), signed by the grantor s, and its data. The grant is
// void for messages timestamped at or after t (default now).
func PermissionRevocation(grant *Message, scopeProtocol, description string, t time.Time, s jws.Signer) (*Message, []byte, error) {
	data, err := json.Marshal(struct {
		Description string `json:"description,omitempty"`
	}{description})
	if err != nil {
		return nil, nil, err
	}
	w := Write{Data: data, DataFormat: "application/json", Protocol: PermissionsProtocol,
		ProtocolPath: "grant/revocation", ParentID: grant.RecordID, ParentContext: grant.RecordID,
		Tags: protocolTag(scopeProtocol), Time: t}
	m, err := RecordsWrite(w, s)
	return m, data, err
}

func protocolTag(protocol string) map[string]any {
	if protocol == "" {
		return nil
	}
	return map[string]any{"protocol": protocol}
}
