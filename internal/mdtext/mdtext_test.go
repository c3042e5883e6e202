package mdtext

import "testing"

func TestFenced(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain\n", "```text\nplain\n```\n"},
		{"has ``` inside", "````text\nhas ``` inside\n````\n"},
		{"a `` b ````` c", "``````text\na `` b ````` c\n``````\n"},
	} {
		if got := Fenced("text", tc.in); got != tc.want {
			t.Errorf("Fenced(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"x86_64", "`x86_64`"},
		{"a`b", "``a`b``"},
		{"`x`", "`` `x` ``"},
		{"a|b", "`a\\|b`"},
	} {
		if got := Code(tc.in); got != tc.want {
			t.Errorf("Code(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 layers"}, {1, "1 layer"}, {2, "2 layers"}, {1875, "1,875 layers"}} {
		if got := Plural(tc.n, "layer", "layers"); got != tc.want {
			t.Errorf("Plural(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestShortSHA(t *testing.T) {
	for in, want := range map[string]string{
		"0123456789abcdef0123456789abcdef01234567": "0123456",
		"abc":              "abc",
		"not-a-sha-at-all": "not-a-sha-at-all",
	} {
		if got := ShortSHA(in); got != want {
			t.Errorf("ShortSHA(%q) = %q, want %q", in, got, want)
		}
	}
}
