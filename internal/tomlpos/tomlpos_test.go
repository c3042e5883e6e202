package tomlpos

import (
	"testing"
)

const doc = `version = 1
[[package]]
name = "a"
wheels = [
    { url = "u1", hash = "h1" },
    { url = "u2", size = 1_000 },
]

[package.optional-dependencies]
x = [
  "b",
]

[[package]]
name = "c"
dotted.key = true
[[package.wheels]]
url = "u3"
`

func TestLines(t *testing.T) {
	root, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	pk := root.Get("package")
	if pk == nil || len(pk.Items) != 2 {
		t.Fatalf("package: %+v", pk)
	}
	a, c := pk.Items[0], pk.Items[1]
	check := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: line %d, want %d", what, got, want)
		}
	}
	check("package a", a.Line, 2)
	check("wheel 1", a.Get("wheels").Items[0].Line, 5)
	check("wheel 2", a.Get("wheels").Items[1].Line, 6)
	if a.Get("wheels").Items[1].Get("size").Int != 1000 {
		t.Errorf("size")
	}
	check("extra b", a.Path("optional-dependencies", "x").Items[0].Line, 11)
	check("package c", c.Line, 14)
	check("c wheel", c.Get("wheels").Items[0].Line, 17)
	if !c.Path("dotted", "key").Bool {
		t.Errorf("dotted")
	}
	if root.Get("version").Int != 1 {
		t.Errorf("version")
	}
}

func TestInvalid(t *testing.T) {
	for _, in := range []string{"a = 1\na = 2\n", "[a]\nb=1\n[a]\n", "x = [1,\n", "a = { b = 1 }\n[a.c]\n"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(doc))
	f.Add([]byte("a.b.c = 1\n[a]\nd = [[1], {x = 2}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Parse(data)
	})
}
