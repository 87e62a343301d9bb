package dataschema

import "testing"

func TestLRU(t *testing.T) {
	c := newLRU[string, int](2)
	c.add("a", 1)
	c.add("b", 2)
	if v, ok := c.get("a"); !ok || v != 1 { // a is now the most recent
		t.Fatalf("get(a) = %v, %v", v, ok)
	}
	c.add("c", 3) // evicts b
	if _, ok := c.get("b"); ok {
		t.Error("b was not evicted")
	}
	c.add("a", 10) // replaces, no eviction
	for k, want := range map[string]int{"a": 10, "c": 3} {
		if v, ok := c.get(k); !ok || v != want {
			t.Errorf("get(%s) = %v, %v; want %v", k, v, ok, want)
		}
	}
	c.remove("a")
	c.remove("missing")
	if _, ok := c.get("a"); ok || c.len() != 1 {
		t.Errorf("after remove: len %d", c.len())
	}
	c.clear()
	if _, ok := c.get("c"); ok || c.len() != 0 {
		t.Errorf("after clear: len %d", c.len())
	}
}
