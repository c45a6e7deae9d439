package cache

import "testing"

func TestMapBound(t *testing.T) {
	c := Map[int, string]{Max: 3}
	if _, ok := c.Get(1); ok {
		t.Fatal("empty map found 1")
	}
	for k := range 3 {
		c.Put(k, string(rune('a'+k)))
	}
	if v, ok := c.Get(2); !ok || v != "c" {
		t.Fatalf("Get(2) = %q, %v", v, ok)
	}
	c.Put(2, "C") // full: starts over, even to replace a key it holds
	if _, ok := c.Get(0); ok {
		t.Fatal("a Put into a full map kept the old entries")
	}
	if v, ok := c.Get(2); !ok || v != "C" {
		t.Fatalf("Get(2) after the restart = %q, %v", v, ok)
	}
}

func TestMapUnbounded(t *testing.T) {
	var c Map[int, int]
	for k := range 1000 {
		c.Put(k, k)
	}
	if v, ok := c.Get(0); !ok || v != 0 {
		t.Fatal("an unbounded map dropped an entry")
	}
}
