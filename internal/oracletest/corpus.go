// Package oracletest gives tests pip as an oracle: it finds python3.11 with pip (failing, not skipping,
// when CI requires the oracle) and builds the corpus — real wheels rebuilt from that Python's installed
// packages, served as a PEP 503 index with PEP 658 metadata files — that differential tests resolve
// from with both pip and lambda-layers. It needs nothing beside the repository: the packages to install
// are pinned in testdata/corpus/requirements.txt. It never downloads anything.
package oracletest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"html"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// wheelTime is every entry's timestamp, so that a corpus built twice from the same packages is the same.
var wheelTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// Normalize is PEP 503 name normalization.
func Normalize(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

// BuildCorpus rebuilds a wheel from every installed distribution in sitePackages (a *.dist-info folder
// with a RECORD) — or only those named — into out/files/, each with its METADATA beside it as a PEP 658
// file, and writes out/simple/ over every wheel in out/files/ (a second call with another folder adds to
// the index). A wheel holds the files its RECORD lists that exist, except bytecode and the installer's
// own files (INSTALLER, REQUESTED, direct_url.json), plus a fresh RECORD; content is byte for byte what
// was installed, compression is our own. It returns the names of the wheels written.
func BuildCorpus(sitePackages, out string, only ...string) ([]string, error) {
	want := map[string]bool{}
	for _, n := range only {
		want[Normalize(n)] = true
	}
	entries, err := os.ReadDir(sitePackages)
	if err != nil {
		return nil, fmt.Errorf("reading site-packages: %w", err)
	}
	files := filepath.Join(out, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		return nil, fmt.Errorf("building corpus: %w", err)
	}
	var built []string
	for _, e := range entries {
		distInfo := e.Name()
		if !e.IsDir() || !strings.HasSuffix(distInfo, ".dist-info") {
			continue
		}
		if _, err := os.Stat(filepath.Join(sitePackages, distInfo, "RECORD")); err != nil {
			continue
		}
		if stem := strings.TrimSuffix(distInfo, ".dist-info"); len(want) > 0 {
			if i := strings.LastIndexByte(stem, '-'); i < 0 || !want[Normalize(stem[:i])] {
				continue
			}
		}
		name, err := repack(sitePackages, distInfo, files)
		if err != nil {
			return built, fmt.Errorf("repacking %s: %w", distInfo, err)
		}
		built = append(built, name)
	}
	if err := writeIndex(out); err != nil {
		return built, err
	}
	return built, nil
}

// headers reads the "Key: value" lines of an RFC 822-style file (METADATA, WHEEL) up to the body.
func headers(data []byte) map[string][]string {
	h := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && line[0] != ' ' && line[0] != '\t' {
			h[strings.ToLower(strings.TrimSpace(k))] = append(h[strings.ToLower(strings.TrimSpace(k))], strings.TrimSpace(v))
		}
	}
	return h
}

// compressedTag turns WHEEL's Tag lines into the file name's tag triple, e.g. "py2.py3-none-any".
func compressedTag(tags []string) (string, error) {
	var parts [3][]string
	for _, t := range tags {
		fields := strings.Split(t, "-")
		if len(fields) != 3 {
			return "", fmt.Errorf("malformed tag %q in WHEEL", t)
		}
		for i, f := range fields {
			if !slices.Contains(parts[i], f) {
				parts[i] = append(parts[i], f)
			}
		}
	}
	if len(parts[0]) == 0 {
		return "", fmt.Errorf("no Tag in WHEEL")
	}
	return strings.Join(parts[0], ".") + "-" + strings.Join(parts[1], ".") + "-" + strings.Join(parts[2], "."), nil
}

func recordHash(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// repack writes one distribution's wheel and metadata file into files and returns the wheel's name.
func repack(sitePackages, distInfo, files string) (string, error) {
	dir := filepath.Join(sitePackages, distInfo)
	metadata, err := os.ReadFile(filepath.Join(dir, "METADATA"))
	if err != nil {
		return "", err
	}
	wheelFile, err := os.ReadFile(filepath.Join(dir, "WHEEL"))
	if err != nil {
		return "", err
	}
	meta := headers(metadata)
	if len(meta["name"]) == 0 || len(meta["version"]) == 0 {
		return "", fmt.Errorf("METADATA has no Name or Version")
	}
	tag, err := compressedTag(headers(wheelFile)["tag"])
	if err != nil {
		return "", err
	}
	whl := nameSeparators.ReplaceAllString(meta["name"][0], "_") + "-" + meta["version"][0] + "-" + tag + ".whl"

	rf, err := os.Open(filepath.Join(dir, "RECORD"))
	if err != nil {
		return "", err
	}
	rows, err := csv.NewReader(rf).ReadAll()
	rf.Close()
	if err != nil {
		return "", fmt.Errorf("reading RECORD: %w", err)
	}
	var paths []string
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		p := row[0]
		switch base := path.Base(p); {
		case strings.HasPrefix(p, "..") || path.IsAbs(p) || strings.Contains(p, "\\"):
			continue // scripts in ../../bin and the like: not part of site-packages
		case strings.Contains(p, "__pycache__") || strings.HasSuffix(p, ".pyc"):
			continue
		case strings.HasPrefix(p, distInfo+"/") && slices.Contains([]string{"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}, base):
			continue
		}
		if fi, err := os.Stat(filepath.Join(sitePackages, filepath.FromSlash(p))); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		paths = append(paths, p)
	}
	// The payload first, the .dist-info folder last, each sorted: as wheel builders write them.
	slices.SortFunc(paths, func(a, b string) int {
		ai, bi := strings.HasPrefix(a, distInfo+"/"), strings.HasPrefix(b, distInfo+"/")
		if ai != bi {
			if ai {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	paths = slices.Compact(paths)

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record bytes.Buffer
	rw := csv.NewWriter(&record)
	add := func(name string, data []byte, mode os.FileMode) error {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: wheelTime}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	for _, p := range paths {
		full := filepath.Join(sitePackages, filepath.FromSlash(p))
		data, err := os.ReadFile(full)
		if err != nil {
			return "", err
		}
		mode := os.FileMode(0o644)
		if fi, err := os.Stat(full); err == nil && fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		if err := add(p, data, mode); err != nil {
			return "", err
		}
		rw.Write([]string{p, recordHash(data), fmt.Sprint(len(data))})
	}
	rw.Write([]string{distInfo + "/RECORD", "", ""})
	rw.Flush()
	if err := add(distInfo+"/RECORD", record.Bytes(), 0o644); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(files, whl), buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(files, whl+".metadata"), metadata, 0o644); err != nil {
		return "", err
	}
	return whl, nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// writeIndex writes out/simple/ (a root page and one page per project) over every wheel in out/files.
func writeIndex(out string) error {
	files := filepath.Join(out, "files")
	entries, err := os.ReadDir(files)
	if err != nil {
		return fmt.Errorf("writing the corpus index: %w", err)
	}
	type link struct{ whl, sha, requiresPython, metaSHA string }
	byProject := map[string][]link{}
	for _, e := range entries {
		whl := e.Name()
		if !strings.HasSuffix(whl, ".whl") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(files, whl))
		if err != nil {
			return err
		}
		md, err := os.ReadFile(filepath.Join(files, whl+".metadata"))
		if err != nil {
			return err
		}
		h := headers(md)
		var rp string
		if v := h["requires-python"]; len(v) > 0 {
			rp = v[0]
		}
		p := Normalize(h["name"][0])
		byProject[p] = append(byProject[p], link{whl, sha256Hex(data), rp, sha256Hex(md)})
	}
	simple := filepath.Join(out, "simple")
	names := make([]string, 0, len(byProject))
	for n := range byProject {
		names = append(names, n)
	}
	slices.Sort(names)
	var root strings.Builder
	root.WriteString("<!DOCTYPE html><html><body>\n")
	for _, n := range names {
		fmt.Fprintf(&root, "<a href=\"%s/\">%s</a>\n", n, n)
		var page strings.Builder
		page.WriteString("<!DOCTYPE html><html><body>\n")
		links := byProject[n]
		slices.SortFunc(links, func(a, b link) int { return strings.Compare(a.whl, b.whl) })
		for _, l := range links {
			attrs := ""
			if l.requiresPython != "" {
				attrs += fmt.Sprintf(" data-requires-python=\"%s\"", html.EscapeString(l.requiresPython))
			}
			attrs += fmt.Sprintf(" data-dist-info-metadata=\"sha256=%s\" data-core-metadata=\"sha256=%s\"", l.metaSHA, l.metaSHA)
			fmt.Fprintf(&page, "<a href=\"../../files/%s#sha256=%s\"%s>%s</a>\n", l.whl, l.sha, attrs, l.whl)
		}
		page.WriteString("</body></html>\n")
		if err := writeFile(filepath.Join(simple, n, "index.html"), page.String()); err != nil {
			return err
		}
	}
	root.WriteString("</body></html>\n")
	return writeFile(filepath.Join(simple, "index.html"), root.String())
}

func writeFile(p, s string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(s), 0o644)
}
