package dwn

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller should do about it. The order of the
// constants never changes: Kind values may be persisted in logs and metrics.
type Kind uint8

const (
	// Other is an unclassified error; it maps to 500.
	Other Kind = iota
	// Invalid means the message or request is malformed or breaks a rule; maps to 400.
	// The caller must change the message before retrying.
	Invalid
	// Unauthorized means authentication or authorization failed; maps to 401.
	Unauthorized
	// Forbidden means the caller is known but may not do this; maps to 403.
	Forbidden
	// NotFound means the addressed record or message does not exist; maps to 404.
	NotFound
	// Conflict means the message is not newer than what is stored; maps to 409.
	Conflict
	// TooLarge means a configured limit was exceeded; maps to 413 at the HTTP layer and
	// to 400 inside a DWN reply, as the reference has no dedicated code.
	TooLarge
	// Unavailable means a dependency is temporarily down; maps to 503. Retrying may help.
	Unavailable
	// Internal means a bug or a storage failure; maps to 500.
	Internal
	// NotImplemented means the server does not support the operation; maps to 501.
	NotImplemented
)

var kindNames = [...]string{"other", "invalid", "unauthorized", "forbidden", "not found",
	"conflict", "too large", "unavailable", "internal", "not implemented"}

// String returns a short lower-case name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// StatusCode returns the DWN reply status code for a kind.
func (k Kind) StatusCode() int {
	switch k {
	case Invalid, TooLarge:
		return 400
	case Unauthorized:
		return 401
	case Forbidden:
		return 403
	case NotFound:
		return 404
	case Conflict:
		return 409
	case Unavailable:
		return 503
	case NotImplemented:
		return 501
	default:
		return 500
	}
}

// Error is the one error type of the DWN vocabulary. Code is the reference's DwnErrorCode
// (for example "RecordsWriteDataCidMismatch"); the reply detail is "Code: Message", exactly
// as the reference formats it. Message must never contain attacker-supplied text that is
// unbounded; validators put field names, not raw values, into it.
type Error struct {
	Kind    Kind
	Code    string // reference error code word; may be empty
	Message string // human-readable text after the code
	Op      string // operation that failed, e.g. "storage/badger.Apply"; not shown to clients
	Err     error  // wrapped cause; not shown to clients
}

// Errorf returns an *Error of the given kind and code with a formatted message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Detail is the text a DWN reply carries in status.detail.
func (e *Error) Detail() string {
	switch {
	case e.Code != "" && e.Message != "":
		return e.Code + ": " + e.Message
	case e.Code != "":
		return e.Code
	case e.Message != "":
		return e.Message
	case e.Err != nil && e.Kind == Other:
		return e.Err.Error()
	}
	return e.Kind.String()
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Detail()
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Kind and, if target.Code is set,
// the same Code. It lets tests write errors.Is(err, &dwn.Error{Kind: dwn.Conflict}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && (t.Code == "" || t.Code == e.Code)
}

// KindOf returns the Kind of the first *Error in err's chain, or Internal if there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// CodeOf returns the reference error code of the first *Error in err's chain, or "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Wrap returns err with op added for context, keeping its kind. A nil err gives nil.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		if c.Op == "" {
			c.Op = op
		} else {
			c.Op = op + ": " + c.Op
		}
		return &c
	}
	return &Error{Kind: Internal, Op: op, Err: err}
}

// Status is the status of a DWN reply.
type Status struct {
	Code   int    `json:"code"`
	Detail string `json:"detail"`
}

// StatusOf maps an error to the DWN reply status. This is the single place where errors
// become status codes; both the JSON-RPC and the plain HTTP routes use it.
func StatusOf(err error) Status {
	var e *Error
	if errors.As(err, &e) {
		return Status{Code: e.Kind.StatusCode(), Detail: e.Detail()}
	}
	return Status{Code: 500, Detail: "internal error"}
}
