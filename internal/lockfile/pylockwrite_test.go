package lockfile

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPylockRoundTrip(t *testing.T) {
	tt := mustTarget(t, "python3.12", "arm64")
	d := PylockDoc{
		Header:         []string{"written by a test"},
		Environments:   []string{TargetEnvironment(tt.PythonVersion(), tt.WheelArch())},
		RequiresPython: "==3.12.*",
		CreatedBy:      "lambda-layers",
		Packages: []PylockPackage{
			{Name: "zeta", Version: "1.0", RequiredBy: []string{"requirements.txt:1"}, Wheels: []Wheel{{Filename: "zeta-1.0-py3-none-any.whl", URL: "https://files.example.test/zeta-1.0-py3-none-any.whl", Size: 10, Hashes: map[string]string{"sha256": "ab"}}}},
			{Name: "alpha", Version: "2.0", Index: "https://files.example.test/simple/", Wheels: []Wheel{
				{Filename: "alpha-2.0-cp312-cp312-manylinux_2_17_aarch64.whl", URL: "https://files.example.test/a\"b.whl", Hashes: map[string]string{"sha256": "cd"}},
			}},
		},
	}
	var b1, b2 bytes.Buffer
	if err := WritePylock(&b1, d); err != nil {
		t.Fatal(err)
	}
	WritePylock(&b2, d)
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		t.Fatal("not deterministic")
	}
	l, err := ParsePylock("pylock.test.toml", b1.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, b1.String())
	}
	sel, err := l.Select(tt, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Packages) != 2 || sel.Packages[0].Name != "alpha" || sel.Packages[0].Wheels[0].URL != "https://files.example.test/a\"b.whl" {
		t.Errorf("read back %+v", sel.Packages)
	}
	other := mustTarget(t, "python3.12", "x86_64")
	if _, err := l.Select(other, Options{}); err == nil {
		t.Error("a lock for arm64 was accepted for x86_64")
	}
}

func FuzzPylockWrite(f *testing.F) {
	f.Add("alpha", "1.0", "https://x.test/a.whl", "marker")
	f.Fuzz(func(t *testing.T, name, version, url, env string) {
		d := PylockDoc{Environments: []string{env}, CreatedBy: "x", Packages: []PylockPackage{{Name: name, Version: version, Wheels: []Wheel{{Filename: "a-1-py3-none-any.whl", URL: url, Hashes: map[string]string{"sha256": "00"}}}}}}
		var b bytes.Buffer
		WritePylock(&b, d)
		for _, s := range []string{name, version, url, env} {
			if !utf8.ValidString(s) {
				return
			}
		}
		if _, err := ParsePylock("pylock.toml", b.Bytes()); err != nil && strings.Contains(err.Error(), "not valid TOML") {
			t.Fatalf("wrote invalid TOML: %v\n%s", err, b.String())
		}
	})
}
