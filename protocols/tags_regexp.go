package protocols

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
)

// Patterns of tag schemas (pattern, and the keys of patternProperties) are JavaScript
// regular expressions, which Ajv compiles with new RegExp(pattern, "u") and tests with
// RegExp.prototype.test. jsRegexp translates the part of that syntax that Go's regexp
// package matches identically: literals, ".", character classes and the escapes \d \D
// \w \W \s \S \b \B, escapes of characters (\t, \n, \cX, \0, \xHH, \uHHHH, \u{H…}),
// groups (capturing, (?:…) and named), alternation, the anchors ^ and $, and greedy
// and lazy quantifiers up to 1000. It refuses the rest: lookahead and lookbehind,
// backreferences, Unicode property escapes (\p{…}: Node's Unicode tables need not be
// Go's), and anything JavaScript itself rejects. For a boolean test the two engines
// agree on this subset: it describes a regular language, and both search for any
// match.

// errUnsupportedPattern says that a pattern is outside the translated subset.
var errUnsupportedPattern = errors.New("unsupported pattern")

// jsRegexp is a translated pattern.
type jsRegexp struct {
	re *regexp.Regexp
	// emptyInPair: the pattern matches the empty string between the two halves of a
	// character beyond U+FFFF. V8 tries that position too (where ^, $ and \b fail
	// and \B holds), though the "u" flag treats the character as one.
	emptyInPair bool
	// astral: the pattern names a character beyond U+FFFF or uses \u{…}, whose
	// meaning differs without the "u" flag.
	astral bool
}

// Translated patterns, kept across calls: a rule is compiled on every write, and
// compiling the Go regexp is most of that work. The cache is emptied when full.
var (
	jsRegexpMu    sync.Mutex
	jsRegexpCache = map[string]*jsRegexp{}
)

const jsRegexpCacheSize = 1024

// compileJSRegexp translates a JavaScript pattern (with the "u" flag).
func compileJSRegexp(pattern string) (*jsRegexp, error) {
	jsRegexpMu.Lock()
	re, ok := jsRegexpCache[pattern]
	jsRegexpMu.Unlock()
	if ok {
		if re == nil {
			return nil, errUnsupportedPattern
		}
		return re, nil
	}
	re, err := translateJSRegexp(pattern)
	jsRegexpMu.Lock()
	if len(jsRegexpCache) >= jsRegexpCacheSize {
		clear(jsRegexpCache)
	}
	jsRegexpCache[pattern] = re
	jsRegexpMu.Unlock()
	return re, err
}

func translateJSRegexp(pattern string) (*jsRegexp, error) {
	translate := func(inPair bool) (*regexp.Regexp, *rxParser, error) {
		p := &rxParser{src: []rune(pattern), names: map[string]bool{}, inPair: inPair}
		var b strings.Builder
		if err := p.disjunction(&b); err != nil {
			return nil, nil, err
		}
		if p.pos != len(p.src) {
			return nil, nil, errUnsupportedPattern // an unmatched ")"
		}
		re, err := regexp.Compile(b.String())
		if err != nil {
			return nil, nil, errUnsupportedPattern
		}
		return re, p, nil
	}
	re, p, err := translate(false)
	if err != nil {
		return nil, err
	}
	r := &jsRegexp{re: re, astral: p.astral}
	// Between the halves of a pair only \B holds; without it, a pattern that matches
	// there matches the empty string anywhere, which test finds anyway.
	if strings.Contains(pattern, `\B`) {
		inPair, _, err := translate(true)
		if err != nil {
			return nil, err
		}
		r.emptyInPair = inPair.MatchString("")
	}
	return r, nil
}

// test is RegExp.prototype.test with the "u" flag, as V8 runs it.
func (r *jsRegexp) test(s string) bool {
	return r.re.MatchString(s) || r.emptyInPair && strings.ContainsFunc(s, func(c rune) bool { return c > 0xFFFF })
}

// testNonUnicode is test without the "u" flag (new RegExp(pattern)), which Ajv uses in
// one strict-mode check. ok is false where the two flags may differ for s.
func (r *jsRegexp) testNonUnicode(s string) (match, ok bool) {
	if r.astral || strings.ContainsFunc(s, func(c rune) bool { return c > 0xFFFF }) {
		return false, false
	}
	return r.test(s), true
}

type rxParser struct {
	src    []rune
	pos    int
	names  map[string]bool
	astral bool
	// inPair translates the assertions as they hold between the halves of a
	// surrogate pair: ^, $ and \b never, \B always.
	inPair bool
}

// never matches nothing.
const never = `[^\x{0}-\x{10FFFF}]`

func (p *rxParser) peek(off int) rune {
	if p.pos+off < len(p.src) {
		return p.src[p.pos+off]
	}
	return -1
}

func (p *rxParser) disjunction(b *strings.Builder) error {
	for {
		if err := p.alternative(b); err != nil {
			return err
		}
		if p.peek(0) != '|' {
			return nil
		}
		p.pos++
		b.WriteByte('|')
	}
}

func (p *rxParser) alternative(b *strings.Builder) error {
	for {
		c := p.peek(0)
		if c == -1 || c == '|' || c == ')' {
			return nil
		}
		if err := p.term(b); err != nil {
			return err
		}
	}
}

func (p *rxParser) term(b *strings.Builder) error {
	c := p.peek(0)
	var atom string
	switch c {
	case '^', '$':
		p.pos++
		switch {
		case p.inPair:
			b.WriteString(never)
		case c == '^':
			b.WriteString(`\A`)
		default:
			b.WriteString(`\z`)
		}
		return p.noQuantifier()
	case '\\':
		if n := p.peek(1); n == 'b' || n == 'B' {
			p.pos += 2
			switch {
			case !p.inPair:
				b.WriteString(`\` + string(n))
			case n == 'b':
				b.WriteString(never)
			}
			return p.noQuantifier()
		}
		p.pos++
		s, err := p.atomEscape()
		if err != nil {
			return err
		}
		atom = s
	case '(':
		s, err := p.group()
		if err != nil {
			return err
		}
		atom = s
	case '[':
		s, err := p.class()
		if err != nil {
			return err
		}
		atom = s
	case '.':
		p.pos++
		atom = `[^\n\r\x{2028}\x{2029}]`
	case '*', '+', '?', '{', '}', ']', ')', '|':
		return errUnsupportedPattern
	default:
		p.pos++
		atom = p.literal(c)
	}
	q, err := p.quantifier()
	if err != nil {
		return err
	}
	if q != "" {
		atom = "(?:" + atom + ")" + q
	}
	b.WriteString(atom)
	return nil
}

// noQuantifier refuses a quantifier after an assertion, as the "u" flag does.
func (p *rxParser) noQuantifier() error {
	switch p.peek(0) {
	case '*', '+', '?', '{':
		return errUnsupportedPattern
	}
	return nil
}

func (p *rxParser) quantifier() (string, error) {
	var q string
	switch c := p.peek(0); c {
	case '*', '+', '?':
		p.pos++
		q = string(c)
	case '{':
		p.pos++
		lo, ok := p.decimal()
		if !ok {
			return "", errUnsupportedPattern
		}
		hi, hasHi, open := lo, true, false
		if p.peek(0) == ',' {
			p.pos++
			if p.peek(0) == '}' {
				open, hasHi = true, false
			} else if hi, ok = p.decimal(); !ok {
				return "", errUnsupportedPattern
			}
		}
		if p.peek(0) != '}' {
			return "", errUnsupportedPattern
		}
		p.pos++
		if lo > 1000 || hasHi && (hi > 1000 || hi < lo) {
			return "", errUnsupportedPattern
		}
		switch {
		case open:
			q = fmt.Sprintf("{%d,}", lo)
		case hi == lo:
			q = fmt.Sprintf("{%d}", lo)
		default:
			q = fmt.Sprintf("{%d,%d}", lo, hi)
		}
	default:
		return "", nil
	}
	if p.peek(0) == '?' {
		p.pos++
		q += "?"
	}
	return q, nil
}

// decimal reads digits; ok is false without any or beyond 1000000.
func (p *rxParser) decimal() (int, bool) {
	start := p.pos
	for '0' <= p.peek(0) && p.peek(0) <= '9' {
		p.pos++
	}
	if p.pos == start || p.pos-start > 7 {
		return 0, false
	}
	n, err := strconv.Atoi(string(p.src[start:p.pos]))
	return n, err == nil
}

func (p *rxParser) group() (string, error) {
	p.pos++ // "("
	if p.peek(0) == '?' {
		switch p.peek(1) {
		case ':':
			p.pos += 2
		case '<':
			if n := p.peek(2); n == '=' || n == '!' {
				return "", errUnsupportedPattern // lookbehind
			}
			p.pos += 2
			start := p.pos
			for p.peek(0) != '>' && p.peek(0) != -1 {
				p.pos++
			}
			name := string(p.src[start:p.pos])
			if p.peek(0) != '>' || !isGroupName(name) || p.names[name] {
				return "", errUnsupportedPattern
			}
			p.names[name] = true
			p.pos++
		default:
			return "", errUnsupportedPattern // lookahead, or not JavaScript
		}
	}
	var b strings.Builder
	b.WriteString("(?:")
	if err := p.disjunction(&b); err != nil {
		return "", err
	}
	if p.peek(0) != ')' {
		return "", errUnsupportedPattern
	}
	p.pos++
	b.WriteByte(')')
	return b.String(), nil
}

func isGroupName(s string) bool {
	for i, c := range s {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '$'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// runeRange is an inclusive range of code points.
type runeRange struct{ lo, hi rune }

var (
	digitRanges = []runeRange{{'0', '9'}}
	wordRanges  = []runeRange{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}
	spaceRanges = []runeRange{{0x09, 0x0D}, {0x20, 0x20}, {0xA0, 0xA0}, {0x1680, 0x1680}, {0x2000, 0x200A},
		{0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}}
)

// classEscape returns the ranges of \d \D \s \S \w \W.
func classEscape(c rune) ([]runeRange, bool) {
	switch c {
	case 'd':
		return digitRanges, true
	case 'D':
		return complementRanges(digitRanges), true
	case 'w':
		return wordRanges, true
	case 'W':
		return complementRanges(wordRanges), true
	case 's':
		return spaceRanges, true
	case 'S':
		return complementRanges(spaceRanges), true
	}
	return nil, false
}

// atomEscape translates an escape outside a class (after the backslash).
func (p *rxParser) atomEscape() (string, error) {
	c := p.peek(0)
	if rs, ok := classEscape(c); ok {
		p.pos++
		return rangesClass(rs), nil
	}
	r, err := p.characterEscape(false)
	if err != nil {
		return "", err
	}
	return p.literal(r), nil
}

// characterEscape reads an escape that stands for one character (after the
// backslash). inClass allows \b (backspace) and \-.
func (p *rxParser) characterEscape(inClass bool) (rune, error) {
	c := p.peek(0)
	p.pos++
	switch c {
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	case 'c':
		l := p.peek(0)
		if 'a' <= l && l <= 'z' || 'A' <= l && l <= 'Z' {
			p.pos++
			return l % 32, nil
		}
	case '0':
		if d := p.peek(0); d < '0' || d > '9' {
			return 0, nil
		}
	case 'x':
		if v, ok := p.hex(2); ok {
			return v, nil
		}
	case 'u':
		return p.unicodeEscape()
	case 'b':
		if inClass {
			return '\b', nil
		}
	case '-':
		if inClass {
			return '-', nil
		}
	case '^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/':
		return c, nil
	}
	// Backreferences, \k, \p, \P, and escapes JavaScript refuses with the "u" flag.
	return 0, errUnsupportedPattern
}

// hex reads n hexadecimal digits.
func (p *rxParser) hex(n int) (rune, bool) {
	if p.pos+n > len(p.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+n]), 16, 32)
	if err != nil || strings.ContainsAny(string(p.src[p.pos:p.pos+n]), "+-xX_") {
		return 0, false
	}
	p.pos += n
	return rune(v), true
}

// unicodeEscape reads \uHHHH (a surrogate pair of two such escapes is one character)
// or \u{H…} (after the "u").
func (p *rxParser) unicodeEscape() (rune, error) {
	if p.peek(0) == '{' {
		p.pos++
		start := p.pos
		for p.peek(0) != '}' && p.peek(0) != -1 {
			p.pos++
		}
		digits := string(p.src[start:p.pos])
		if p.peek(0) != '}' || digits == "" || strings.Trim(digits, "0123456789abcdefABCDEF") != "" {
			return 0, errUnsupportedPattern
		}
		p.pos++
		digits = strings.TrimLeft(digits, "0")
		if len(digits) > 6 {
			return 0, errUnsupportedPattern
		}
		v, _ := strconv.ParseUint("0"+digits, 16, 32)
		if v > 0x10FFFF {
			return 0, errUnsupportedPattern
		}
		p.astral = true
		return p.checkScalar(rune(v))
	}
	v, ok := p.hex(4)
	if !ok {
		return 0, errUnsupportedPattern
	}
	if utf16.IsSurrogate(v) && v < 0xDC00 && p.peek(0) == '\\' && p.peek(1) == 'u' {
		save := p.pos
		p.pos += 2
		if w, ok := p.hex(4); ok && 0xDC00 <= w && w <= 0xDFFF {
			p.astral = true
			return utf16.DecodeRune(v, w), nil
		}
		p.pos = save
	}
	return p.checkScalar(v)
}

// checkScalar refuses lone surrogates, which no Go string holds.
func (p *rxParser) checkScalar(r rune) (rune, error) {
	if utf16.IsSurrogate(r) {
		return 0, errUnsupportedPattern
	}
	if r > 0xFFFF {
		p.astral = true
	}
	return r, nil
}

// literal translates one character.
func (p *rxParser) literal(r rune) string {
	if r > 0xFFFF {
		p.astral = true
	}
	if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
		return string(r)
	}
	return fmt.Sprintf(`\x{%X}`, r)
}

// class translates a character class.
func (p *rxParser) class() (string, error) {
	p.pos++ // "["
	negate := false
	if p.peek(0) == '^' {
		negate = true
		p.pos++
	}
	var set []runeRange
	for {
		c := p.peek(0)
		if c == -1 {
			return "", errUnsupportedPattern
		}
		if c == ']' {
			p.pos++
			break
		}
		lo, loSet, err := p.classAtom()
		if err != nil {
			return "", err
		}
		if p.peek(0) == '-' && p.peek(1) != ']' && p.peek(1) != -1 {
			p.pos++
			hi, hiSet, err := p.classAtom()
			if err != nil {
				return "", err
			}
			if loSet != nil || hiSet != nil || hi < lo {
				return "", errUnsupportedPattern
			}
			set = append(set, runeRange{lo, hi})
			continue
		}
		if loSet != nil {
			set = append(set, loSet...)
		} else {
			set = append(set, runeRange{lo, lo})
		}
	}
	set = normalizeRanges(set)
	if negate {
		set = complementRanges(set)
	}
	for _, r := range set {
		if r.hi > 0xFFFF && !negate {
			p.astral = true
		}
	}
	return rangesClass(set), nil
}

// classAtom reads one class atom: a character, or the ranges of a class escape.
func (p *rxParser) classAtom() (rune, []runeRange, error) {
	c := p.peek(0)
	p.pos++
	if c != '\\' {
		if c > 0xFFFF {
			p.astral = true
		}
		return c, nil, nil
	}
	if rs, ok := classEscape(p.peek(0)); ok {
		p.pos++
		return 0, rs, nil
	}
	r, err := p.characterEscape(true)
	return r, nil, err
}

// normalizeRanges sorts and merges ranges.
func normalizeRanges(rs []runeRange) []runeRange {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b runeRange) int { return int(a.lo - b.lo) })
	var out []runeRange
	for _, r := range rs {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// complementRanges returns the code points outside rs.
func complementRanges(rs []runeRange) []runeRange {
	rs = normalizeRanges(rs)
	var out []runeRange
	next := rune(0)
	for _, r := range rs {
		if r.lo > next {
			out = append(out, runeRange{next, r.lo - 1})
		}
		next = r.hi + 1
	}
	if next <= 0x10FFFF {
		out = append(out, runeRange{next, 0x10FFFF})
	}
	return out
}

// rangesClass writes ranges as a Go character class; an empty set matches nothing.
func rangesClass(rs []runeRange) string {
	if len(rs) == 0 {
		return never
	}
	var b strings.Builder
	b.WriteByte('[')
	for _, r := range rs {
		fmt.Fprintf(&b, `\x{%X}`, r.lo)
		if r.hi != r.lo {
			fmt.Fprintf(&b, `-\x{%X}`, r.hi)
		}
	}
	b.WriteByte(']')
	return b.String()
}
