package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/pep440"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// FuzzLockRoundTrip writes a lock for packages made from the fuzzer's bytes and reads it back with the
// requirements parser build uses: the same names, versions and hashes must come out, each pinned and
// hashed, whatever the names, versions, via comments and origins.
func FuzzLockRoundTrip(f *testing.F) {
	f.Add([]byte("boto3\x001.35.0\x00requirements.in:3\x00botocore\x001.35.0\x00boto3"), uint8(2))
	f.Add([]byte("A.B_c\x001!2.0rc1.post3.dev4+local.7\x00x y/req #.in:12\x00"), uint8(1))
	f.Add([]byte("z\x000\x00\x00"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, nhash uint8) {
		fields := strings.Split(string(data), "\x00")
		tgt, _ := target.Parse("python3.12", "x86_64")
		res := &resolve.Result{}
		seen := map[string]bool{}
		for i := 0; i+2 < len(fields); i += 3 {
			name := projectName(fields[i])
			v, err := pep440.Parse(fields[i+1])
			if name == "" || err != nil || seen[name] {
				continue
			}
			seen[name] = true
			p := &resolve.Package{Name: name, Version: v}
			for h := range int(nhash%4) + 1 {
				sum := sha256.Sum256([]byte(fmt.Sprint(name, h)))
				p.Files = append(p.Files, index.File{Hashes: map[string]string{"sha256": hex.EncodeToString(sum[:])}})
			}
			if o := strings.Map(printable, fields[i+2]); o != "" {
				p.ViaReq = []string{o}
				p.Via = []string{projectName(o)}
			}
			res.Packages = append(res.Packages, p)
		}
		var buf bytes.Buffer
		writeLock(&buf, res, lockHeader{Target: tgt, Command: "lambda-layers lock " + strings.Map(printable, string(data))})
		set, err := requirements.ParseBytes("lock.txt", buf.Bytes(), requirements.ParseOptions{})
		if err != nil {
			t.Fatalf("the lock does not parse: %v\n%s", err, buf.String())
		}
		if len(set.Requirements) != len(res.Packages) {
			t.Fatalf("%d requirements read back, %d written:\n%s", len(set.Requirements), len(res.Packages), buf.String())
		}
		byName := map[string]*resolve.Package{}
		for _, p := range res.Packages {
			byName[p.Name] = p
		}
		for _, q := range set.Requirements {
			p := byName[q.Key()]
			pin, ok := q.Specifier.Pin()
			if p == nil || !ok || pep440.MustParse(pin).String() != p.Version.String() {
				t.Fatalf("read back %s, wrote %v", q.Text, p)
			}
			var want []string
			for _, f := range p.Files {
				want = append(want, "sha256:"+f.Hashes["sha256"])
			}
			slices.Sort(want)
			want = slices.Compact(want)
			got := slices.Clone(q.Hashes)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: hashes %v, wrote %v", p.Name, got, want)
			}
		}
	})
}

// projectName keeps what a project name may hold, trimmed to start and end with a letter or digit.
func projectName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return -1
	}, s)
	s = strings.Trim(s, "-_.")
	return pep508.NormalizeName(s)
}

// printable drops control characters: an origin is a file name and line, never a line break.
func printable(r rune) rune {
	if r < ' ' || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
		return -1
	}
	return r
}
