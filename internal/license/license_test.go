package license

import (
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

func TestFromMetadata(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		m    wheel.Metadata
		want Info
	}{
		{"pep639", wheel.Metadata{LicenseExpression: "apache-2.0 OR BSD-3-Clause", License: "ignored"}, Info{Expression: "apache-2.0 OR BSD-3-Clause", Source: SourceExpression}},
		{"pep639 single normalized", wheel.Metadata{LicenseExpression: "mit"}, Info{Expression: "MIT", Source: SourceExpression}},
		{"license spdx", wheel.Metadata{License: "Apache-2.0"}, Info{Expression: "Apache-2.0", Source: SourceLicense}},
		{"license alias", wheel.Metadata{License: "Apache License, Version 2.0"}, Info{Expression: "Apache-2.0", Source: SourceLicense}},
		{"classifier", wheel.Metadata{License: "UNKNOWN", Classifiers: []string{"Programming Language :: Python", "License :: OSI Approved :: MIT License"}}, Info{Expression: "MIT", Source: SourceClassifier}},
		{"two classifiers", wheel.Metadata{Classifiers: []string{"License :: OSI Approved :: BSD License", "License :: OSI Approved :: Apache Software License", "License :: OSI Approved :: GNU General Public License v3 (GPLv3)"}}, Info{Expression: "Apache-2.0 OR GPL-3.0-only", Source: SourceClassifier}},
		{"free text beats vague classifier", wheel.Metadata{License: "Copyright Foo Corp.\nAll rights reserved.", Classifiers: []string{"License :: OSI Approved :: BSD License"}}, Info{Name: "Copyright Foo Corp.", Source: SourceLicense}},
		{"vague classifier", wheel.Metadata{Classifiers: []string{"License :: OSI Approved :: BSD License"}}, Info{Name: "BSD License", Source: SourceClassifier}},
		{"bad expression falls through", wheel.Metadata{LicenseExpression: "MIT AND (", Classifiers: []string{"License :: OSI Approved :: ISC License (ISCL)"}}, Info{Expression: "ISC", Source: SourceClassifier}},
		{"public domain", wheel.Metadata{Classifiers: []string{"License :: Public Domain"}}, Info{Name: "Public Domain", Source: SourceClassifier}},
		{"none", wheel.Metadata{}, Info{}},
	} {
		if got := FromMetadata(tc.m); got != tc.want {
			t.Errorf("%s: FromMetadata = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestFromParsedMetadata(t *testing.T) {
	t.Parallel()
	m, err := wheel.ParseMetadata([]byte("Metadata-Version: 2.4\nName: x\nVersion: 1\nLicense-Expression: MIT\nClassifier: License :: OSI Approved :: MIT License\nLicense: long\n  text\n\nbody\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.LicenseExpression != "MIT" || len(m.Classifiers) != 1 || m.License != "long  text" {
		t.Fatalf("parsed %+v", m)
	}
	if got := FromMetadata(m).SPDX(); got != "MIT" {
		t.Errorf("SPDX = %q", got)
	}
}

func TestSPDX(t *testing.T) {
	t.Parallel()
	if got := (Info{Name: "BSD License"}).SPDX(); got != "LicenseRef-BSD-License" {
		t.Errorf("got %q", got)
	}
	if got := (Info{}).SPDX(); got != "NOASSERTION" {
		t.Errorf("got %q", got)
	}
}

func TestJoinAndDenied(t *testing.T) {
	t.Parallel()
	got := Join([]string{"MIT", "BSD-3-Clause", "MIT", "Apache-2.0 OR BSD-3-Clause", ""})
	want := "(Apache-2.0 OR BSD-3-Clause) AND BSD-3-Clause AND MIT"
	if got != want {
		t.Errorf("Join = %q, want %q", got, want)
	}
	if d := Denied("MIT OR GPL-3.0-only", []string{"gpl-3.0-only", "AGPL-3.0-only"}); len(d) != 1 || d[0] != "GPL-3.0-only" {
		t.Errorf("Denied = %q", d)
	}
	if d := Denied("MIT", []string{"GPL-3.0-only"}); d != nil {
		t.Errorf("Denied = %q", d)
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	var ids []string
	for i := range 100 {
		ids = append(ids, "LicenseRef-L"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	s := Join(ids)
	got := Cut(s, 512, "see app.cdx.json")
	if n := len([]rune(got)); n > 512 {
		t.Fatalf("cut to %d runes", n)
	}
	if !strings.HasSuffix(got, " AND … see app.cdx.json") || !strings.HasPrefix(s, strings.TrimSuffix(got, " AND … see app.cdx.json")) {
		t.Errorf("Cut = %q", got)
	}
	if Cut("MIT", 512, "x") != "MIT" {
		t.Error("short string changed")
	}
}

func FuzzFromMetadata(f *testing.F) {
	f.Add("MIT OR Apache-2.0", "BSD", "License :: OSI Approved :: MIT License")
	f.Add("", "Apache License, Version 2.0", "License :: Public Domain")
	f.Add("(", "", "License ::")
	f.Fuzz(func(t *testing.T, expr, lic, classifier string) {
		i := FromMetadata(wheel.Metadata{LicenseExpression: expr, License: lic, Classifiers: []string{classifier}})
		s := i.SPDX()
		if s != "NOASSERTION" && IDs(s) == nil {
			t.Errorf("SPDX() = %q does not parse (from %+v)", s, i)
		}
		if c := Cut(Join([]string{s, s + " OR MIT"}), 40, "see x"); len([]rune(c)) > 40 {
			t.Errorf("Cut gave %d runes", len([]rune(c)))
		}
	})
}
