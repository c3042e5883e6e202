// Package layer writes a Lambda layer zip from installed wheels by copying each entry's compressed bytes
// unchanged, so the same wheels always give the same zip, byte for byte, and so the same CodeSha256.
//
// The format is fixed so that nothing but the wheels' contents reaches the output: entries sorted
// bytewise by full path; no directory entries (unzip and Lambda create parents, and namespace packages
// need no entry); every entry dated 1980-01-01 00:00:00 in the MS-DOS fields with no extended-timestamp
// or other extra fields, no comments, no data descriptors; mode 0644, or 0755 when the wheel marks the
// file executable (pip's rule, see wheel.Entry.Executable); the wheel's compression method kept. Each
// wheel's .dist-info is kept as installed by wheel.Archive.Install: RECORD as in the wheel, or rewritten
// (stored, not deflated, so no compressor version can change its bytes) when .data files were moved or
// files dropped. INSTALLER, REQUESTED and direct_url.json are not written: nothing in a Lambda runtime
// reads them, and "REQUESTED" would need the resolver's view of what the user asked for.
package layer

import (
	"archive/zip"
	"bufio"
	"cmp"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// Input is one installed wheel.
type Input struct {
	Name, Version string // normalized project name, version
	Wheel         string // file name, for messages and reports
	// Archive is the opened wheel. It must have been verified (wheel.Archive.Verify): Write copies its
	// compressed bytes trusting their CRC-32 and sizes, so it refuses an unverified one.
	Archive *wheel.Archive
}

// Options control Write.
type Options struct {
	// Prefix is prepended to every site-packages path, e.g. "python/lib/python3.12/site-packages/".
	// Required; it must be a clean relative path ending with "/".
	Prefix string
	// Exclude are globs over site-packages paths of files to leave out (see Rule); RECORD is rewritten
	// without them. A rule that would remove a protected .dist-info file is a *ProtectedError.
	Exclude []Rule
}

// PackageSize is what one package contributes to the layer.
type PackageSize struct {
	Name, Version, Wheel string
	Files                int
	// ZippedBytes counts the package's local headers, compressed data and central-directory records; the
	// sum over packages plus the end-of-central-directory record(s) is Result.ZippedBytes.
	ZippedBytes   int64
	UnzippedBytes int64
}

// DroppedFile is a wheel entry left out of the layer, with the package it came from.
type DroppedFile struct {
	Package string
	wheel.Dropped
}

// Conflict is a path that more than one package installs. The first package (in name order) wins; it is a
// finding to report, not an error, because namespace packages share files legitimately and identical
// copies are harmless.
type Conflict struct {
	Path      string   // full path in the zip
	Packages  []string // names, the winner first
	Identical bool     // every copy has the same CRC-32 and size as the winner's
}

// Result describes the zip that Write wrote.
type Result struct {
	Files         int
	ZippedBytes   int64 // bytes of the zip written
	UnzippedBytes int64
	Packages      []PackageSize // sorted by name
	Dropped       []DroppedFile // sorted by package, then path
	Conflicts     []Conflict    // sorted by path
	// Excluded is what each Options.Exclude rule removed, in rule order (a rule that matched nothing is
	// there with zero files, and in Warnings).
	Excluded []RuleSaving
	Warnings []string
}

// Zip record sizes without extra fields (APPNOTE 4.3.7, 4.3.12, 4.3.16, 4.3.14-15). Write computes each
// package's share from these and checks the total against the bytes actually written.
const (
	localHeaderLen   = 30
	centralHeaderLen = 46
	zip64ExtraLen    = 28 // archive/zip's central zip64 extra: header + three uint64
	endLen           = 22
	end64Len         = 56 + 20 // zip64 end record + locator
	uint32max        = 1<<32 - 1
	uint16max        = 1<<16 - 1

	// msdosDate1980 is 1980-01-01 in MS-DOS date format: (year-1980)<<9 | month<<5 | day.
	msdosDate1980 = 0<<9 | 1<<5 | 1
)

type item struct {
	path string
	pkg  int // index into the sorted inputs
	e    wheel.Entry
}

// Write writes the layer zip for inputs to w, streaming: entry data is copied from the wheels as it is
// written, and only the central directory (names and sizes) is held in memory. Inputs may come in any
// order; two inputs with the same Name are an error. On error, w has received a partial zip.
func Write(w io.Writer, inputs []Input, opts Options) (Result, error) {
	if err := checkPrefix(opts.Prefix); err != nil {
		return Result{}, err
	}
	if err := checkRules(opts.Exclude); err != nil {
		return Result{}, fmt.Errorf("writing layer: %w", err)
	}
	ins := slices.Clone(inputs)
	slices.SortFunc(ins, func(a, b Input) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Version, b.Version), strings.Compare(a.Wheel, b.Wheel))
	})
	var res Result
	for _, r := range opts.Exclude {
		res.Excluded = append(res.Excluded, RuleSaving{Pattern: r.Pattern, Origin: r.Origin})
	}
	var items []item
	for i, in := range ins {
		switch {
		case in.Name == "":
			return Result{}, fmt.Errorf("writing layer: input %q has no name", in.Wheel)
		case in.Archive == nil:
			return Result{}, fmt.Errorf("writing layer: input %s (%s) has no archive", in.Name, in.Wheel)
		case !in.Archive.Verified():
			return Result{}, fmt.Errorf("writing layer: %s was not verified; call Archive.Verify first", in.Wheel)
		case i > 0 && ins[i-1].Name == in.Name:
			return Result{}, fmt.Errorf("writing layer: package %s given twice (%s, %s)", in.Name, ins[i-1].Wheel, in.Wheel)
		}
		var exclude wheel.ExcludeFunc
		x := &excluder{rules: opts.Exclude, pkg: in.Name}
		if len(opts.Exclude) > 0 {
			exclude = x.match
		}
		entries, dropped, err := in.Archive.InstallExcluding(exclude)
		if err == nil && x.err != nil {
			err = x.err
		}
		if err != nil {
			return Result{}, fmt.Errorf("writing layer: installing %s: %w", in.Wheel, err)
		}
		for _, e := range entries {
			items = append(items, item{opts.Prefix + e.Path, i, e})
		}
		for _, d := range dropped {
			if r := ruleIndex(d.Reason); r >= 0 {
				zipped := d.Compressed + int64(localHeaderLen+centralHeaderLen+2*len(opts.Prefix+d.Installed))
				addSaving(&res.Excluded[r], in.Name, 1, d.Size, zipped)
				continue
			}
			res.Dropped = append(res.Dropped, DroppedFile{Package: in.Name, Dropped: d})
		}
		res.Packages = append(res.Packages, PackageSize{Name: in.Name, Version: in.Version, Wheel: in.Wheel})
	}
	for _, s := range res.Excluded {
		if s.Files == 0 {
			at := ""
			if s.Origin != "" {
				at = s.Origin + ": "
			}
			res.Warnings = append(res.Warnings, fmt.Sprintf("%sexclude %q matched no file", at, s.Pattern))
		}
	}
	// Stable: for one path, items stay in package order, so the first is the winner.
	slices.SortStableFunc(items, func(a, b item) int { return strings.Compare(a.path, b.path) })
	items, res.Conflicts = dedupe(items, ins)
	if err := checkFileDirClash(items, ins); err != nil {
		return Result{}, err
	}

	bw := bufio.NewWriterSize(w, 256<<10)
	cw := &countWriter{w: bw}
	zw := zip.NewWriter(cw)
	var offset int64 // where the next local header starts
	buf := make([]byte, 64<<10)
	for _, it := range items {
		fh := header(it)
		fw, err := zw.CreateRaw(fh)
		if err != nil {
			return Result{}, fmt.Errorf("writing layer: entry %q: %w", it.path, err)
		}
		if it.e.File == nil {
			_, err = fw.Write(it.e.Data)
		} else {
			err = copyRaw(fw, it.e.File, buf)
		}
		if err != nil {
			return Result{}, fmt.Errorf("writing layer: entry %q from %s: %w", it.path, ins[it.pkg].Wheel, err)
		}
		local := int64(localHeaderLen+len(it.path)) + int64(fh.CompressedSize64)
		central := int64(centralHeaderLen + len(it.path))
		if fh.CompressedSize64 >= uint32max || fh.UncompressedSize64 >= uint32max || offset >= uint32max {
			central += zip64ExtraLen
		}
		p := &res.Packages[it.pkg]
		p.Files++
		p.ZippedBytes += local + central
		p.UnzippedBytes += int64(fh.UncompressedSize64)
		offset += local
	}
	if err := zw.Flush(); err != nil {
		return Result{}, fmt.Errorf("writing layer: %w", err)
	}
	if cw.n != offset {
		return Result{}, fmt.Errorf("writing layer: internal error: wrote %d bytes of entries, accounted %d", cw.n, offset)
	}
	if err := zw.Close(); err != nil {
		return Result{}, fmt.Errorf("writing layer: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return Result{}, fmt.Errorf("writing layer: %w", err)
	}
	var sum int64
	for _, p := range res.Packages {
		res.Files += p.Files
		res.UnzippedBytes += p.UnzippedBytes
		sum += p.ZippedBytes
	}
	res.ZippedBytes = cw.n
	end := int64(endLen)
	if len(items) >= uint16max || cw.n-offset-end >= uint32max || offset >= uint32max {
		end += end64Len
	}
	if sum+end != cw.n {
		return Result{}, fmt.Errorf("writing layer: internal error: wrote %d bytes, accounted %d", cw.n, sum+end)
	}
	return res, nil
}

// checkPrefix rejects a prefix that is not one clean relative directory path: the zip must not escape the
// extraction root, and paths are compared bytewise, so only one spelling is allowed.
func checkPrefix(prefix string) error {
	p, ok := strings.CutSuffix(prefix, "/")
	switch {
	case !ok || p == "":
		return fmt.Errorf("writing layer: prefix %q must be a relative directory path ending with \"/\"", prefix)
	case !utf8.ValidString(p) || strings.ContainsAny(p, "\\\x00") || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("writing layer: prefix %q has a backslash, control character or invalid UTF-8", prefix)
	case path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("writing layer: prefix %q is not a clean relative path", prefix)
	}
	return nil
}

// dedupe keeps the first item of each path (items are sorted by path, then package) and reports the rest.
func dedupe(items []item, ins []Input) ([]item, []Conflict) {
	var conflicts []Conflict
	kept := items[:0]
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].path == items[i].path {
			j++
		}
		win := items[i]
		kept = append(kept, win)
		if j > i+1 {
			c := Conflict{Path: win.path, Identical: true}
			for _, it := range items[i:j] {
				c.Packages = append(c.Packages, ins[it.pkg].Name)
				if it.e.CRC32() != win.e.CRC32() || it.e.Size() != win.e.Size() {
					c.Identical = false
				}
			}
			conflicts = append(conflicts, c)
		}
		i = j
	}
	return kept, conflicts
}

// checkFileDirClash rejects a layer where one package's file is another's directory: no unzip can
// produce both, and it would fail at deploy time rather than here. (Within one wheel, Open and Install
// already reject it.)
func checkFileDirClash(items []item, ins []Input) error {
	owner := make(map[string]int, len(items))
	for i, it := range items {
		owner[it.path] = i
	}
	for _, it := range items {
		for i := len(it.path) - 1; i > 0; i-- {
			if it.path[i] != '/' {
				continue
			}
			if j, ok := owner[it.path[:i]]; ok {
				return fmt.Errorf("writing layer: %q from %s is inside %q, a file from %s",
					it.path, ins[it.pkg].Wheel, items[j].path, ins[items[j].pkg].Wheel)
			}
		}
	}
	return nil
}

// header builds the entry's zip header from its content alone (see the package doc). CreateRaw writes
// these fields as given: it does none of CreateHeader's defaulting.
func header(it item) *zip.FileHeader {
	fh := &zip.FileHeader{
		Name:           it.path,
		CreatorVersion: 3<<8 | 20, // made by Unix, so readers honour the mode; version 2.0
		ReaderVersion:  20,
		ModifiedDate:   msdosDate1980,
	}
	if it.e.File != nil {
		f := it.e.File
		fh.Method = f.Method
		fh.CRC32 = f.CRC32
		fh.CompressedSize64 = f.CompressedSize64
		fh.UncompressedSize64 = f.UncompressedSize64
	} else {
		fh.Method = zip.Store
		fh.CRC32 = it.e.CRC32()
		fh.CompressedSize64 = uint64(len(it.e.Data))
		fh.UncompressedSize64 = uint64(len(it.e.Data))
	}
	if fh.CompressedSize64 >= uint32max || fh.UncompressedSize64 >= uint32max {
		fh.ReaderVersion = 45 // zip64
	}
	// Bit 11: the name is UTF-8. Set only when it matters, as archive/zip's CreateHeader does, so ASCII
	// names keep the flags every tool expects.
	for i := 0; i < len(it.path); i++ {
		if it.path[i] >= 0x80 {
			fh.Flags |= 0x800
			break
		}
	}
	mode := uint32(0o100644)
	if it.e.Executable() {
		mode = 0o100755
	}
	fh.ExternalAttrs = mode << 16
	return fh
}

// copyRaw copies an entry's compressed bytes and checks that exactly the declared number arrived: a wheel
// file that changed on disk since Verify must not yield a zip whose headers lie.
func copyRaw(w io.Writer, f *zip.File, buf []byte) error {
	r, err := f.OpenRaw()
	if err != nil {
		return err
	}
	n, err := io.CopyBuffer(w, r, buf)
	if err != nil {
		return err
	}
	if uint64(n) != f.CompressedSize64 {
		return fmt.Errorf("read %d compressed bytes, header declares %d", n, f.CompressedSize64)
	}
	return nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
