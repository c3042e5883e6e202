package wheel

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

func TestParseMetadata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Metadata
	}{
		{"minimal", "Name: foo\nVersion: 1.0\n", Metadata{Name: "foo", Version: "1.0"}},
		{
			"full",
			"Metadata-Version: 2.1\r\nName: Foo_Bar\r\nVersion: 2.0\r\nRequires-Python: >=3.8\r\n" +
				"Provides-Extra: socks\r\nRequires-Dist: idna>=2.5\r\nRequires-Dist: PySocks!=1.5.7; extra == \"socks\"\r\n" +
				"\r\nRequires-Dist: not-a-header-this-is-the-body\r\n",
			Metadata{MetadataVersion: "2.1", Name: "Foo_Bar", Version: "2.0", RequiresPython: ">=3.8",
				RequiresDist: []string{"idna>=2.5", `PySocks!=1.5.7; extra == "socks"`}, ProvidesExtra: []string{"socks"}},
		},
		{
			"continuations",
			"Name: foo\nVersion: 1.0\nSummary: a\n  long summary\nRequires-Dist: bar;\n\tpython_version < \"3.9\"\n" +
				"Description: first\n        |second\n        |third\nrequires-dist: baz\n",
			Metadata{Name: "foo", Version: "1.0", RequiresDist: []string{"bar;\tpython_version < \"3.9\"", "baz"}},
		},
		{"body in another encoding", "Name: foo\nVersion: 1\n\n\xff\xfe caf\xe9\n", Metadata{Name: "foo", Version: "1"}},
		{"BOM and empty lists", "\ufeffName: foo\nVersion: 1\nRequires-Dist:   \n", Metadata{Name: "foo", Version: "1"}},
		{"unicode header", "Name: foo\nVersion: 1\nAuthor: Zoë\n", Metadata{Name: "foo", Version: "1"}},
	}
	for _, tt := range tests {
		got, err := ParseMetadata([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}

	bad := map[string]string{
		"Version: 1.0\n":                      "missing Name",
		"Name: foo\n":                         "missing Version",
		"Name: foo\n\nVersion: 1\n":           "missing Version",
		"Name:   \nVersion: 1\n":              "missing Name",
		" Name: foo\nVersion: 1\n":            "line 1: continuation",
		"Name: foo\nVersion 1\n":              "line 2: not a header",
		"Name: foo\nVersion: 1\nName: bar\n":  "line 3: second name",
		"Name: f\xffoo\nVersion: 1\n":         "line 1: header is not valid UTF-8",
		"Name: foo\nVersion: 1\nBad Key: x\n": "line 3: not a header",
	}
	for in, want := range bad {
		_, err := ParseMetadata([]byte(in))
		var me *MetadataError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMetadata(%q) error = %v; want a *MetadataError containing %q", in, err, want)
		}
	}
}

func TestParseMetadataWheeltest(t *testing.T) {
	t.Parallel()
	spec := wheeltest.Spec{Name: "Foo.Bar", Version: "1.2", RequiresPython: ">=3.9", Extras: []string{"x"},
		Requires: []string{"a>=1", `b; extra == "x"`}}
	got, err := ParseMetadata(spec.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	want := Metadata{MetadataVersion: "2.1", Name: "Foo.Bar", Version: "1.2", RequiresPython: ">=3.9",
		RequiresDist: spec.Requires, ProvidesExtra: spec.Extras}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// TestParseMetadataLongDescription guards against quadratic unfolding of a long folded Description.
func TestParseMetadataLongDescription(t *testing.T) {
	t.Parallel()
	in := "Name: foo\nVersion: 1\nDescription: x\n" + strings.Repeat("        |"+strings.Repeat("y", 70)+"\n", 50_000)
	if _, err := ParseMetadata([]byte(in)); err != nil {
		t.Fatal(err)
	}
}
