package wheel

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/klauspost/compress/flate"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
)

// Default limits. A wheel is untrusted input from an index: these keep a hostile one from making us read,
// inflate or allocate without bound, while staying far above real wheels (the largest on PyPI are a few GiB
// uncompressed, e.g. CUDA libraries, and a Lambda layer may not exceed 250 MB unzipped anyway).
const (
	DefaultMaxEntries   = 100_000
	DefaultMaxEntrySize = 1 << 30
	DefaultMaxTotalSize = 4 << 30

	// maxSmallFile bounds METADATA and RECORD, the only entries read into memory.
	maxSmallFile = 32 << 20
)

// Limits bound what one wheel may make us read. Zero (or negative) fields take the defaults.
type Limits struct {
	MaxEntries   int   // entries in the central directory; default 100,000
	MaxEntrySize int64 // declared or real uncompressed size of one entry; default 1 GiB
	MaxTotalSize int64 // declared uncompressed size of all entries; default 4 GiB
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxEntrySize <= 0 {
		l.MaxEntrySize = DefaultMaxEntrySize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultMaxTotalSize
	}
	return l
}

// UnsafeEntryError reports an entry that the wheel's central directory describes in a way we refuse to
// install: a path that escapes or is ambiguous, a link or special file, a duplicate, encryption or an
// unsupported compression method. Entry is "" when the problem is the archive's layout as a whole.
type UnsafeEntryError struct {
	Wheel, Entry, Reason string
}

func (e *UnsafeEntryError) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("reading %s: %s", e.Wheel, e.Reason)
	}
	return fmt.Sprintf("reading %s: entry %q: %s", e.Wheel, e.Entry, e.Reason)
}

// CorruptEntryError reports an entry whose data does not match its header: a wrong CRC-32 or size (which is
// how a decompression bomb shows itself) or a broken deflate stream. A fresh download may cure it.
type CorruptEntryError struct {
	Wheel, Entry, Reason string
	Err                  error // underlying read error, if any
}

func (e *CorruptEntryError) Error() string {
	return fmt.Sprintf("reading %s: entry %q: %s", e.Wheel, e.Entry, e.Reason)
}

func (e *CorruptEntryError) Unwrap() error { return e.Err }

// LimitError reports a wheel that exceeds one of its Limits. Entry is "" for whole-archive limits.
type LimitError struct {
	Wheel, Entry string
	What         string // "entries", "entry size", "total size"
	Value, Limit int64
}

func (e *LimitError) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("reading %s: %s %d exceeds the limit of %d", e.Wheel, e.What, e.Value, e.Limit)
	}
	return fmt.Sprintf("reading %s: entry %q: %s %d exceeds the limit of %d", e.Wheel, e.Entry, e.What, e.Value, e.Limit)
}

// Archive is an opened wheel whose central directory has been checked. Its methods may be called
// concurrently; the io.ReaderAt given to Open must stay readable, and safe for concurrent ReadAt calls (as
// *os.File and *bytes.Reader are), for as long as the Archive or its entries are used.
type Archive struct {
	name     string
	r        io.ReaderAt
	size     int64
	zr       *zip.Reader
	dir      directory // the central directory as layout.go reads it
	wheel    WheelInfo
	byName   map[string]*zip.File
	distInfo string
	verified atomic.Bool
}

// Open reads and checks the wheel's central directory and its WHEEL file; it reads no other entry data.
// It reads the zip's structure itself as well as through archive/zip and refuses an archive that two
// readers could see differently (see layout.go): data before the first entry or after the end record, an
// end record whose count or sizes do not match the directory (Verify compares the local headers). It rejects absolute paths,
// ".." and "." elements, empty elements, backslashes, NUL and other control characters, names that are not
// UTF-8, symlinks and other special files, duplicate names, names that differ only by a trailing "/", a
// file that another entry treats as a directory, declared sizes over lim, compression other than Store
// and Deflate, and encryption. It requires exactly one top-level .dist-info directory holding METADATA
// and a WHEEL file of Wheel-Version 1.x (a newer minor is a warning, see Warnings);
// when filename parses as a wheel file name, that directory must belong to the same project. filename
// names the wheel in errors.
func Open(r io.ReaderAt, size int64, filename string, lim Limits) (*Archive, error) {
	lim = lim.withDefaults()
	// Our own reading of the structure first: where archive/zip would refuse or repair the archive in
	// its own way, the message says what is wrong.
	dir, reason := readDirectory(r, size)
	if reason != "" {
		return nil, &UnsafeEntryError{Wheel: filename, Reason: reason}
	}
	zr, err := zip.NewReader(r, size)
	// ErrInsecurePath (only with GODEBUG=zipinsecurepath=0) comes with a usable reader; our own checks
	// below reject the same names with a better message.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("reading %s: %w", filename, err)
	}
	// archive/zip has parsed the whole directory by now; its memory is bounded by the directory's real size
	// (each record is at least 46 bytes of input), so counting afterwards is safe.
	if n := len(zr.File); n > lim.MaxEntries {
		return nil, &LimitError{Wheel: filename, What: "entries", Value: int64(n), Limit: int64(lim.MaxEntries)}
	}
	if err := checkDirectory(dir, zr.File, filename); err != nil {
		return nil, err
	}
	a := &Archive{name: filename, r: r, size: size, zr: zr, dir: dir, byName: make(map[string]*zip.File, len(zr.File))}
	unsafe := func(f *zip.File, format string, args ...any) error {
		return &UnsafeEntryError{Wheel: filename, Entry: f.Name, Reason: fmt.Sprintf(format, args...)}
	}
	// byKey indexes entries by name without a trailing "/", so "a" and "a/" collide.
	byKey := make(map[string]*zip.File, len(zr.File))
	distInfos := map[string]bool{}
	var total int64
	for _, f := range zr.File {
		if reason := checkEntry(f, size); reason != "" {
			return nil, unsafe(f, "%s", reason)
		}
		if f.UncompressedSize64 > uint64(lim.MaxEntrySize) {
			return nil, &LimitError{Wheel: filename, Entry: f.Name, What: "entry size", Value: clampInt64(f.UncompressedSize64), Limit: lim.MaxEntrySize}
		}
		total += int64(f.UncompressedSize64) // no overflow: at most MaxTotalSize+MaxEntrySize
		if total > lim.MaxTotalSize {
			return nil, &LimitError{Wheel: filename, Entry: f.Name, What: "total size", Value: total, Limit: lim.MaxTotalSize}
		}
		key := strings.TrimSuffix(f.Name, "/")
		if prev := byKey[key]; prev != nil {
			if prev.Name == f.Name {
				return nil, unsafe(f, "duplicate entry")
			}
			return nil, unsafe(f, "differs from entry %q only by a trailing slash", prev.Name)
		}
		byKey[key] = f
		a.byName[f.Name] = f
		if top, _, nested := strings.Cut(f.Name, "/"); nested && strings.HasSuffix(top, ".dist-info") {
			distInfos[top] = true
		}
	}
	for _, f := range zr.File {
		if reason := checkParents(f.Name, byKey); reason != "" {
			return nil, unsafe(f, "%s", reason)
		}
	}
	switch len(distInfos) {
	case 0:
		return nil, &UnsafeEntryError{Wheel: filename, Reason: "no .dist-info directory"}
	case 1:
		for d := range distInfos {
			a.distInfo = d
		}
	default:
		names := make([]string, 0, len(distInfos))
		for d := range distInfos {
			names = append(names, d)
		}
		slices.Sort(names)
		return nil, &UnsafeEntryError{Wheel: filename, Reason: fmt.Sprintf("several .dist-info directories: %s", strings.Join(names, ", "))}
	}
	if fn, err := ParseFilename(filename); err == nil {
		// pip's check: the normalized directory name starts with the project's normalized name.
		if stem := NormalizeName(strings.TrimSuffix(a.distInfo, ".dist-info")); !strings.HasPrefix(stem, fn.Name+"-") {
			return nil, &UnsafeEntryError{Wheel: filename, Entry: a.distInfo + "/", Reason: fmt.Sprintf("does not belong to project %q", fn.Name)}
		}
	}
	if f := a.byName[a.distInfo+"/METADATA"]; f == nil {
		return nil, &UnsafeEntryError{Wheel: filename, Entry: a.distInfo + "/", Reason: "no METADATA file"}
	}
	if err := a.readWheelFile(); err != nil {
		return nil, err
	}
	return a, nil
}

func clampInt64(v uint64) int64 {
	if v > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(v)
}

// checkEntry returns why one central-directory record is unacceptable, or "".
func checkEntry(f *zip.File, archiveSize int64) string {
	if reason := checkPath(f.Name); reason != "" {
		return reason
	}
	if f.Flags&0x41 != 0 { // bit 0: encrypted; bit 6: strong encryption
		return "encrypted"
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return fmt.Sprintf("unsupported compression method %d (only Store and Deflate)", f.Method)
	}
	// The Unix file type lives in the high half of the external attributes whatever the "made by"
	// field says; Python's zipfile (and so pip) reads it that way too.
	switch t := f.ExternalAttrs >> 16 & 0o170000; t {
	case 0, 0o100000, 0o040000: // unset, regular file, directory
	case 0o120000:
		return "symlink"
	default:
		return fmt.Sprintf("special file (type %06o)", t)
	}
	if strings.HasSuffix(f.Name, "/") && f.UncompressedSize64 != 0 {
		return "directory entry with data"
	}
	if f.Method == zip.Store && f.CompressedSize64 != f.UncompressedSize64 {
		return fmt.Sprintf("stored entry declares %d bytes compressed but %d uncompressed", f.CompressedSize64, f.UncompressedSize64)
	}
	if f.CompressedSize64 > uint64(archiveSize) {
		return fmt.Sprintf("compressed size %d is larger than the wheel", f.CompressedSize64)
	}
	return ""
}

// checkPath returns why an entry name is not a safe relative path, or "". Names are compared and written
// byte for byte later, so only one spelling of each path is allowed: no ".", no empty elements.
func checkPath(name string) string {
	switch {
	case name == "":
		return "empty name"
	case !utf8.ValidString(name):
		return "name is not valid UTF-8"
	case strings.IndexByte(name, 0) >= 0:
		return "NUL byte in name"
	case strings.IndexByte(name, '\\') >= 0:
		return "backslash in name"
	case name[0] == '/':
		return "absolute path"
	case len(name) >= 2 && name[1] == ':':
		return "absolute path (drive letter)"
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Sprintf("control character %q in name", r)
		}
	}
	for _, el := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		switch el {
		case "":
			return "empty path element"
		case ".":
			return `"." path element`
		case "..":
			return `".." path element`
		}
	}
	return ""
}

// checkParents reports a path whose parent directory is a file entry (byKey has names without a trailing
// slash): no one can extract both.
func checkParents(name string, byKey map[string]*zip.File) string {
	return checkParentsFunc(name, func(p string) (string, bool) {
		f := byKey[p]
		return nameOf(f), f != nil && !strings.HasSuffix(f.Name, "/")
	})
}

func nameOf(f *zip.File) string {
	if f == nil {
		return ""
	}
	return f.Name
}

// checkParentsFunc walks name's parent directories; file reports whether a parent is a file (and its name).
func checkParentsFunc(name string, file func(parent string) (string, bool)) string {
	for i := 0; i < len(name); i++ {
		if name[i] != '/' || i == len(name)-1 {
			continue
		}
		if other, isFile := file(name[:i]); isFile {
			return fmt.Sprintf("is inside %q, which is a file", other)
		}
	}
	return ""
}

// Name returns the wheel's file name as given to Open.
func (a *Archive) Name() string { return a.name }

// DistInfo returns the name of the wheel's .dist-info directory, without a trailing slash.
func (a *Archive) DistInfo() string { return a.distInfo }

// Verified reports whether Verify has succeeded on this archive.
func (a *Archive) Verified() bool { return a.verified.Load() }

// TrustVerified records that these exact bytes passed Verify before — a cache keyed by the file's
// sha256 remembers it — so a warm build does not inflate every entry again.
func (a *Archive) TrustVerified() { a.verified.Store(true) }

// Metadata returns the bytes of the .dist-info/METADATA file, checked against its CRC-32 and size.
func (a *Archive) Metadata() ([]byte, error) {
	return a.readSmall(a.byName[a.distInfo+"/METADATA"])
}

// readSmall reads a metadata-sized entry into memory, checked.
func (a *Archive) readSmall(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxSmallFile {
		return nil, &LimitError{Wheel: a.name, Entry: f.Name, What: "metadata file size", Value: clampInt64(f.UncompressedSize64), Limit: maxSmallFile}
	}
	var buf bytes.Buffer
	buf.Grow(int(f.UncompressedSize64))
	if err := a.check(context.Background(), f, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Entry is one file to install, at Path relative to site-packages.
type Entry struct {
	Path string
	File *zip.File // the wheel's entry; nil when Data is set
	// Data is content that Install made instead of copying an entry: the rewritten RECORD. Nil otherwise.
	Data []byte
}

// Size returns the entry's uncompressed size.
func (e Entry) Size() int64 {
	if e.File == nil {
		return int64(len(e.Data))
	}
	return int64(e.File.UncompressedSize64)
}

// CRC32 returns the CRC-32 of the entry's content (as declared, so call Verify first).
func (e Entry) CRC32() uint32 {
	if e.File == nil {
		return crc32.ChecksumIEEE(e.Data)
	}
	return e.File.CRC32
}

// Executable reports whether the wheel marks the entry executable. This is pip's rule: a Unix mode in the
// external attributes, of a regular file, with any execute bit.
func (e Entry) Executable() bool {
	if e.File == nil {
		return false
	}
	mode := e.File.ExternalAttrs >> 16
	return mode&0o170000 == 0o100000 && mode&0o111 != 0
}

// Dropped is a wheel entry that Install leaves out of site-packages.
type Dropped struct {
	Path   string // the entry's name in the wheel
	Reason string // "scripts", "headers", "data" (the .data scheme), "bytecode", or an ExcludeFunc's reason
	Size   int64  // uncompressed size
	// Compressed is the entry's compressed size in the wheel.
	Compressed int64
	// Installed is where Install would have put it, relative to site-packages; "" for .data scripts,
	// headers and data, which have no place there.
	Installed string
}

// Install maps the wheel's entries to paths relative to site-packages, as pip would for a layer: entries at
// the root stay where they are (whatever WHEEL's Root-Is-Purelib says: in a layer purelib and platlib are
// both site-packages); <name>-<ver>.data/purelib/* and /platlib/* move to the root; .data/scripts,
// headers and data are dropped (a layer has no bin/ or include/ to put them in), as are .pyc/.pyo files and
// __pycache__ directories (a layer's fixed timestamps would make timestamp-checked bytecode stale).
// Directory entries are skipped. When anything was moved or dropped, RECORD is rewritten to match: lines of
// dropped files are removed and moved files get their new paths, keeping the wheel's order and hashes;
// otherwise the wheel's RECORD is kept byte for byte. Entries and dropped files are sorted by path.
func (a *Archive) Install() (entries []Entry, dropped []Dropped, err error) {
	return a.InstallExcluding(nil)
}

// ExcludeFunc says whether a file that Install would install at path (relative to site-packages) is to
// be left out, and the reason to record in its Dropped.
type ExcludeFunc func(path string) (reason string, exclude bool)

// InstallExcluding is Install, leaving out the files exclude picks (nil picks none): they are dropped
// with exclude's reason and RECORD is rewritten without them. It is asked about every file, RECORD and
// METADATA included: refusing those is the caller's rule (package layer refuses them).
func (a *Archive) InstallExcluding(exclude ExcludeFunc) (entries []Entry, dropped []Dropped, err error) {
	var (
		moved   = map[string]string{} // wheel name -> installed path, for RECORD
		removed = map[string]bool{}
		owner   = map[string]string{} // installed path -> wheel name, to catch two entries on one path
	)
	for _, f := range a.zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") {
			continue
		}
		path := name
		// pip treats any top-level "*.data" directory as the data directory, not only the one that
		// matches .dist-info; so do we, so that both install the same files.
		if top, rest, nested := strings.Cut(name, "/"); nested && strings.HasSuffix(top, ".data") {
			scheme, sub, ok := strings.Cut(rest, "/")
			if !ok {
				return nil, nil, &UnsafeEntryError{Wheel: a.name, Entry: name, Reason: "file directly inside the .data directory (want <scheme>/<path>)"}
			}
			switch scheme {
			case "purelib", "platlib":
				path = sub
				moved[name] = sub
			case "scripts", "headers", "data":
				dropped = append(dropped, Dropped{Path: name, Reason: scheme, Size: int64(f.UncompressedSize64), Compressed: int64(f.CompressedSize64)})
				removed[name] = true
				continue
			default:
				return nil, nil, &UnsafeEntryError{Wheel: a.name, Entry: name, Reason: fmt.Sprintf("unknown .data scheme %q", scheme)}
			}
		}
		if isBytecode(path) {
			dropped = append(dropped, Dropped{Path: name, Reason: "bytecode", Size: int64(f.UncompressedSize64), Compressed: int64(f.CompressedSize64), Installed: path})
			removed[name] = true
			continue
		}
		if exclude != nil {
			if reason, ok := exclude(path); ok {
				dropped = append(dropped, Dropped{Path: name, Reason: reason, Size: int64(f.UncompressedSize64), Compressed: int64(f.CompressedSize64), Installed: path})
				removed[name] = true
				continue
			}
		}
		if prev, dup := owner[path]; dup {
			return nil, nil, &UnsafeEntryError{Wheel: a.name, Entry: name, Reason: fmt.Sprintf("installs to %q, as entry %q does", path, prev)}
		}
		owner[path] = name
		entries = append(entries, Entry{Path: path, File: f})
	}
	// Moving purelib files to the root can put a file where another entry needs a directory.
	for _, e := range entries {
		reason := checkParentsFunc(e.Path, func(p string) (string, bool) {
			n, ok := owner[p]
			return n, ok
		})
		if reason != "" {
			return nil, nil, &UnsafeEntryError{Wheel: a.name, Entry: e.File.Name, Reason: "installs inside a file: " + reason}
		}
	}
	if len(moved) > 0 || len(removed) > 0 {
		recPath := a.distInfo + "/RECORD"
		for i, e := range entries {
			if e.Path != recPath || e.File.Name != recPath {
				continue
			}
			data, err := a.readSmall(e.File)
			if err != nil {
				return nil, nil, err
			}
			rec, err := rewriteRecord(data, moved, removed)
			if err != nil {
				return nil, nil, fmt.Errorf("reading %s: entry %q: %w", a.name, recPath, err)
			}
			entries[i] = Entry{Path: recPath, Data: rec}
		}
	}
	slices.SortFunc(entries, func(x, y Entry) int { return strings.Compare(x.Path, y.Path) })
	slices.SortFunc(dropped, func(x, y Dropped) int { return strings.Compare(x.Path, y.Path) })
	return entries, dropped, nil
}

func isBytecode(path string) bool {
	if strings.HasSuffix(path, ".pyc") || strings.HasSuffix(path, ".pyo") {
		return true
	}
	return strings.HasPrefix(path, "__pycache__/") || strings.Contains(path, "/__pycache__/")
}

// Verify reads every entry once, streaming, and checks its true size and CRC-32 against the central
// directory. It never trusts a header: each entry is read through a limit of its declared size plus one
// byte, so a bomb that declares 1 KiB stops after 1 KiB + 1 byte, and declared sizes were already bounded
// by Open. First it reads every local header (and data descriptor) and refuses one that disagrees with its
// central record on name, flags, method, CRC-32 or sizes, and entries that overlap (the trick that lets a
// small zip inflate to many copies of one stream) or leave bytes between them. Entries are checked in parallel, at most GOMAXPROCS at a time; on failure the
// error names the wheel and the first failing entry in archive order among those checked. Verify succeeds
// at most once per Archive; later calls return nil at once.
func (a *Archive) Verify(ctx context.Context) error {
	if a.verified.Load() {
		return nil
	}
	if err := checkLocalHeaders(a.r, a.size, a.dir, a.name); err != nil {
		return err
	}
	files := a.zr.File
	order := make([]int, 0, len(files))
	for i, f := range files {
		if !strings.HasSuffix(f.Name, "/") {
			order = append(order, i)
		}
	}
	// Largest first, so one big entry does not start last and leave the other workers idle.
	slices.SortStableFunc(order, func(x, y int) int {
		return cmp.Compare(files[y].CompressedSize64, files[x].CompressedSize64)
	})
	errs := make([]error, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, i := range order {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			errs[i] = a.check(gctx, files[i], nil)
			return errs[i]
		})
	}
	werr := g.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("verifying %s: %w", a.name, err)
	}
	for _, err := range errs {
		// Entries cut short because another one failed report the cancellation, not a fault.
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if werr != nil {
		return werr
	}
	a.verified.Store(true)
	return nil
}

var (
	flatePool = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
	bufioPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}
	copyPool  = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
)

// check inflates one entry, streaming its content to w (if not nil), and compares size and CRC-32 with
// the central directory.
func (a *Archive) check(ctx context.Context, f *zip.File, w io.Writer) error {
	corrupt := func(err error, format string, args ...any) error {
		return &CorruptEntryError{Wheel: a.name, Entry: f.Name, Reason: fmt.Sprintf(format, args...), Err: err}
	}
	raw, err := f.OpenRaw()
	if err != nil {
		return corrupt(err, "reading local header: %v", err)
	}
	src := raw
	if f.Method == zip.Deflate {
		// flate would wrap a non-ByteReader in a fresh bufio.Reader per entry; pooled readers keep
		// small-file wheels from allocating ~40 KiB per entry.
		br := bufioPool.Get().(*bufio.Reader)
		br.Reset(raw)
		fr := flatePool.Get().(io.ReadCloser)
		if err := fr.(flate.Resetter).Reset(br, nil); err != nil {
			return corrupt(err, "inflating: %v", err)
		}
		defer func() {
			br.Reset(nil)
			bufioPool.Put(br)
			flatePool.Put(fr)
		}()
		src = fr
	}
	want := int64(f.UncompressedSize64) // bounded by Limits in Open
	h := crc32.NewIEEE()
	dst := io.Writer(h)
	if w != nil {
		dst = io.MultiWriter(h, w)
	}
	bufp := copyPool.Get().(*[]byte)
	defer copyPool.Put(bufp)
	n, err := io.CopyBuffer(dst, &io.LimitedReader{R: ctxReader{ctx, src}, N: want + 1}, *bufp)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("reading %s: entry %q: %w", a.name, f.Name, cerr)
		}
		return corrupt(err, "inflating: %v", err)
	}
	if n > want {
		return corrupt(nil, "data is longer than the declared %d bytes", want)
	}
	if n < want {
		return corrupt(nil, "data is %d bytes, header declares %d", n, want)
	}
	if sum := h.Sum32(); sum != f.CRC32 {
		return corrupt(nil, "CRC-32 is %08x, header declares %08x", sum, f.CRC32)
	}
	return nil
}

// ctxReader stops a long inflate when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
