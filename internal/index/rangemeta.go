package index

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrNoRange means the server did not answer a range request with part of the file (206), so reading
// a wheel's metadata would mean downloading all of it.
var ErrNoRange = errors.New("server does not serve byte ranges")

const (
	// rangeTail is the first request: the end of the zip, where the central directory is, and often
	// the .dist-info files just before it.
	rangeTail = 64 << 10
	// rangeBlock is the least a later request asks for, so reading an entry costs one or two requests.
	rangeBlock = 64 << 10
	// maxRangeRequests bounds the requests for one wheel; past it, downloading the file is cheaper.
	maxRangeRequests = 8
)

// RangeMetadata reads the core metadata (.dist-info/METADATA) of the wheel f with HTTP range requests:
// the end of the zip (its central directory), then the METADATA entry, without the rest of the file. It
// returns an error wrapping ErrNoRange when the server ignores ranges; the caller then downloads the
// wheel. The entry's CRC-32 is checked; nothing else of the wheel is (it is checked when downloaded).
func (c *Client) RangeMetadata(ctx context.Context, f File) ([]byte, error) {
	u, err := url.Parse(f.URL)
	if err != nil {
		return nil, fmt.Errorf("reading metadata of %s: parsing URL %s: %w", f.Filename, Redact(f.URL), err)
	}
	if err := checkSource(f, u); err != nil {
		return nil, fmt.Errorf("reading metadata of %s: %w", f.Filename, err)
	}
	ra := &rangeReader{c: c, u: u, ctx: ctx}
	if err := ra.fetchTail(); err != nil {
		return nil, fmt.Errorf("reading metadata of %s by range: %w", f.Filename, err)
	}
	// Fetch the whole central directory at once: archive/zip reads it in small pieces.
	if off, ok := centralDirectory(ra.chunks[0].data, ra.chunks[0].off); ok && off < ra.chunks[0].off {
		if err := ra.fetch(off, ra.chunks[0].off-off); err != nil {
			return nil, fmt.Errorf("reading metadata of %s by range: %w", f.Filename, err)
		}
	}
	b, err := metadataFromZip(ra, ra.size, f.Filename, c.maxPage)
	if err != nil {
		return nil, fmt.Errorf("reading metadata of %s by range: %w", f.Filename, err)
	}
	return b, nil
}

// metadataFromZip finds the wheel's top-level *.dist-info/METADATA and reads it, checking its CRC.
func metadataFromZip(r io.ReaderAt, size int64, filename string, limit int64) ([]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		var re *rangeError
		if errors.As(err, &re) {
			return nil, re.err
		}
		return nil, err
	}
	want := distInfoPrefix(filename)
	var found *zip.File
	for _, zf := range zr.File {
		dir, file, ok := strings.Cut(zf.Name, "/")
		if !ok || file != "METADATA" || !strings.HasSuffix(dir, ".dist-info") {
			continue
		}
		if found == nil || want != "" && strings.EqualFold(normalizeDistInfo(dir), want) {
			found = zf
		}
	}
	if found == nil {
		return nil, errors.New("no .dist-info/METADATA in the wheel")
	}
	if found.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d", found.Name, found.UncompressedSize64, limit)
	}
	rc, err := found.Open()
	if err != nil {
		return nil, unwrapRange(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, unwrapRange(err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s exceeds the limit of %d bytes", found.Name, limit)
	}
	return b, nil
}

// distInfoPrefix is the .dist-info directory a wheel file name implies, normalized: "foo_bar-1.0".
func distInfoPrefix(filename string) string {
	parts := strings.Split(strings.TrimSuffix(path.Base(filename), ".whl"), "-")
	if len(parts) < 2 {
		return ""
	}
	return strings.ToLower(parts[0] + "-" + parts[1])
}

func normalizeDistInfo(dir string) string {
	return strings.ToLower(strings.TrimSuffix(dir, ".dist-info"))
}

// centralDirectory finds the end-of-central-directory record in the tail of a zip (the tail starts at
// offset start) and returns where the central directory starts. ok is false for what it cannot read
// simply (ZIP64, no record, nonsense); archive/zip then finds its way with ordinary reads.
func centralDirectory(tail []byte, start int64) (off int64, ok bool) {
	const eocdLen = 22
	for i := len(tail) - eocdLen; i >= 0 && len(tail)-i <= eocdLen+0xffff; i-- {
		if binary.LittleEndian.Uint32(tail[i:]) != 0x06054b50 {
			continue
		}
		n := int64(binary.LittleEndian.Uint32(tail[i+12:]))
		off = int64(binary.LittleEndian.Uint32(tail[i+16:]))
		if n == 0xffffffff || off == 0xffffffff || off+n > start+int64(i) {
			return 0, false
		}
		return off, true
	}
	return 0, false
}

// rangeReader is an io.ReaderAt over a remote file, fetching what is read with range requests and
// keeping every piece fetched.
type rangeReader struct {
	c        *Client
	u        *url.URL
	ctx      context.Context
	size     int64
	requests int

	mu     sync.Mutex
	chunks []chunk // sorted by offset, not overlapping
}

type chunk struct {
	off  int64
	data []byte
}

// rangeError carries a fetch failure through archive/zip, which would otherwise report a format error.
type rangeError struct{ err error }

func (e *rangeError) Error() string { return e.err.Error() }
func (e *rangeError) Unwrap() error { return e.err }

func unwrapRange(err error) error {
	var re *rangeError
	if errors.As(err, &re) {
		return re.err
	}
	return err
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := int64(len(p))
	if off+want > r.size {
		want = r.size - off
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for int64(n) < want {
		pos := off + int64(n)
		c := r.chunkAt(pos)
		if c == nil {
			// Fetch at least a block, but only up to the next piece already here.
			end := min(r.size, pos+max(want-int64(n), rangeBlock))
			if next := r.nextChunk(pos); next != nil && next.off < end {
				end = next.off
			}
			if err := r.fetchLocked(pos, end-pos); err != nil {
				return n, &rangeError{err}
			}
			continue
		}
		n += copy(p[n:want], c.data[pos-c.off:])
	}
	if int64(n) < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

func (r *rangeReader) chunkAt(pos int64) *chunk {
	i := sort.Search(len(r.chunks), func(i int) bool { return r.chunks[i].off+int64(len(r.chunks[i].data)) > pos })
	if i < len(r.chunks) && r.chunks[i].off <= pos {
		return &r.chunks[i]
	}
	return nil
}

func (r *rangeReader) nextChunk(pos int64) *chunk {
	i := sort.Search(len(r.chunks), func(i int) bool { return r.chunks[i].off > pos })
	if i < len(r.chunks) {
		return &r.chunks[i]
	}
	return nil
}

func (r *rangeReader) fetch(off, n int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetchLocked(off, n)
}

// fetchTail asks for the last rangeTail bytes, which also tells the file's size.
func (r *rangeReader) fetchTail() error {
	b, start, total, err := r.get("bytes=-"+strconv.Itoa(rangeTail), -1)
	if err != nil {
		return err
	}
	r.size = total
	r.chunks = []chunk{{start, b}}
	return nil
}

func (r *rangeReader) fetchLocked(off, n int64) error {
	if r.requests >= maxRangeRequests {
		return fmt.Errorf("%w: more than %d requests needed", ErrNoRange, maxRangeRequests)
	}
	b, start, _, err := r.get(fmt.Sprintf("bytes=%d-%d", off, off+n-1), r.size)
	if err != nil {
		return err
	}
	if start != off || int64(len(b)) != n {
		return fmt.Errorf("%w: asked for %d bytes at %d, got %d at %d", ErrNoRange, n, off, len(b), start)
	}
	i := sort.Search(len(r.chunks), func(i int) bool { return r.chunks[i].off > off })
	r.chunks = append(r.chunks, chunk{})
	copy(r.chunks[i+1:], r.chunks[i:])
	r.chunks[i] = chunk{off, b}
	return nil
}

// get performs one range request and returns the bytes, where they start and the file's size. One
// attempt only: on any failure the caller downloads the file, with retries.
func (r *rangeReader) get(rng string, size int64) ([]byte, int64, int64, error) {
	r.requests++
	ctx, cancel := context.WithTimeout(r.ctx, r.c.stallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.u.String(), nil)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("building request for %s: %w", Redact(r.u.String()), err)
	}
	req.Header.Set("User-Agent", r.c.userAgent)
	req.Header.Set("Range", rng)
	hc := r.c.http
	if r.u.Scheme == "file" {
		hc = r.c.files
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, 0, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
	case http.StatusOK:
		// The whole file: fine when it is no bigger than what was asked for, else do not read it.
		if resp.ContentLength >= 0 && resp.ContentLength <= rangeTail && size < 0 {
			b, err := io.ReadAll(io.LimitReader(resp.Body, rangeTail+1))
			if err == nil && int64(len(b)) <= rangeTail {
				return b, 0, int64(len(b)), nil
			}
		}
		return nil, 0, 0, ErrNoRange
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, 0, 0, &HTTPError{URL: Redact(r.u.String()), StatusCode: resp.StatusCode}
	}
	start, end, total, err := parseContentRange(resp.Header.Get("Content-Range"))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %v", ErrNoRange, err)
	}
	if size >= 0 && total >= 0 && total != size {
		return nil, 0, 0, fmt.Errorf("the file changed size between requests (%d, then %d bytes)", size, total)
	}
	if total < 0 {
		total = size
	}
	if total < 0 || end >= total {
		return nil, 0, 0, fmt.Errorf("%w: Content-Range %q gives no usable size", ErrNoRange, resp.Header.Get("Content-Range"))
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(resp.Body, end-start+2)); err != nil {
		return nil, 0, 0, fmt.Errorf("reading range: %w", err)
	}
	if int64(buf.Len()) != end-start+1 {
		return nil, 0, 0, fmt.Errorf("range %d-%d: got %d bytes", start, end, buf.Len())
	}
	return buf.Bytes(), start, total, nil
}

// parseContentRange reads "bytes 100-199/1000" (total -1 for "*").
func parseContentRange(s string) (start, end, total int64, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !ok {
		return 0, 0, 0, fmt.Errorf("Content-Range %q", s)
	}
	span, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, 0, fmt.Errorf("Content-Range %q", s)
	}
	a, b, ok := strings.Cut(span, "-")
	if !ok {
		return 0, 0, 0, fmt.Errorf("Content-Range %q", s)
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil || start < 0 {
		return 0, 0, 0, fmt.Errorf("Content-Range %q", s)
	}
	if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
		return 0, 0, 0, fmt.Errorf("Content-Range %q", s)
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total < 0 {
			return 0, 0, 0, fmt.Errorf("Content-Range %q", s)
		}
	}
	return start, end, total, nil
}
