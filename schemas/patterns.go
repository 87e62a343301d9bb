package schemas

import "strings"

// Hand-written matchers for the patterns every message uses. Go's regexp package spends
// most of a validation on them; these loops accept exactly the same strings (the tests
// compare them with the compiled patterns on generated and fuzzed input) in a fraction of
// the time. A pattern without a matcher here is matched with the regular expression.

const (
	patBase64URL = `^[A-Za-z0-9_-]+$`
	patDateTime  = `^\d{4}-[0-1]\d-[0-3]\dT(?:[0-2]\d:[0-5]\d:[0-5]\d|23:59:60)\.\d{6}Z$`
	patDID       = "^did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+" +
		"(?:;[A-Za-z0-9_.:%-]+=[A-Za-z0-9_.:%-]*)*(?:/[^#?]*)?(?:\\?[^#]*)?(?:#[^\\n\\r\u2028\u2029]*)?$"
	patContextID    = `^[a-zA-Z0-9]+(/[a-zA-Z0-9]+)*$`
	patProtocolPath = `^[a-zA-Z]+(/[a-zA-Z]+)*$`
	patNotDirective = `^[^$]` // rule-set keys that name a nested record type
)

// fastMatcher returns the hand-written matcher for a pattern, or nil.
func fastMatcher(pattern string) func(string) bool {
	switch pattern {
	case patBase64URL:
		return isBase64URL
	case patDateTime:
		return isDateTime
	case patDID:
		return isDID
	case patContextID:
		return func(s string) bool { return isSegments(s, isAlnum) }
	case patProtocolPath:
		return func(s string) bool { return isSegments(s, isAlpha) }
	case patNotDirective:
		return func(s string) bool { return s != "" && s[0] != '$' }
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'A' <= c&^0x20 && c&^0x20 <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }
func isHex(c byte) bool   { return isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') }

func isBase64URL(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// isDateTime matches YYYY-MM-DDThh:mm:ss.ffffffZ with the pattern's loose digit ranges
// (month [0-1]\d, day [0-3]\d, hour [0-2]\d, minute and second [0-5]\d, or 23:59:60).
func isDateTime(s string) bool {
	const layout = "dddd-Md-DdThd:md:md.ddddddZ"
	if len(s) != len(layout) {
		return false
	}
	for i := 0; i < len(layout); i++ {
		c := s[i]
		ok := false
		switch layout[i] {
		case 'd':
			ok = isDigit(c)
		case 'M':
			ok = c == '0' || c == '1'
		case 'D':
			ok = '0' <= c && c <= '3'
		case 'h':
			ok = '0' <= c && c <= '2'
		case 'm':
			ok = '0' <= c && c <= '5'
		default:
			ok = c == layout[i]
		}
		if !ok {
			return s[11:19] == "23:59:60" && isDateTimeLeap(s)
		}
	}
	return true
}

// isDateTimeLeap checks the 23:59:60 alternative, whose "60" the digit ranges exclude.
func isDateTimeLeap(s string) bool {
	t := []byte(s)
	t[17] = '0' // 60 -> 00, then the common layout applies
	return isDateTime(string(t))
}

// isSegments matches one or more '/'-separated non-empty segments of allowed bytes.
func isSegments(s string, allowed func(byte) bool) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '/':
			if n == 0 {
				return false
			}
			n = 0
		case allowed(c):
			n++
		default:
			return false
		}
	}
	return n > 0
}

func isIDChar(c byte) bool    { return isAlnum(c) || c == '.' || c == '-' || c == '_' }
func isParamChar(c byte) bool { return isIDChar(c) || c == ':' || c == '%' }

// isDID matches a DID or DID URL:
//
//	did:<method>:<id>[;name=value]*[/path][?query][#fragment]
//
// method is [a-z0-9]+; id is ':'-separated segments of [A-Za-z0-9._-] or %XX, of which
// only the last must be non-empty; a parameter name is [A-Za-z0-9_.:%-]+ and its value the
// same class, possibly empty; path excludes '#' and '?', query excludes '#', and the
// fragment excludes the line terminators \n, \r, U+2028 and U+2029.
func isDID(s string) bool {
	if len(s) < 4 || s[:4] != "did:" {
		return false
	}
	i := 4
	start := i
	for i < len(s) && (isDigit(s[i]) || ('a' <= s[i] && s[i] <= 'z')) {
		i++
	}
	if i == start || i >= len(s) || s[i] != ':' {
		return false
	}
	i++
	// method-specific id: segments separated by ':'; the last one non-empty
	segLen := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isIDChar(c):
			i++
			segLen++
			continue
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 3
			segLen++
			continue
		case c == ':':
			i++
			segLen = 0
			continue
		}
		break
	}
	if segLen == 0 {
		return false
	}
	// parameters
	for i < len(s) && s[i] == ';' {
		i++
		n := 0
		for i < len(s) && isParamChar(s[i]) {
			i++
			n++
		}
		if n == 0 || i >= len(s) || s[i] != '=' {
			return false
		}
		i++
		for i < len(s) && isParamChar(s[i]) {
			i++
		}
	}
	// path, query, fragment
	if i < len(s) && s[i] == '/' {
		for i < len(s) && s[i] != '#' && s[i] != '?' {
			i++
		}
	}
	if i < len(s) && s[i] == '?' {
		for i < len(s) && s[i] != '#' {
			i++
		}
	}
	if i < len(s) && s[i] == '#' {
		frag := s[i+1:]
		if strings.ContainsAny(frag, "\n\r\u2028\u2029") {
			return false
		}
		i = len(s)
	}
	return i == len(s)
}
