package protocols

import (
	"strconv"
	"strings"
	"unicode/utf16"
)

// URI references in tag schemas ($id, $ref, $dynamicRef, $anchor), resolved as Ajv
// resolves them with the uri-js library it uses.
//
// Fragments are handled for any string, exactly: uri-js normalizes a fragment's
// percent-encoding on every parse and serialize, and Ajv then splits it at "/" and
// decodes each part with decodeURIComponent. The part before the fragment is handled
// for a subset: ASCII letters, digits and -._~!$&'()*+,;=:@/? only (no "%"), a scheme
// of letters, digits and +-. (http and https get uri-js's scheme handling; ws, wss,
// mailto and urn, which have more, are refused), a host without "@" that does not look
// like an IPv4 address, a port of digits without a leading zero, and no ":" in a path
// without a scheme. Other references give errUnsupportedURI.

// errUnsupportedURI says that a URI reference is outside the subset above.
type errUnsupportedURI struct{ ref string }

func (e *errUnsupportedURI) Error() string {
	return "unsupported URI reference " + strconv.Quote(e.ref)
}

// uriParts is a URI reference split as uri-js splits it. Fragment is kept in its
// normalized form, after the number of normalization passes uri-js has made.
type uriParts struct {
	scheme, userinfo, host, port, path, query, fragment             string
	hasScheme, hasUserinfo, hasHost, hasPort, hasQuery, hasFragment bool
}

const uriPlainChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?"

// uriParse is uri-js's parse with one normalization pass.
func uriParse(s string) (uriParts, error) {
	var u uriParts
	unsupported := &errUnsupportedURI{s}
	rest := s
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		frag := rest[i+1:]
		// The fragment stops at a line or paragraph separator (the "." of uri-js's
		// parsing expression); refuse those rather than model the cut.
		if strings.ContainsAny(frag, "\u2028\u2029") {
			return u, unsupported
		}
		u.fragment, u.hasFragment = fragmentPass(frag), true
		rest = rest[:i]
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(uriPlainChars, rest[i]) < 0 {
			return u, unsupported
		}
	}
	if i := strings.IndexAny(rest, ":/?"); i > 0 && rest[i] == ':' {
		sch := rest[:i]
		if !isSchemeName(sch) {
			return u, unsupported
		}
		u.scheme, u.hasScheme = strings.ToLower(sch), true
		rest = rest[i+1:]
		switch u.scheme {
		case "ws", "wss", "mailto", "urn":
			return u, unsupported
		}
	}
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		end := strings.IndexAny(rest, "/?")
		if end < 0 {
			end = len(rest)
		}
		auth := rest[:end]
		rest = rest[end:]
		if at := strings.IndexByte(auth, '@'); at >= 0 {
			u.userinfo, u.hasUserinfo = auth[:at], true
			auth = auth[at+1:]
		}
		host := auth
		if c := strings.IndexByte(auth, ':'); c >= 0 {
			host = auth[:c]
			port := auth[c+1:]
			for i := 0; i < len(port); i++ {
				if port[i] < '0' || port[i] > '9' {
					return u, unsupported
				}
			}
			if len(port) > 1 && port[0] == '0' {
				return u, unsupported
			}
			u.port, u.hasPort = port, true
		}
		if strings.ContainsAny(host, "@:") || looksLikeIPv4(host) {
			return u, unsupported
		}
		u.host, u.hasHost = strings.ToLower(host), true
	}
	path := rest
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		path = rest[:q]
		u.query, u.hasQuery = rest[q+1:], true
	}
	if !u.hasScheme && strings.Contains(path, ":") {
		return u, unsupported
	}
	u.path = path
	return u, nil
}

func isSchemeName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if i == 0 && !letter || !letter && !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return s != ""
}

// looksLikeIPv4 reports a host of digits and dots, which uri-js may rewrite.
func looksLikeIPv4(h string) bool {
	return h != "" && strings.Trim(h, "0123456789.") == "" && strings.Contains(h, ".")
}

// serialize is uri-js's serialize: one more normalization pass on the fragment (kept
// in u), and the scheme handler of http and https when handlers is set.
func (u *uriParts) serialize(handlers bool) (string, error) {
	if u.hasFragment {
		u.fragment = fragmentPass(u.fragment)
	}
	if handlers && (u.scheme == "http" || u.scheme == "https") {
		def := "80"
		if u.scheme == "https" {
			def = "443"
		}
		if u.hasPort && (u.port == def || u.port == "") {
			u.port, u.hasPort = "", false
		}
		if u.path == "" {
			u.path = "/"
		}
	}
	var b strings.Builder
	if u.hasScheme {
		b.WriteString(u.scheme)
		b.WriteByte(':')
	}
	hasAuthority := u.hasUserinfo || u.hasHost || u.hasPort
	if hasAuthority {
		b.WriteString("//")
		if u.hasUserinfo {
			b.WriteString(u.userinfo)
			b.WriteByte('@')
		}
		b.WriteString(u.host)
		if u.hasPort {
			b.WriteByte(':')
			b.WriteString(u.port)
		}
		if u.path != "" && u.path[0] != '/' {
			b.WriteByte('/')
		}
	}
	p := removeDotSegments(u.path)
	if !hasAuthority && strings.HasPrefix(p, "//") {
		return "", &errUnsupportedURI{p}
	}
	b.WriteString(p)
	if u.hasQuery {
		b.WriteByte('?')
		b.WriteString(u.query)
	}
	if u.hasFragment {
		b.WriteByte('#')
		b.WriteString(u.fragment)
	}
	return b.String(), nil
}

// removeDotSegments is uri-js's removal of "." and ".." path segments.
func removeDotSegments(in string) string {
	var out []string
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./") || in == "/.":
			in = "/" + in[min(3, len(in)):]
		case strings.HasPrefix(in, "/../") || in == "/..":
			in = "/" + in[min(4, len(in)):]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "." || in == "..":
			in = ""
		default:
			n := 0
			if in[0] == '/' {
				n = 1
			}
			if i := strings.IndexByte(in[n:], '/'); i >= 0 {
				n += i
			} else {
				n = len(in)
			}
			out = append(out, in[:n])
			in = in[n:]
		}
	}
	return strings.Join(out, "")
}

// uriResolve is uri-js's resolve(base, ref): both parsed, combined as RFC 3986 says,
// serialized, without scheme handlers.
func uriResolve(base, ref string) (string, error) {
	b, err := uriParse(base)
	if err != nil {
		return "", err
	}
	r, err := uriParse(ref)
	if err != nil {
		return "", err
	}
	var t uriParts
	switch {
	case r.hasScheme:
		t = r
		t.path = removeDotSegments(r.path)
	case r.hasUserinfo || r.hasHost || r.hasPort:
		t = r
		t.path = removeDotSegments(r.path)
		t.scheme, t.hasScheme = b.scheme, b.hasScheme
	default:
		t = b
		switch {
		case r.path == "":
			if r.hasQuery {
				t.query, t.hasQuery = r.query, true
			}
		case r.path[0] == '/':
			t.path = removeDotSegments(r.path)
			t.query, t.hasQuery = r.query, r.hasQuery
		default:
			switch {
			case (b.hasUserinfo || b.hasHost || b.hasPort) && b.path == "":
				t.path = "/" + r.path
			case b.path == "":
				t.path = r.path
			default:
				t.path = b.path[:strings.LastIndexByte(b.path, '/')+1] + r.path
			}
			t.path = removeDotSegments(t.path)
			t.query, t.hasQuery = r.query, r.hasQuery
		}
	}
	t.fragment, t.hasFragment = r.fragment, r.hasFragment
	return t.serialize(false)
}

// normalizeID is Ajv's normalizeId: a trailing "#" or "#/" removed.
func normalizeID(id string) string {
	if strings.HasSuffix(id, "#/") {
		return id[:len(id)-2]
	}
	return strings.TrimSuffix(id, "#")
}

// resolveURL is Ajv's resolveUrl.
func resolveURL(base, id string) (string, error) { return uriResolve(base, normalizeID(id)) }

// getFullPath is Ajv's getFullPath: the reference without its fragment, then "#".
func getFullPath(id string, normalize bool) (string, error) {
	if normalize {
		id = normalizeID(id)
	}
	u, err := uriParse(id)
	if err != nil {
		return "", err
	}
	return u.fullPath()
}

// fullPath is Ajv's _getFullPath of parsed parts (serialize mutates u, as in uri-js).
func (u *uriParts) fullPath() (string, error) {
	s, err := u.serialize(true)
	if err != nil {
		return "", err
	}
	base, _, _ := strings.Cut(s, "#")
	return base + "#", nil
}

// fragmentPass is one pass of uri-js's normalization of a fragment: percent-escapes
// that decode to something containing an unreserved character are decoded, characters
// a fragment may not hold are percent-encoded (per UTF-16 code unit), escapes are
// upper-cased.
func fragmentPass(f string) string {
	units := utf16.Encode([]rune(f))
	// Decode escapes of unreserved characters.
	var out []uint16
	for i := 0; i < len(units); {
		if n := pctEncodedMatch(units, i); n > 0 {
			m := units[i : i+n]
			if dec := pctDecChars(m); containsUnreserved(dec) {
				out = append(out, dec...)
			} else {
				out = append(out, m...)
			}
			i += n
			continue
		}
		out = append(out, units[i])
		i++
	}
	// Encode what a fragment may not hold.
	var enc []uint16
	for _, c := range out {
		if c < 0x80 && (c == '%' || isURIUnreserved(c) || strings.IndexByte("!$&'()*+,;=:@/?", byte(c)) >= 0) {
			enc = append(enc, c)
			continue
		}
		for _, b := range pctEncChar(c) {
			enc = append(enc, uint16(b))
		}
	}
	// Upper-case escapes.
	for i := 0; i < len(enc); {
		if n := pctEncodedMatch(enc, i); n > 0 {
			for k := i; k < i+n; k++ {
				if 'a' <= enc[k] && enc[k] <= 'f' {
					enc[k] -= 'a' - 'A'
				}
			}
			i += n
			continue
		}
		i++
	}
	return string(utf16.Decode(enc))
}

func isURIUnreserved(c uint16) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func containsUnreserved(s []uint16) bool {
	for _, c := range s {
		if isURIUnreserved(c) {
			return true
		}
	}
	return false
}

func isHexUnit(c uint16) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexUnit(c uint16) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// pctEncodedMatch returns the length of uri-js's PCT_ENCODED match at s[i:] (a
// three-byte, two-byte or one-byte escape sequence, tried in that order), or 0.
func pctEncodedMatch(s []uint16, i int) int {
	esc := func(j int) bool { return j+2 < len(s) && s[j] == '%' && isHexUnit(s[j+1]) && isHexUnit(s[j+2]) }
	if !esc(i) {
		return 0
	}
	lead := s[i+1]
	if (lead == 'E' || lead == 'e' || lead == 'F' || lead == 'f') && esc(i+3) && esc(i+6) {
		return 9
	}
	if ('8' <= lead && lead <= '9' || 'A' <= lead && lead <= 'F' || 'a' <= lead && lead <= 'f') && esc(i+3) {
		return 6
	}
	return 3
}

// pctDecChars is uri-js's pctDecChars.
func pctDecChars(s []uint16) []uint16 {
	var out []uint16
	byteAt := func(i int) int { return hexUnit(s[i+1])<<4 | hexUnit(s[i+2]) }
	for i := 0; i < len(s); {
		c := byteAt(i)
		switch {
		case c < 128:
			out = append(out, uint16(c))
			i += 3
		case c >= 194 && c < 224:
			if len(s)-i >= 6 {
				out = append(out, uint16((c&31)<<6|byteAt(i+3)&63))
			} else {
				out = append(out, s[i:min(i+6, len(s))]...)
			}
			i += 6
		case c >= 224:
			if len(s)-i >= 9 {
				out = append(out, uint16((c&15)<<12|(byteAt(i+3)&63)<<6|byteAt(i+6)&63))
			} else {
				out = append(out, s[i:min(i+9, len(s))]...)
			}
			i += 9
		default:
			out = append(out, s[i:i+3]...)
			i += 3
		}
	}
	return out
}

// pctEncChar is uri-js's pctEncChar of one UTF-16 code unit.
func pctEncChar(c uint16) string {
	hex := func(v int) string { return "%" + strings.ToUpper(strconv.FormatInt(int64(v), 16)) }
	switch {
	case c < 16:
		return "%0" + strings.ToUpper(strconv.FormatInt(int64(c), 16))
	case c < 128:
		return hex(int(c))
	case c < 2048:
		return hex(int(c)>>6|192) + hex(int(c)&63|128)
	}
	return hex(int(c)>>12|224) + hex(int(c)>>6&63|128) + hex(int(c)&63|128)
}
