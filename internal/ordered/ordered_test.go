package ordered

import (
	"slices"
	"testing"
)

func TestUnique(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, nil},
		{[]string{}, nil},
		{[]string{"b", "a", "b", "c", "a"}, []string{"b", "a", "c"}},
		{[]string{"x"}, []string{"x"}},
	} {
		if got := Unique(tc.in); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("Unique(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIntersect(t *testing.T) {
	for _, tc := range []struct{ have, want, out []string }{
		{nil, []string{"a"}, nil},
		{[]string{"a"}, nil, nil},
		{[]string{"c", "a", "b"}, []string{"b", "c"}, []string{"c", "b"}},
	} {
		if got := Intersect(tc.have, tc.want); !slices.Equal(got, tc.out) || (got == nil) != (tc.out == nil) {
			t.Errorf("Intersect(%q, %q) = %q, want %q", tc.have, tc.want, got, tc.out)
		}
	}
}
