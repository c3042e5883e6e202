package lockfile

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// PylockDoc is a PEP 751 lock for one Lambda target, as `lock --format pylock` writes it.
type PylockDoc struct {
	// Header lines, written as comments before the document.
	Header         []string
	Environments   []string
	RequiresPython string
	CreatedBy      string
	Packages       []PylockPackage
}

// PylockPackage is one [[packages]] entry.
type PylockPackage struct {
	Name, Version string
	Index         string // the index's URL, redacted; "" to leave it out
	Wheels        []Wheel
	// RequiredBy are comments naming what pulled the package in.
	RequiredBy []string
}

// WritePylock writes d as TOML in a stable layout: the same input gives the same bytes.
func WritePylock(w io.Writer, d PylockDoc) error {
	var b strings.Builder
	for _, h := range d.Header {
		b.WriteString("# " + strings.ReplaceAll(h, "\n", " ") + "\n")
	}
	b.WriteString("lock-version = \"1.0\"\n")
	if len(d.Environments) > 0 {
		b.WriteString("environments = [")
		for i, e := range d.Environments {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(e))
		}
		b.WriteString("]\n")
	}
	if d.RequiresPython != "" {
		b.WriteString("requires-python = " + quote(d.RequiresPython) + "\n")
	}
	b.WriteString("created-by = " + quote(d.CreatedBy) + "\n")
	pkgs := append([]PylockPackage(nil), d.Packages...)
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	for _, p := range pkgs {
		b.WriteString("\n[[packages]]\n")
		if len(p.RequiredBy) > 0 {
			b.WriteString("# via " + strings.Join(p.RequiredBy, ", ") + "\n")
		}
		b.WriteString("name = " + quote(p.Name) + "\n")
		b.WriteString("version = " + quote(p.Version) + "\n")
		if p.Index != "" {
			b.WriteString("index = " + quote(p.Index) + "\n")
		}
		for _, wh := range p.Wheels {
			b.WriteString("\n[[packages.wheels]]\n")
			b.WriteString("name = " + quote(wh.Filename) + "\n")
			if wh.URL != "" {
				b.WriteString("url = " + quote(wh.URL) + "\n")
			} else if wh.Path != "" {
				b.WriteString("path = " + quote(wh.Path) + "\n")
			}
			if wh.Size > 0 {
				fmt.Fprintf(&b, "size = %d\n", wh.Size)
			}
			algs := make([]string, 0, len(wh.Hashes))
			for a := range wh.Hashes {
				algs = append(algs, a)
			}
			sort.Strings(algs)
			b.WriteString("hashes = {")
			for i, a := range algs {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(" " + a + " = " + quote(wh.Hashes[a]))
			}
			b.WriteString(" }\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// quote is a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TargetEnvironment is the PEP 751 `environments` marker that holds only for a Lambda target's
// platform and Python minor version.
func TargetEnvironment(pythonVersion, wheelArch string) string {
	return fmt.Sprintf("sys_platform == 'linux' and platform_machine == '%s' and python_version == '%s'", wheelArch, pythonVersion)
}
