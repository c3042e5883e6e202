// Package wheeltest builds real, small wheel files (zip with METADATA, WHEEL and RECORD) for tests, so no
// test depends on wheels copied from elsewhere.
package wheeltest

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"time"
)

// File is one member of a wheel, named by its path inside the archive.
type File struct {
	Name string
	Data []byte
	// Mode is the Unix mode stored in the zip; 0 means 0644.
	Mode fs.FileMode
}

// Spec describes a wheel. Only Name and Version are required.
type Spec struct {
	Name, Version string
	// Tag is the wheel's compressed tag set, e.g. "cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64".
	// Empty means "py3-none-any".
	Tag string
	// Build is the optional build tag (must start with a digit).
	Build          string
	Requires       []string // Requires-Dist lines
	RequiresPython string
	Extras         []string // Provides-Extra lines
	// Files are the wheel's payload; empty means one module, <name>/__init__.py.
	Files []File
	// Store writes entries uncompressed instead of deflated.
	Store bool
	// ExtraMetadata is appended to METADATA as-is (header lines).
	ExtraMetadata string
	// WheelVersion is the WHEEL file's Wheel-Version; empty means "1.0".
	WheelVersion string
}

var nonIdent = regexp.MustCompile(`[-_.]+`)

// DistName is the name as it appears in file names: runs of -_. replaced by "_".
func (s Spec) DistName() string { return nonIdent.ReplaceAllString(s.Name, "_") }

func (s Spec) tag() string {
	if s.Tag == "" {
		return "py3-none-any"
	}
	return s.Tag
}

// Filename is the wheel's PEP 427 file name.
func (s Spec) Filename() string {
	parts := []string{s.DistName(), s.Version}
	if s.Build != "" {
		parts = append(parts, s.Build)
	}
	return strings.Join(parts, "-") + "-" + s.tag() + ".whl"
}

// DistInfo is the wheel's .dist-info folder name.
func (s Spec) DistInfo() string { return s.DistName() + "-" + s.Version + ".dist-info" }

// Metadata is the core metadata file (METADATA) of the wheel, as served by PEP 658.
func (s Spec) Metadata() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", s.Name, s.Version)
	if s.RequiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", s.RequiresPython)
	}
	for _, e := range s.Extras {
		fmt.Fprintf(&b, "Provides-Extra: %s\n", e)
	}
	for _, r := range s.Requires {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	b.WriteString(s.ExtraMetadata)
	b.WriteString("\n")
	return []byte(b.String())
}

func (s Spec) wheelFile() []byte {
	var b strings.Builder
	v := s.WheelVersion
	if v == "" {
		v = "1.0"
	}
	fmt.Fprintf(&b, "Wheel-Version: %s\nGenerator: wheeltest\n", v)
	root := "true"
	if s.tag() != "py3-none-any" && !strings.Contains(s.tag(), "-none-any") {
		root = "false"
	}
	fmt.Fprintf(&b, "Root-Is-Purelib: %s\n", root)
	py, rest, _ := strings.Cut(s.tag(), "-")
	abi, plat, _ := strings.Cut(rest, "-")
	for _, p := range strings.Split(py, ".") {
		for _, a := range strings.Split(abi, ".") {
			for _, pl := range strings.Split(plat, ".") {
				fmt.Fprintf(&b, "Tag: %s-%s-%s\n", p, a, pl)
			}
		}
	}
	return []byte(b.String())
}

// Files returns the payload and dist-info files in archive order, RECORD last.
func (s Spec) files() []File {
	files := s.Files
	if len(files) == 0 {
		mod := strings.ToLower(s.DistName())
		files = []File{{Name: mod + "/__init__.py", Data: []byte(fmt.Sprintf("__version__ = %q\n", s.Version))}}
	}
	di := s.DistInfo()
	files = append(append([]File(nil), files...),
		File{Name: di + "/METADATA", Data: s.Metadata()},
		File{Name: di + "/WHEEL", Data: s.wheelFile()},
	)
	var rec strings.Builder
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		fmt.Fprintf(&rec, "%s,sha256=%s,%d\n", f.Name, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.Data))
	}
	fmt.Fprintf(&rec, "%s/RECORD,,\n", di)
	return append(files, File{Name: di + "/RECORD", Data: []byte(rec.String())})
}

// Build returns the bytes of the wheel described by s. The output is deterministic.
func Build(s Spec) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range s.files() {
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
		if s.Store {
			h.Method = zip.Store
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err) // only on programmer error: names are under the test's control
		}
		if _, err := w.Write(f.Data); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
