package wheel

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseFilename(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fn, name, version, build string
		tags                     []string // in file-name order
	}{
		{"foo-1.0-py3-none-any.whl", "foo", "1.0", "", []string{"py3-none-any"}},
		{"Pydantic_Core-2.27.1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "pydantic-core", "2.27.1", "",
			[]string{"cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"}},
		{"six-1.16.0-py2.py3-none-any.whl", "six", "1.16.0", "", []string{"py2-none-any", "py3-none-any"}},
		{"foo-1.0-1-py3-none-any.whl", "foo", "1.0", "1", []string{"py3-none-any"}},
		{"foo-1.0-12abc_x-py3-none-any.whl", "foo", "1.0", "12abc_x", []string{"py3-none-any"}},
		{"zope.interface-6.0-cp311-cp311-manylinux_2_17_aarch64.whl", "zope-interface", "6.0", "", []string{"cp311-cp311-manylinux_2_17_aarch64"}},
		{"cryptography-48.0.0-cp311-abi3-manylinux_2_34_x86_64.whl", "cryptography", "48.0.0", "", []string{"cp311-abi3-manylinux_2_34_x86_64"}},
		{"torch-2.5.1+cpu-cp312-cp312-linux_x86_64.whl", "torch", "2.5.1+cpu", "", []string{"cp312-cp312-linux_x86_64"}},
		{"foo-1.0rc1.post2.dev3-PY3-None-ANY.whl", "foo", "1.0rc1.post2.dev3", "", []string{"py3-none-any"}},
		{"foo-1!2.0_beta-py3.py3-none-any.whl", "foo", "1!2.0_beta", "", []string{"py3-none-any"}},
	}
	for _, tt := range tests {
		f, err := ParseFilename(tt.fn)
		if err != nil {
			t.Errorf("ParseFilename(%q): %v", tt.fn, err)
			continue
		}
		var tags []string
		for _, tag := range f.Tags {
			tags = append(tags, tag.String())
		}
		if f.Name != tt.name || f.Version != tt.version || f.Build != tt.build || f.Raw != tt.fn || !slices.Equal(tags, tt.tags) {
			t.Errorf("ParseFilename(%q) = %+v, tags %q; want name %q version %q build %q tags %q",
				tt.fn, f, tags, tt.name, tt.version, tt.build, tt.tags)
		}
	}

	invalid := map[string]string{
		"foo-1.0-py3-none-any.zip":                     ".whl",
		"foo-1.0-py3-none-any":                         ".whl",
		"foo-1.0.whl":                                  "5 or 6",
		"foo-1.0-1-2-py3-none-any.whl":                 "5 or 6",
		"foo-1.0-abc-py3-none-any.whl":                 "build tag",
		"foo-1.0--py3-none-any.whl":                    "build tag",
		"foo-1.0-1/x-py3-none-any.whl":                 "build tag",
		"foo-1.0-1234567890123456789-py3-none-any.whl": "build tag",
		"foo-1.x-py3-none-any.whl":                     "PEP 440",
		"foo--py3-none-any.whl":                        "PEP 440",
		"-1.0-py3-none-any.whl":                        "empty",
		"foo__bar-1.0-py3-none-any.whl":                `"__"`,
		"foo/bar-1.0-py3-none-any.whl":                 "invalid character",
		"foo-1.0-py3-none-any/x.whl":                   "invalid character",
		"foo-1.0-2-none-any.whl":                       "invalid interpreter",
		"foo-1.0-py3-none-.whl":                        "empty component",
		"foo-1.0-py3..py2-none-any.whl":                "empty component",
	}
	for fn, want := range invalid {
		_, err := ParseFilename(fn)
		var fe *FilenameError
		if !errors.As(err, &fe) || fe.Filename != fn || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), strconv.Quote(fn)) {
			t.Errorf("ParseFilename(%q) error = %v; want a *FilenameError naming the file and mentioning %q", fn, err, want)
		}
	}
}

func TestBuildNumber(t *testing.T) {
	t.Parallel()
	for build, want := range map[string]struct {
		n    int64
		rest string
	}{"": {0, ""}, "1": {1, ""}, "1000abc": {1000, "abc"}, "007_x": {7, "_x"}} {
		n, rest := Filename{Build: build}.BuildNumber()
		if n != want.n || rest != want.rest {
			t.Errorf("BuildNumber(%q) = %d, %q; want %d, %q", build, n, rest, want.n, want.rest)
		}
	}
}

func TestParseTagsLimit(t *testing.T) {
	t.Parallel()
	// 11 × 11 × 11 = 1331 > maxTags, from a 100-byte string.
	many := strings.TrimSuffix(strings.Repeat("a.", 11), ".")
	if _, err := ParseTags("py" + strings.ReplaceAll(many, "a", "3") + "-" + many + "-" + many); err == nil {
		t.Fatal("ParseTags accepted 1331 tags")
	}
	tags, err := ParseTags("py3.py3-none.none-any")
	if err != nil || len(tags) != 1 {
		t.Fatalf("ParseTags dedup = %v, %v; want one tag", tags, err)
	}
}

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Foo": "foo", "foo.bar": "foo-bar", "Foo.....Bar": "foo-bar", "foo___bar": "foo-bar",
		"foo-bar": "foo-bar", "foo----bar": "foo-bar", "_not_legal": "-not-legal", "Pydantic_Core": "pydantic-core",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q; want %q", in, got, want)
		}
	}
}

// conformance is the pypa/packaging test data in testdata/conformance/tags.json (vendored).
type conformance struct {
	ParseWheelFilename []struct {
		Filename, Name, Version string
		Build                   []any
		Tags                    []string
	} `json:"parse_wheel_filename"`
	ParseWheelFilenameInvalid      []string `json:"parse_wheel_filename_invalid"`
	ParseWheelFilenameUnsortedTags []struct {
		Filename       string
		ValidByDefault bool `json:"valid_by_default"`
	} `json:"parse_wheel_filename_unsorted_tags"`
	CanonicalizeName []struct{ Name, Expected string } `json:"canonicalize_name"`
	ParseTag         []struct {
		Tag      string
		Expected []string
	} `json:"parse_tag"`
	ParseTagInvalid []struct{ Tag string } `json:"parse_tag_invalid"`
}

func loadConformance(t *testing.T) conformance {
	t.Helper()
	data, err := os.ReadFile("../../testdata/conformance/tags.json")
	if errors.Is(err, os.ErrNotExist) {
		t.Fatal("testdata/conformance/tags.json is missing (vendored with the repository)")
	}
	if err != nil {
		t.Fatal(err)
	}
	var c conformance
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("decoding tags.json: %v", err)
	}
	return c
}

func TestConformanceFilenames(t *testing.T) {
	t.Parallel()
	c := loadConformance(t)
	if len(c.ParseWheelFilename) == 0 || len(c.ParseWheelFilenameInvalid) == 0 {
		t.Fatal("tags.json has no parse_wheel_filename cases; did its layout change?")
	}
	for _, tc := range c.ParseWheelFilename {
		f, err := ParseFilename(tc.Filename)
		if err != nil {
			t.Errorf("ParseFilename(%q): %v", tc.Filename, err)
			continue
		}
		// packaging canonicalizes name and version; we keep the version as written, so compare normalized
		// names and versions that are written canonically in these cases.
		if f.Name != NormalizeName(tc.Name) || f.Version != tc.Version {
			t.Errorf("ParseFilename(%q) = %q %q; want %q %q", tc.Filename, f.Name, f.Version, tc.Name, tc.Version)
		}
		n, rest := f.BuildNumber()
		var want []any
		if f.Build != "" {
			want = []any{float64(n), rest}
		}
		if !slices.Equal(want, tc.Build) {
			t.Errorf("ParseFilename(%q) build = %v; want %v", tc.Filename, want, tc.Build)
		}
		var tags []string
		for _, tag := range f.Tags {
			tags = append(tags, tag.String())
		}
		slices.Sort(tags) // upstream returns a set
		if !slices.Equal(tags, tc.Tags) {
			t.Errorf("ParseFilename(%q) tags = %q; want %q", tc.Filename, tags, tc.Tags)
		}
	}
	for _, fn := range c.ParseWheelFilenameInvalid {
		if f, err := ParseFilename(fn); err == nil {
			t.Errorf("ParseFilename(%q) = %+v; want an error", fn, f)
		}
	}
	for _, tc := range c.ParseWheelFilenameUnsortedTags {
		if _, err := ParseFilename(tc.Filename); (err == nil) != tc.ValidByDefault {
			t.Errorf("ParseFilename(%q) error = %v; want valid=%v", tc.Filename, err, tc.ValidByDefault)
		}
	}
}

func TestConformanceTags(t *testing.T) {
	t.Parallel()
	c := loadConformance(t)
	for _, tc := range c.ParseTag {
		got, err := ParseTags(tc.Tag)
		if err != nil {
			t.Errorf("ParseTags(%q): %v", tc.Tag, err)
			continue
		}
		var s []string
		for _, tag := range got {
			s = append(s, tag.String())
		}
		slices.Sort(s)
		if !slices.Equal(s, tc.Expected) {
			t.Errorf("ParseTags(%q) = %q; want %q", tc.Tag, s, tc.Expected)
		}
	}
	for _, tc := range c.ParseTagInvalid {
		if got, err := ParseTags(tc.Tag); err == nil {
			t.Errorf("ParseTags(%q) = %v; want an error", tc.Tag, got)
		}
	}
	for _, tc := range c.CanonicalizeName {
		if got := NormalizeName(tc.Name); got != tc.Expected {
			t.Errorf("NormalizeName(%q) = %q; want %q", tc.Name, got, tc.Expected)
		}
	}
}
