package report

import "testing"

func TestCausesCycle(t *testing.T) {
	t.Parallel()
	head := []Package{
		{Name: "a", Version: "1", UnzippedBytes: 10, RequiredBy: []string{"b 1"}},
		{Name: "b", Version: "1", UnzippedBytes: 20, RequiredBy: []string{"a 1"}},
		{Name: "c", Version: "1", UnzippedBytes: 5, RequiredBy: []string{"b 1"}},
	}
	changes := packageChanges(head, nil)
	cs := causes(changes, head, nil)
	if len(cs) != 1 || cs[0].UnzippedDelta != 35 {
		t.Errorf("a cycle of added packages is one cause: %+v", cs)
	}
}

func TestVersionOrder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want int
	}{{"1.10", "1.9", 1}, {"2.0.0rc1", "2.0.0", -1}, {"1.0.post1", "1.0", 1}, {"1.0", "1.0.0", 0}, {"weird", "weirder", -1}} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
