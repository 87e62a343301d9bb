package protocols

import (
	"errors"
	"fmt"
	"slices"
)

// Running a compiled $tags rule as Ajv's generated code runs (draft 2020-12, first
// error only). Errors go to one list, as Ajv's vErrors:
//
//   - outside a composite keyword an error ends the function with just that error
//     (Ajv's returnErrors), or, for the anyOf, oneOf, if and propertyNames errors, with
//     the list so far;
//   - inside a composite keyword (anyOf, oneOf, not, if, contains, propertyNames) errors
//     are collected, and the keyword removes them when it passes; there a wrong type
//     does not stop the keywords that apply to any type;
//   - after a failed keyword the schema's other keywords of the same data type group
//     are skipped, and so are later groups once the schema has an error (Ajv's
//     `if (errors === _errs)` guards); a few keywords let the rest of their group run
//     after a failure, or skip it without one, exactly where Ajv's code does.
//
// A called function (a $ref or $dynamicRef target compiled on its own) starts its own
// error list within the shared one; it returns false when it added errors.

// kwFunc runs one keyword on data at instance path at; comp says whether a composite
// keyword encloses it; ev collects evaluated properties and items. It reports whether
// the schema's next keywords run.
type kwFunc func(r *run, data any, at string, comp bool, ev *evaluated) bool

// snode is a compiled schema.
type snode struct {
	always  int8 // 1: always valid, -1: the false schema, 0: an object with rules
	types   []string
	typeMsg string
	upfront bool // check types before the keywords
	groups  []kgroup
	static  *evaluated
}

// kgroup is a data type group of keywords; typeErr reports a wrong type (the schema's
// single type, checked in its group).
type kgroup struct {
	typ     string
	typeErr bool
	kws     []kwFunc
}

// Limits of a run. Ajv recurses on the JavaScript stack; a rule that references itself
// without consuming data overflows it, and the reference replies with the RangeError.
// Deep recursion otherwise needs deep data, which tags do not have. maxSteps bounds the
// work one write can cause (nested anyOf can be exponential).
const (
	maxCallDepth = 2000
	maxSteps     = 200_000
)

var (
	errStackOverflow = errors.New("Maximum call stack size exceeded")
	errTooComplex    = errors.New("the tag schemas need too much work to check these tags")
)

// run is the state of one validation.
type run struct {
	errs    []ajvError
	fnStart int  // where the current function's errors start
	aborted bool // the current function returned
	fault   error
	dyn     map[string]*tagFunc // dynamic anchors
	depth   int
	steps   int
	less    func(a, b string) int // key order of the data
}

func newRun(less func(a, b string) int) *run {
	return &run{dyn: map[string]*tagFunc{}, less: less}
}

func (r *run) stopped() bool { return r.aborted || r.fault != nil }

func (r *run) truncate(n int) { r.errs = r.errs[:n] }

// report is Ajv's reportError.
func (r *run) report(at, msg string, comp bool) {
	if comp {
		r.errs = append(r.errs, ajvError{at, msg})
		return
	}
	r.errs = append(r.errs[:r.fnStart], ajvError{at, msg})
	r.aborted = true
}

// reportExtra is Ajv's reportExtraError.
func (r *run) reportExtra(at, msg string, comp bool) {
	r.errs = append(r.errs, ajvError{at, msg})
	if !comp {
		r.aborted = true
	}
}

// call runs a function on data and reports whether it passed.
func (r *run) call(fn *tagFunc, data any, at string) (bool, *evaluated) {
	if r.fault != nil {
		return false, nil
	}
	if r.depth >= maxCallDepth {
		r.fault = errStackOverflow
		return false, nil
	}
	r.depth++
	saved, start := r.fnStart, len(r.errs)
	r.fnStart = start
	var ev *evaluated
	if fn.meta {
		r.errs = append(r.errs, metaValidate(data, at, r.less)...)
	} else {
		_, ev = fn.body.eval(r, data, at, false)
		if !r.stopped() {
			r.read(fn.endReads, ev)
		}
	}
	r.aborted = false
	r.fnStart = saved
	r.depth--
	return r.fault == nil && len(r.errs) == start, ev
}

// errReference is the ReferenceError of generated code that reads a variable it never
// declared (see jsName).
type errReference struct{ name string }

func (e *errReference) Error() string { return e.name + " is not defined" }

// read runs generated code that reads variables (see nameRead); ev is what the first
// one holds beyond what was known at compile time.
func (r *run) read(reads []nameRead, ev *evaluated) {
	for _, x := range reads {
		if x.first.dead {
			r.fault = &errReference{x.first.label}
			return
		}
		if x.second == nil || x.firstAll || x.items && ev.allItems || !x.items && ev.allProps {
			continue
		}
		if x.second.dead {
			r.fault = &errReference{x.second.label}
			return
		}
	}
}

// eval runs the schema on data; valid is whether it added no error.
func (n *snode) eval(r *run, data any, at string, comp bool) (bool, *evaluated) {
	if r.fault != nil {
		return false, nil
	}
	if r.steps++; r.steps > maxSteps {
		r.fault = errTooComplex
		return false, nil
	}
	switch n.always {
	case 1:
		return true, nil
	case -1:
		r.report(at, "boolean schema is false", comp)
		return false, nil
	}
	// ev collects what the keywords evaluate at run time; the caller gets it with what
	// was known at compile time.
	ev := &evaluated{}
	valid := n.run(r, data, at, comp, ev)
	ev.add(n.static)
	return valid, ev
}

func (n *snode) run(r *run, data any, at string, comp bool, ev *evaluated) bool {
	start := len(r.errs)
	if n.upfront && !isAnyType(n.types, data) {
		r.report(at, n.typeMsg, comp)
		if r.stopped() {
			return false
		}
	}
	for _, g := range n.groups {
		if g.typ != "" && !isType(g.typ, data) {
			if g.typeErr {
				r.report(at, n.typeMsg, comp)
			}
		} else {
			for _, kw := range g.kws {
				cont := kw(r, data, at, comp, ev)
				if r.stopped() {
					return false
				}
				if !cont {
					break
				}
			}
		}
		if r.stopped() {
			return false
		}
		if len(r.errs) != start {
			break
		}
	}
	return len(r.errs) == start
}

// evaluated is the set of properties and items a schema evaluated, for
// unevaluatedProperties and unevaluatedItems: all, or some names and the count of
// leading items.
type evaluated struct {
	allProps bool
	props    map[string]bool
	allItems bool
	items    int
}

func evaluatedOf(props, items evTrack) *evaluated {
	return &evaluated{allProps: props.all, props: props.names, allItems: items.all, items: items.n}
}

func (e *evaluated) add(o *evaluated) {
	if e == nil || o == nil {
		return
	}
	e.allProps = e.allProps || o.allProps
	e.allItems = e.allItems || o.allItems
	e.items = max(e.items, o.items)
	for k := range o.props {
		e.addProp(k)
	}
}

func (e *evaluated) addProp(k string) {
	if e.props == nil {
		e.props = map[string]bool{}
	}
	e.props[k] = true
}

// ---------------------------------------------------------------------------
// uniqueItems

func duplicateMessage(a, b int) string {
	return fmt.Sprintf("must NOT have duplicate items (items ## %d and %d are identical)", a, b)
}

// duplicateItems finds a duplicate pair as Ajv's uniqueItems does and returns the two
// indices in the order its message prints them. With scalar item types Ajv walks the
// list from the end, keying a plain object by each item's string form (so it skips
// items of other types, and never sees a duplicate "__proto__"); otherwise it compares
// every pair, from the end.
func duplicateItems(list []any, itemTypes []string) (int, int, bool) {
	scalar := len(itemTypes) > 0 && !slices.Contains(itemTypes, "object") && !slices.Contains(itemTypes, "array")
	if !scalar {
		for i := len(list) - 1; i > 0; i-- {
			for j := i - 1; j >= 0; j-- {
				if jsEqual(list[i], list[j]) {
					return j, i, true
				}
			}
		}
		return 0, 0, false
	}
	seen := map[string]int{}
	for i := len(list) - 1; i >= 0; i-- {
		item := list[i]
		if !isAnyType(itemTypes, item) {
			continue
		}
		key := jsString(item)
		if _, ok := item.(string); ok && len(itemTypes) > 1 {
			key += "_"
		}
		if key == objectPrototypeKeyName {
			continue
		}
		if j, ok := seen[key]; ok {
			return j, i, true
		}
		seen[key] = i
	}
	return 0, 0, false
}
