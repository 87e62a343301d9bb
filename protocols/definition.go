package protocols

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dwn-ipfs/dwn-ipfs/dwn"
	"github.com/dwn-ipfs/dwn-ipfs/internal/ordered"
)

// MaxDepth is the deepest protocol path a definition may have (the reference's limit).
const MaxDepth = 10

// Actions a rule can allow.
const (
	ActionCoDelete  = "co-delete"
	ActionCoPrune   = "co-prune"
	ActionCoUpdate  = "co-update"
	ActionCreate    = "create"
	ActionDelete    = "delete"
	ActionPrune     = "prune"
	ActionQuery     = "query"
	ActionRead      = "read"
	ActionSubscribe = "subscribe"
	ActionUpdate    = "update"
)

// Actors of a rule.
const (
	Anyone    = "anyone"
	Author    = "author"
	Recipient = "recipient"
)

// Definition is a protocol definition as ProtocolsConfigure carries it. It has already
// passed the JSON Schema of protocol definitions.
type Definition struct {
	Protocol  string
	Published bool
	Types     map[string]Type
	// typeOrder is the order of Types in the JSON (the reference iterates in it).
	typeOrder []string
	// Structure is the root rule set: its children are the root record types.
	Structure *RuleSet
}

// Type is a record type of a definition.
type Type struct {
	Schema      string
	DataFormats []string // nil: any data format
}

// RuleSet is the rule set of one protocol path.
type RuleSet struct {
	// Actions are the $actions rules in order; HasActions is false when $actions is
	// absent.
	Actions    []ActionRule
	HasActions bool
	// Role makes records at this path role records.
	Role bool
	// Size is $size, nil when absent.
	Size *Size
	// Tags is the $tags value as JSON decodes it, nil when absent.
	Tags map[string]any
	// tagKeys are the keys of $tags in the order of the JSON.
	tagKeys []string
	// Children are the nested types, in the order of the JSON.
	Children map[string]*RuleSet
	order    []string
}

// ActionRule is one rule of $actions: either an actor (Who, with Of) or a Role.
type ActionRule struct {
	Who  string
	Of   string
	Role string
	Can  []string
	// JSON is the rule as received, for error details (the reference prints it).
	JSON string
}

// Size is a $size rule.
type Size struct {
	Min    float64
	Max    float64
	HasMax bool
}

// ParseDefinition decodes a definition from its JSON (the descriptor's definition, as
// received). Object key order is kept: validation reports errors in the order the
// reference finds them.
func ParseDefinition(raw []byte) (*Definition, error) {
	v, err := ordered.Decode(raw, false)
	if err != nil {
		return nil, fmt.Errorf("protocols: definition: %w", err)
	}
	o, ok := v.(*ordered.Object)
	if !ok {
		return nil, fmt.Errorf("protocols: definition is not an object")
	}
	d := &Definition{Types: map[string]Type{}}
	d.Protocol, _ = o.Vals["protocol"].(string)
	d.Published, _ = o.Vals["published"].(bool)
	if types, ok := o.Vals["types"].(*ordered.Object); ok {
		for _, name := range types.Keys {
			var t Type
			if to, ok := types.Vals[name].(*ordered.Object); ok {
				t.Schema, _ = to.Vals["schema"].(string)
				if dfs, ok := to.Vals["dataFormats"].([]any); ok {
					t.DataFormats = []string{}
					for _, df := range dfs {
						s, _ := df.(string)
						t.DataFormats = append(t.DataFormats, s)
					}
				}
			}
			d.Types[name] = t
			d.typeOrder = append(d.typeOrder, name)
		}
	}
	st, _ := o.Vals["structure"].(*ordered.Object)
	d.Structure = parseRuleSet(st)
	return d, nil
}

func parseRuleSet(o *ordered.Object) *RuleSet {
	rs := &RuleSet{Children: map[string]*RuleSet{}}
	if o == nil {
		return rs
	}
	for _, k := range o.Keys {
		v := o.Vals[k]
		switch k {
		case "$actions":
			rs.HasActions = true
			list, _ := v.([]any)
			for _, e := range list {
				ro, _ := e.(*ordered.Object)
				if ro == nil {
					continue
				}
				var a ActionRule
				a.Who, _ = ro.Vals["who"].(string)
				a.Of, _ = ro.Vals["of"].(string)
				a.Role, _ = ro.Vals["role"].(string)
				if cans, ok := ro.Vals["can"].([]any); ok {
					for _, c := range cans {
						s, _ := c.(string)
						a.Can = append(a.Can, s)
					}
				}
				a.JSON = ro.Raw
				rs.Actions = append(rs.Actions, a)
			}
		case "$role":
			rs.Role, _ = v.(bool)
		case "$size":
			if so, ok := v.(*ordered.Object); ok {
				rs.Size = &Size{}
				rs.Size.Min, _ = number(so.Vals["min"])
				rs.Size.Max, rs.Size.HasMax = number(so.Vals["max"])
			}
		case "$tags":
			if to, ok := v.(*ordered.Object); ok {
				rs.Tags = ordered.Plain(to).(map[string]any)
				rs.tagKeys = to.Keys
			}
		default:
			if strings.HasPrefix(k, "$") {
				continue
			}
			child, _ := v.(*ordered.Object)
			rs.Children[k] = parseRuleSet(child)
			rs.order = append(rs.order, k)
		}
	}
	return rs
}

// At returns the rule set at protocolPath ("a/b/c"), or nil when the definition has
// none there.
func (d *Definition) At(protocolPath string) *RuleSet {
	rs := d.Structure
	for seg := range strings.SplitSeq(protocolPath, "/") {
		if rs = rs.Children[seg]; rs == nil {
			return nil
		}
	}
	return rs
}

// Validate applies the checks the reference makes on a definition beyond its JSON
// Schema (ProtocolsConfigure.validateProtocolDefinition), in the reference's order:
// normalized protocol and schema URLs, nesting depth, then every rule set from the root
// down. Errors are 400s with the reference's code.
func (d *Definition) Validate() error {
	if err := dwn.CheckProtocolURL(d.Protocol); err != nil {
		return err
	}
	for _, name := range d.typeOrder {
		if s := d.Types[name].Schema; s != "" {
			if err := dwn.CheckSchemaURL(s); err != nil {
				return err
			}
		}
	}
	var roles []string
	if err := collectRoles("", d.Structure, &roles); err != nil {
		return err
	}
	return d.validateRuleSet("", d.Structure, roles)
}

// collectRoles gathers the paths of $role rule sets, refusing paths deeper than
// MaxDepth (the reference checks depth while it collects roles; it does not descend
// into role rule sets).
func collectRoles(path string, rs *RuleSet, roles *[]string) error {
	if len(strings.Split(path, "/")) > MaxDepth {
		return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureRecordNestingDepthExceeded",
			"Record nesting depth exceeded %d levels.", MaxDepth)
	}
	for _, name := range rs.order {
		child := rs.Children[name]
		p := join(path, name)
		if child.Role {
			*roles = append(*roles, p)
			continue
		}
		if err := collectRoles(p, child, roles); err != nil {
			return err
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "/" + name
}

var readActions = []string{ActionRead, ActionQuery, ActionSubscribe}

func (d *Definition) validateRuleSet(path string, rs *RuleSet, roles []string) error {
	if s := rs.Size; s != nil && s.HasMax && s.Max < s.Min {
		return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureInvalidSize",
			"Invalid size range found: max limit %s less than min limit %s at protocol path '%s'",
			jsNumber(s.Max), jsNumber(s.Min), path)
	}
	if rs.Tags != nil {
		if err := validateTagSchemasInOrder(path, rs.Tags, rs.tagKeys); err != nil {
			return err
		}
	}
	for i, a := range rs.Actions {
		if a.Role != "" {
			if !slices.Contains(roles, a.Role) {
				return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureRoleDoesNotExistAtGivenPath",
					"Role in action %s for rule set %s does not exist.", a.JSON, path)
			}
			if slices.ContainsFunc(readActions, func(x string) bool { return slices.Contains(a.Can, x) }) &&
				!allOf(readActions, a.Can) {
				return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureRoleReadActionMissing",
					"Role in action %s for rule set %s must contain all read actions (read, query, subscribe).", a.JSON, path)
			}
		}
		if a.Who == Anyone && a.Of != "" {
			return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureInvalidActionOfNotAllowed",
				"'of' is not allowed at rule set protocol path (%s)", path)
		}
		if a.Who == Recipient && a.Of == "" {
			for _, c := range a.Can {
				if c != ActionCoUpdate && c != ActionCoDelete && c != ActionCoPrune {
					return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureInvalidRecipientOfAction",
						"Rules for `recipient` without `of` property must have `can` containing only `co-update`, `co-delete`, and `co-prune`.")
				}
			}
		}
		if a.Who == Author && a.Of == "" {
			return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureInvalidActionMissingOf",
				"'of' is required when 'author' is specified as 'who'")
		}
		if slices.Contains(a.Can, ActionUpdate) && !slices.Contains(a.Can, ActionCreate) {
			return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureInvalidActionUpdateWithoutCreate",
				"Action rule %s contains 'update' action but missing the required 'create' action.", a.JSON)
		}
		if slices.Contains(a.Can, ActionDelete) && !slices.Contains(a.Can, ActionCreate) {
			return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureInvalidActionDeleteWithoutCreate",
				"Action rule %s contains 'delete' action but missing the required 'create' action.", a.JSON)
		}
		for _, b := range rs.Actions[i+1:] {
			if a.Who != "" {
				if a.Who == b.Who && a.Of == b.Of {
					return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureDuplicateActorInRuleSet",
						"More than one action rule per actor %s of %s not allowed within a rule set: %s", a.Who, jsOptional(a.Of), a.JSON)
				}
			} else if a.Role == b.Role {
				return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureDuplicateRoleInRuleSet",
					"More than one action rule per role %s not allowed within a rule set: %s", jsOptional(a.Role), a.JSON)
			}
		}
	}
	for _, name := range rs.order {
		if _, ok := d.Types[name]; !ok {
			return dwn.Errorf(dwn.Invalid, "ProtocolsConfigureInvalidRuleSetRecordType",
				"Rule set %s is not declared as an allowed type in the protocol definition.", name)
		}
		if err := d.validateRuleSet(join(path, name), rs.Children[name], roles); err != nil {
			return err
		}
	}
	return nil
}

func allOf(want, have []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// jsOptional renders an optional string as a JavaScript template literal would.
func jsOptional(s string) string {
	if s == "" {
		return "undefined"
	}
	return s
}

// jsNumber renders a number as JavaScript's String(n) does for the values a definition
// holds (integers and short decimals).
func jsNumber(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}
