package pep508

import (
	"errors"
	"testing"
)

var fuzzSeeds = []string{
	"requests",
	"requests[socks,security]>=2.31,<3; python_version >= '3.8' and extra == 'Socks'",
	"Foo.Bar (>=1.0, !=1.5.*)",
	"pip @ https://example.com/pip.whl ; sys_platform == 'linux'",
	"foo===1.0-weird;os_name=='posix'",
	"foo; (python_version < '3.10' or (platform_machine == 'aarch64')) and os.name != 'nt'",
	"foo; 'a\"' == os_name or \"b'\" in platform_version",
	"foo; os_name == \"C:\\\\x\\n\\x41\\u00e9\\101\"",
	"foo>=1.0.*",
	"foo[",
	"foo; '3.7' not in python_version",
	"foo;\"x\" in extras",
}

// FuzzParseRequirement checks that parsing never panics and that String() of anything that
// parses reads back as an equal requirement with the same text.
func FuzzParseRequirement(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRequirement(s)
		if err != nil {
			return
		}
		text := r.String()
		again, err := ParseRequirement(text)
		if err != nil {
			t.Fatalf("%q parsed, but its String() %q does not: %v", s, text, err)
		}
		if !again.Equal(r) || again.String() != text {
			t.Fatalf("%q: String() %q re-parses as %q", s, text, again.String())
		}
		checkSameEvaluation(t, r.Marker, again.Marker)
	})
}

// FuzzParseMarker checks that parsing and evaluation never panic and that String() reads back
// as an equal marker that evaluates the same.
func FuzzParseMarker(f *testing.F) {
	for _, s := range fuzzSeeds {
		if r, err := ParseRequirement(s); err == nil && r.Marker != nil {
			f.Add(r.Marker.String())
		}
	}
	f.Add(`"b" > "a"`)
	f.Add(`extras == "x" or python_full_version == "3.12.0+"`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMarker(s)
		if err != nil {
			return
		}
		again, err := ParseMarker(m.String())
		if err != nil {
			t.Fatalf("%q parsed, but its String() %q does not: %v", s, m.String(), err)
		}
		if !again.Equal(m) || again.String() != m.String() {
			t.Fatalf("%q: String() %q re-parses as %q", s, m.String(), again.String())
		}
		checkSameEvaluation(t, m, again)
	})
}

func checkSameEvaluation(t *testing.T, a, b *Marker) {
	t.Helper()
	env := defaultTestEnv()
	env["a"] = "a"
	for _, extras := range [][]string{nil, {"Socks"}} {
		x, errX := a.EvaluateExtras(env, extras)
		y, errY := b.EvaluateExtras(env, extras)
		if x != y || errors.Is(errX, ErrUndefinedComparison) != errors.Is(errY, ErrUndefinedComparison) ||
			errors.Is(errX, ErrUndefinedEnvironmentName) != errors.Is(errY, ErrUndefinedEnvironmentName) {
			t.Fatalf("%q evaluates to %v, %v but its re-parse %q to %v, %v", a, x, errX, b, y, errY)
		}
	}
}
