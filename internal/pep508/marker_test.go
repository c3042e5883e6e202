package pep508

import (
	"errors"
	"strings"
	"testing"
)

// lambdaEnv is what a Lambda target's marker environment looks like.
func lambdaEnv(pyVersion, machine string) Env {
	return Env{
		"os_name":                        "posix",
		"sys_platform":                   "linux",
		"platform_system":                "Linux",
		"platform_machine":               machine,
		"platform_python_implementation": "CPython",
		"implementation_name":            "cpython",
		"python_version":                 pyVersion,
		"python_full_version":            pyVersion + ".0",
		"implementation_version":         pyVersion + ".0",
		"platform_release":               "",
		"platform_version":               "",
	}
}

func TestEvaluateTargetEnvironment(t *testing.T) {
	py311, py313 := lambdaEnv("3.11", "x86_64"), lambdaEnv("3.13", "x86_64")
	py39, arm := lambdaEnv("3.9", "x86_64"), lambdaEnv("3.12", "aarch64")
	withExtra := func(env Env, extra string) Env {
		out := Env{"extra": extra}
		for k, v := range env {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		marker string
		env    Env
		want   bool
	}{
		{`python_version >= "3.12"`, py311, false},
		{`python_version >= "3.12"`, py313, true},
		// Version order, not string order: "3.9" < "3.10" although "3.9" > "3.10" as text.
		{`python_version < "3.10"`, py39, true},
		{`python_version < "3.10"`, py313, false},
		{`python_version > "3.8"`, py39, true},
		{`"3.10" <= python_version`, py313, true},
		{`"3.10" <= python_version`, py39, false},
		{`python_version == "3.13.*"`, py313, true},
		{`python_version ~= "3.11"`, py313, true},
		{`python_full_version >= "3.11.0"`, py311, true},
		{`python_full_version < "3.11.1"`, py311, true},
		{`platform_machine == "aarch64"`, arm, true},
		{`platform_machine == "aarch64"`, py311, false},
		{`platform_machine != "aarch64" and platform_machine != "arm64"`, py311, true},
		{`sys_platform == "win32"`, py311, false},
		{`sys_platform != "win32" and platform_system == "Linux"`, py311, true},
		{`platform_python_implementation == "CPython"`, py311, true},
		{`python_implementation == "PyPy"`, py311, false},
		{`implementation_name == "cpython" and os.name == "posix"`, py311, true},
		{`"linux" in sys_platform`, py311, true},
		{`"win" not in sys_platform`, py311, true},
		// "and" binds tighter than "or".
		{`sys_platform == "win32" and python_version < "3" or python_version >= "3.12"`, py313, true},
		{`sys_platform == "win32" and (python_version < "3" or python_version >= "3.12")`, py313, false},
		{`extra == "Socks"`, withExtra(py311, "socks"), true},
		{`extra == "socks"`, withExtra(py311, "SOCKS"), true},
		{`extra == "socks"`, withExtra(py311, "security"), false},
		{`extra == "socks"`, py311, false}, // metadata context: extra defaults to ""
		// Non-version values compare as plain strings, where only equality means anything.
		{`platform_release >= "5"`, Env{"platform_release": "6.1.0-amzn"}, false},
		{`os_name < "z"`, py311, false},
		{`os_name <= "posix"`, py311, true},
	}
	for _, tc := range tests {
		m, err := ParseMarker(tc.marker)
		if err != nil {
			t.Errorf("ParseMarker(%q): %v", tc.marker, err)
			continue
		}
		got, err := m.Evaluate(tc.env)
		if err != nil || got != tc.want {
			t.Errorf("%q with python %s, machine %s, extra %q: got %v, %v; want %v",
				tc.marker, tc.env["python_version"], tc.env["platform_machine"], tc.env["extra"], got, err, tc.want)
		}
	}
}

func TestEvaluateExtras(t *testing.T) {
	env := lambdaEnv("3.12", "x86_64")
	env["extra"] = "ignored" // EvaluateExtras decides extra itself
	tests := []struct {
		marker string
		extras []string
		want   bool
	}{
		{`extra == "socks"`, nil, false},
		{`extra == "socks"`, []string{"Socks"}, true},
		{`extra == "socks"`, []string{"security", "SOCKS"}, true},
		{`extra == "socks"`, []string{"security"}, false},
		{`extra == "Socks" and python_version >= "3.13"`, []string{"socks"}, false},
		{`python_version >= "3.8"`, nil, true},
		{`python_version >= "3.8"`, []string{"socks"}, true},
		{`python_version < "3.8"`, []string{"socks"}, false},
		{`extra == ""`, nil, true},
		{`extra != "socks"`, nil, true},
		{`extra == "a-b"`, []string{"A_B"}, true},
	}
	for _, tc := range tests {
		m, err := ParseMarker(tc.marker)
		if err != nil {
			t.Fatalf("ParseMarker(%q): %v", tc.marker, err)
		}
		got, err := m.EvaluateExtras(env, tc.extras)
		if err != nil || got != tc.want {
			t.Errorf("%q with extras %q: got %v, %v; want %v", tc.marker, tc.extras, got, err, tc.want)
		}
	}
	if env["extra"] != "ignored" {
		t.Errorf("EvaluateExtras changed the caller's Env")
	}
}

func TestNilMarker(t *testing.T) {
	var m *Marker
	if ok, err := m.Evaluate(nil); !ok || err != nil {
		t.Errorf("nil.Evaluate = %v, %v; want true", ok, err)
	}
	if ok, err := m.EvaluateExtras(nil, []string{"x"}); !ok || err != nil {
		t.Errorf("nil.EvaluateExtras = %v, %v; want true", ok, err)
	}
	if m.String() != "" || !m.Equal(nil) {
		t.Errorf("nil marker: String %q, Equal(nil) %v", m.String(), m.Equal(nil))
	}
}

func TestEvaluateErrors(t *testing.T) {
	env := lambdaEnv("3.12", "x86_64")
	tests := []struct {
		marker string
		env    Env
		opts   EvalOptions
		want   error
	}{
		{`os_name ~= "1.0"`, env, EvalOptions{}, ErrUndefinedComparison},
		{`os_name === "posix"`, env, EvalOptions{}, ErrUndefinedComparison},
		{`python_version >= "3"`, Env{}, EvalOptions{}, ErrUndefinedEnvironmentName},
		{`extra == "x"`, env, EvalOptions{Context: ContextRequirement}, ErrUndefinedEnvironmentName},
		{`"x" in extras`, env, EvalOptions{}, ErrUndefinedEnvironmentName},
		{`extras == "x"`, env, EvalOptions{Context: ContextLockFile}, ErrUndefinedComparison},
		// Every comparison is evaluated, as packaging does, so the result being known is no excuse.
		{`os_name == "posix" or os_name ~= "1"`, env, EvalOptions{}, ErrUndefinedComparison},
	}
	for _, tc := range tests {
		m, err := ParseMarker(tc.marker)
		if err != nil {
			t.Fatalf("ParseMarker(%q): %v", tc.marker, err)
		}
		got, err := m.EvaluateWith(tc.env, tc.opts)
		if !errors.Is(err, tc.want) {
			t.Errorf("%q: got %v, %v; want %v", tc.marker, got, err, tc.want)
		} else if !strings.Contains(err.Error(), "evaluating marker") {
			t.Errorf("%q: error %q lacks context", tc.marker, err)
		}
	}
}

func TestEvaluateLockFileSets(t *testing.T) {
	m, err := ParseMarker(`"Dev" in dependency_groups and "docs" not in extras`)
	if err != nil {
		t.Fatal(err)
	}
	env := lambdaEnv("3.12", "x86_64")
	for _, tc := range []struct {
		sets map[string][]string
		want bool
	}{
		{nil, false},
		{map[string][]string{"dependency_groups": {"dev"}}, true},
		{map[string][]string{"dependency_groups": {"DEV"}, "extras": {"Docs"}}, false},
	} {
		got, err := m.EvaluateWith(env, EvalOptions{Context: ContextLockFile, Sets: tc.sets})
		if err != nil || got != tc.want {
			t.Errorf("sets %v: got %v, %v; want %v", tc.sets, got, err, tc.want)
		}
	}
}

func TestMarkerString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`python_version>='3.8'`, `python_version >= "3.8"`},
		{`os.name=="posix"`, `os_name == "posix"`},
		{`( python_version < "3" )`, `python_version < "3"`},
		{`a_b == extra`, ``}, // not a variable: rejected
		{`extra == "Foo.Bar"`, `extra == "foo-bar"`},
		{`python_version < "3.10" and ((sys_platform == "linux" or sys_platform == "darwin"))`,
			`python_version < "3.10" and (sys_platform == "linux" or sys_platform == "darwin")`},
		{`os_name == 'a"b'`, `os_name == 'a"b'`},
		{`os_name == "a'b"`, `os_name == "a'b"`},
		// packaging would write these values unescaped, and the text would not read back.
		{`os_name == "C:\\"`, `os_name == "C:\\"`},
		{`os_name == "a\nb"`, `os_name == "a\nb"`},
		{`os_name == "a\"b'c"`, ``}, // \" does not escape the token's closing quote
		{`os_name == "a\x22b\x27c"`, `os_name == "a\x22b'c"`},
	}
	for _, tc := range tests {
		m, err := ParseMarker(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseMarker(%q) = %q; want an error", tc.in, m)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMarker(%q): %v", tc.in, err)
			continue
		}
		if m.String() != tc.want {
			t.Errorf("ParseMarker(%q).String() = %q; want %q", tc.in, m, tc.want)
		}
		again, err := ParseMarker(m.String())
		if err != nil || !again.Equal(m) {
			t.Errorf("%q does not re-parse to itself: %v", m, err)
		}
	}
}

func TestParseMarkerErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`python_version >= "3" garbage`, `parsing marker "python_version >= \"3\" garbage": expected end of marker expression at column 23`},
		{`python_version`, `parsing marker "python_version": expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in at column 15`},
		{`(os_name == "a"`, `parsing marker "(os_name == \"a\"": expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression at column 16`},
		{`os_name == "\x"`, `parsing marker "os_name == \"\\x\"": invalid quoted string at column 16`},
		{"python_version >= \"3\"\n", `parsing marker "python_version >= \"3\"\n": expected end of marker expression at column 22`},
		{`python_version >= "3" # comment`, `parsing marker "python_version >= \"3\" # comment": expected end of marker expression at column 23`},
		{strings.Repeat("(", 200) + `os_name == "a"` + strings.Repeat(")", 200), `parsing marker "` + strings.Repeat("(", 200) + `os_name == \"a\"` + strings.Repeat(")", 200) + `": marker expression nested too deeply at column 101`},
	}
	for _, tc := range tests {
		_, err := ParseMarker(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseMarker(%q) error:\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	m, err := ParseMarker(`python_version >= "3.8" and (sys_platform == "linux" or sys_platform == "darwin") and extra == "socks"`)
	if err != nil {
		b.Fatal(err)
	}
	env := lambdaEnv("3.12", "x86_64")
	for b.Loop() {
		if _, err := m.EvaluateExtras(env, []string{"socks"}); err != nil {
			b.Fatal(err)
		}
	}
}
