package pep440

import (
	"fmt"
	"reflect"
	"testing"
)

// TestAndAllIsAFoldOfAnd: AndAll gives what folding And gives, pre-release policy included.
func TestAndAllIsAFoldOfAnd(t *testing.T) {
	t.Parallel()
	texts := []string{"", ">=1.0", "<2", ">=1.0,<2", "!=1.5.*", "==1.4", ">=1.0b1", "~=1.2", "===1.3", ">=1.0", "<3,>0.5"}
	versions := []string{"0.1", "1.0", "1.0b2", "1.3", "1.4", "1.5.1", "1.9", "2.0", "2.5rc1", "3.0"}
	mk := func(i int) Specifiers {
		s := MustParseSpecifiers(texts[i%len(texts)])
		switch i % 7 {
		case 3:
			s = s.WithPrereleases(true)
		case 5:
			s = s.WithPrereleases(false)
		}
		return s
	}
	for n := 0; n < 400; n++ {
		var sets []Specifiers
		for k := 0; k <= n%6; k++ {
			sets = append(sets, mk(n*7+k*3))
		}
		var fold Specifiers
		for _, s := range sets {
			fold = fold.And(s)
		}
		all := AndAll(sets...)
		fa, fs := fold.PrereleasesOverride()
		aa, as := all.PrereleasesOverride()
		if all.String() != fold.String() || fa != aa || fs != as || fmt.Sprint(all.Clauses()) != fmt.Sprint(fold.Clauses()) {
			t.Fatalf("sets %v: AndAll %q (%v %v), fold %q (%v %v)", sets, all, aa, as, fold, fa, fs)
		}
		if !reflect.DeepEqual(all.intervals, fold.intervals) {
			t.Fatalf("sets %v: AndAll's intervals %v, fold's %v", sets, all.intervals, fold.intervals)
		}
		for _, v := range versions {
			if all.Contains(v, nil) != fold.Contains(v, nil) {
				t.Fatalf("sets %v: %s: AndAll %v, fold %v", sets, v, all.Contains(v, nil), fold.Contains(v, nil))
			}
		}
	}
}
