package dwn

import (
	"net/url"
	"regexp"
	"strings"
)

var hasScheme = regexp.MustCompile(`^[^:]+:(//)?[^/].*`)

var defaultPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

// NormalizeURL normalizes a protocol or schema URI as the reference's
// normalizeProtocolUrl/normalizeSchemaUrl do (dwn-protocol.md §7.6): add http:// when
// there is no scheme, drop query and fragment, serialize as WHATWG URL does for the
// common cases (lower-case host of special schemes, no default port, "/" path), and drop
// one trailing slash.
func NormalizeURL(s string) (string, bool) {
	if !hasScheme.MatchString(s) {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "", false
	}
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	if _, special := defaultPorts[u.Scheme]; special || u.Scheme == "file" {
		if u.Opaque != "" {
			return "", false
		}
		u.Host = strings.ToLower(u.Host)
		if p := u.Port(); p != "" && p == defaultPorts[u.Scheme] {
			u.Host = strings.TrimSuffix(u.Host, ":"+p)
		}
		if u.Path == "" {
			u.Path = "/"
		}
		u.Path, u.RawPath = removeDotSegments(u.Path), ""
	}
	out := u.String()
	return strings.TrimSuffix(out, "/"), true
}

func checkNormalized(v, code, label string) error {
	n, ok := NormalizeURL(v)
	if !ok || n != v {
		if len(v) > 200 {
			v = v[:200] + "…"
		}
		return Errorf(Invalid, code, "%s URI %s must be normalized.", label, v)
	}
	return nil
}

// CheckProtocolURL answers 400 UrlProtocolNotNormalized unless protocol is normalized.
func CheckProtocolURL(protocol string) error {
	return checkNormalized(protocol, "UrlProtocolNotNormalized", "Protocol")
}

// CheckSchemaURL answers 400 UrlSchemaNotNormalized unless schema is normalized.
func CheckSchemaURL(schema string) error {
	return checkNormalized(schema, "UrlSchemaNotNormalized", "Schema")
}

// CheckProtocolAndSchema checks that the protocol and schema URIs, where given, are
// normalized.
func CheckProtocolAndSchema(protocol, schema string) error {
	if protocol != "" {
		if err := CheckProtocolURL(protocol); err != nil {
			return err
		}
	}
	if schema != "" {
		return CheckSchemaURL(schema)
	}
	return nil
}

// removeDotSegments resolves "." and ".." segments of a path as the WHATWG URL parser
// does for special schemes ("%2e" counts as "."): "/a/../b/./c" becomes "/b/c", and a
// trailing "." or ".." leaves a trailing slash.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	segs := strings.Split(p, "/")[1:]
	var out []string
	for i, s := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(strings.ReplaceAll(strings.ToLower(s), "%2e", ".")) {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}
