package pep508

import (
	"errors"
	"slices"
	"testing"
)

func TestParseRequirement(t *testing.T) {
	tests := []struct {
		in, name string
		extras   []string
		spec     string
		url      string
		marker   string
		str      string
	}{
		{"requests", "requests", nil, "", "", "", "requests"},
		{"requests[Socks , security]>=2.31,<3 ; python_version >= '3.8'", "requests", []string{"Socks", "security"}, "<3,>=2.31", "", `python_version >= "3.8"`,
			`requests[Socks,security]<3,>=2.31; python_version >= "3.8"`},
		{"Foo.Bar (>=1.0, !=1.5.*)", "Foo.Bar", nil, "!=1.5.*,>=1.0", "", "", "Foo.Bar!=1.5.*,>=1.0"},
		{"foo[a,a,b]", "foo", []string{"a", "b"}, "", "", "", "foo[a,b]"},
		{"foo[ ]", "foo", nil, "", "", "", "foo"},
		{"\tfoo == 1.0 \t", "foo", nil, "==1.0", "", "", "foo==1.0"},
		{"pip @ https://example.com/pip-24.0-py3-none-any.whl", "pip", nil, "", "https://example.com/pip-24.0-py3-none-any.whl", "", "pip @ https://example.com/pip-24.0-py3-none-any.whl"},
		{"pip[x]@ git+https://g.example/p.git@v1 ; sys_platform == 'linux'", "pip", []string{"x"}, "", "git+https://g.example/p.git@v1", `sys_platform == "linux"`,
			`pip[x] @ git+https://g.example/p.git@v1 ; sys_platform == "linux"`},
		{"foo===1.0-weird", "foo", nil, "===1.0-weird", "", "", "foo===1.0-weird"},
		{"foo;extra=='Socks'", "foo", nil, "", "", `extra == "socks"`, `foo; extra == "socks"`},
		{"name_", "name_", nil, "", "", "", "name_"},
	}
	for _, tc := range tests {
		r, err := ParseRequirement(tc.in)
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", tc.in, err)
			continue
		}
		if r.Name != tc.name || !slices.Equal(r.Extras, tc.extras) || r.Specifier.String() != tc.spec ||
			r.URL != tc.url || r.Marker.String() != tc.marker {
			t.Errorf("ParseRequirement(%q) = name %q extras %q spec %q url %q marker %q", tc.in,
				r.Name, r.Extras, r.Specifier.String(), r.URL, r.Marker)
		}
		if r.String() != tc.str {
			t.Errorf("ParseRequirement(%q).String() = %q; want %q", tc.in, r.String(), tc.str)
		}
		again, err := ParseRequirement(r.String())
		if err != nil || !again.Equal(r) || again.String() != r.String() {
			t.Errorf("%q does not re-parse to itself: %v", r.String(), err)
		}
	}
}

func TestRequirementKey(t *testing.T) {
	for in, want := range map[string]string{
		"Django":                "django",
		"zope.interface":        "zope-interface",
		"Foo__Bar-.baz[x]>=1":   "foo-bar-baz",
		"ruamel.yaml.clib":      "ruamel-yaml-clib",
		"typing_extensions>=4":  "typing-extensions",
		"a-b @ file:///tmp/a-b": "a-b",
	} {
		r, err := ParseRequirement(in)
		if err != nil || r.Key() != want {
			t.Errorf("ParseRequirement(%q).Key() = %q, %v; want %q", in, r.Key(), err, want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"a":           "a",
		"A-B_C.D":     "a-b-c-d",
		"a--b":        "a-b",
		"a-_.b":       "a-b",
		"-a-":         "-a-",
		"a.":          "a-",
		"FrIeNdLy-._": "friendly-",
		"already-ok":  "already-ok",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestParseRequirementErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"foo>=", `parsing requirement "foo>=": expected version after ">=" at column 6`},
		{"foo~=1", `parsing requirement "foo~=1": expected a version with two or more release segments after "~=" (such as ~=1.0) at column 6`},
		{"foo >= abc", `parsing requirement "foo >= abc": expected version after ">=" at column 8`},
		{"", `parsing requirement "": expected package name at the start of dependency specifier at column 1`},
		{"foo # comment", `parsing requirement "foo # comment": expected semicolon (after name with no version specifier) or end at column 5`},
		{"foo>=1.0 # comment", `parsing requirement "foo>=1.0 # comment": expected comma (within version specifier), semicolon (after version specifier) or end at column 10`},
		{"foo @ https://x.example/a.whl; python_version > '3'", `parsing requirement "foo @ https://x.example/a.whl; python_version > '3'": expected semicolon (after URL and whitespace) or end at column 32`},
		{"foo[bar baz]", `parsing requirement "foo[bar baz]": expected comma between extra names at column 9`},
		{"foo (>=1.0", `parsing requirement "foo (>=1.0": expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier at column 11`},
		{"foo>=1.0.*", "parsing requirement \"foo>=1.0.*\": .* suffix can only be used with `==` or `!=` operators at column 10"},
		{"foo; os_name = 'a'", `parsing requirement "foo; os_name = 'a'": expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in at column 14`},
		{"foo; python_version >= '3' extra", `parsing requirement "foo; python_version >= '3' extra": expected end of dependency specifier at column 28`},
		{"foo>=1\n", `parsing requirement "foo>=1\n": expected comma (within version specifier), semicolon (after version specifier) or end at column 7`},
	}
	for _, tc := range tests {
		_, err := ParseRequirement(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseRequirement(%q) error:\n got %v\nwant %s", tc.in, err, tc.want)
		}
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("ParseRequirement(%q): error %v is not a *SyntaxError", tc.in, err)
		}
	}
}

func TestRequirementEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Foo_Bar[X]>=1.0", "foo-bar[x]>=1.0.0", true},
		{"foo>=1", "foo>1", false},
		{"foo~=1.0", "foo~=1.0.0", false},
		{"foo; os_name == 'a'", "foo;os_name=='a'", true},
		{"foo; os_name == 'a'", "foo", false},
		{"foo @ https://a.example/x", "foo @ https://a.example/y", false},
	}
	for _, tc := range tests {
		a, err1 := ParseRequirement(tc.a)
		b, err2 := ParseRequirement(tc.b)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if a.Equal(b) != tc.want {
			t.Errorf("%q.Equal(%q) = %v; want %v", tc.a, tc.b, !tc.want, tc.want)
		}
	}
}
