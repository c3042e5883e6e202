package index

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

const acceptSimple = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

func (c *Client) fetchProject(ctx context.Context, name string) (Project, error) {
	type result struct {
		files []File
		found bool
		err   error
	}
	results := make([]result, len(c.indexes))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, base := range c.indexes {
		wg.Go(func() {
			files, found, err := c.fetchPage(ctx, base, name)
			if err != nil {
				err = fmt.Errorf("fetching project %q from %s: %w", name, Redact(base.String()), err)
				cancel() // one failing index fails the lookup; stop the others
			}
			results[i] = result{files, found, err}
		})
	}
	wg.Wait()

	p := Project{Name: name}
	found := false
	// The first error in index order, not in time order, so that the message is the same every run; an
	// error caused by our own cancel() is never first because its cause comes earlier or later.
	var firstErr error
	for _, r := range results {
		if r.err != nil && firstErr == nil && !(errors.Is(r.err, context.Canceled) && ctx.Err() != nil) {
			firstErr = r.err
		}
		found = found || r.found
		p.Files = append(p.Files, r.files...)
	}
	if firstErr == nil {
		for _, r := range results { // only cancellations: report one of them
			if r.err != nil {
				firstErr = r.err
				break
			}
		}
	}
	if firstErr != nil {
		return Project{}, firstErr
	}
	if !found {
		return Project{}, &NotFoundError{Name: name, Indexes: c.Indexes()}
	}
	return p, nil
}

// fetchPage reads one index's page for name; found is false on 404/410.
func (c *Client) fetchPage(ctx context.Context, base *url.URL, name string) ([]File, bool, error) {
	u := base.ResolveReference(&url.URL{Path: name + "/"})
	var p parsed
	err := c.get(cacheable(ctx), u, acceptSimple, func(resp *http.Response) error {
		data, err := readCapped(resp, u, c.maxPage)
		if err != nil {
			return err
		}
		// Relative URLs resolve against where the page really came from, after redirects.
		pageURL := u
		if resp.Request != nil && resp.Request.URL != nil {
			pageURL = resp.Request.URL
		}
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		mt = strings.ToLower(mt)
		switch {
		case mt == "application/vnd.pypi.simple.v1+json" || mt == "application/vnd.pypi.simple.latest+json":
			p, err = parseJSON(pageURL, data)
		case strings.HasPrefix(mt, "application/vnd.pypi.simple.") &&
			mt != "application/vnd.pypi.simple.v1+html" && mt != "application/vnd.pypi.simple.latest+html":
			err = fmt.Errorf("%w %q", errUnsupportedType, mt)
		default:
			// PEP 503 pages come from all kinds of static servers, labelled text/html or not.
			p, err = parseHTML(pageURL, data)
		}
		return err
	})
	if err != nil {
		var herr *HTTPError
		if errors.As(err, &herr) && (herr.StatusCode == http.StatusNotFound || herr.StatusCode == http.StatusGone) {
			return nil, false, nil
		}
		return nil, false, err
	}
	idx := Redact(base.String())
	for i := range p.files {
		p.files[i].Index = idx
	}
	for _, cu := range p.creds {
		c.creds.add(cu, cu.User, false)
	}
	return p.files, true, nil
}

// Metadata returns the PEP 658 core-metadata file of f, verified against f.MetadataHashes. It returns an
// error wrapping ErrNoMetadata when the index offers no such file (or advertises one it does not serve).
// Results are cached for the client's lifetime, and in the HTTP cache when the index gives no sha256 of
// the wheel: with one, the caller keeps the metadata by the wheel's content (internal/fetch does), and a
// second copy would only cost a file per wheel on a cold build.
func (c *Client) Metadata(ctx context.Context, f File) ([]byte, error) {
	if f.MetadataURL == "" {
		return nil, fmt.Errorf("fetching metadata of %s: %w", f.Filename, ErrNoMetadata)
	}
	u, err := url.Parse(f.MetadataURL)
	if err != nil {
		return nil, fmt.Errorf("fetching metadata of %s: parsing URL %s: %w", f.Filename, Redact(f.MetadataURL), err)
	}
	if err := checkSource(f, u); err != nil {
		return nil, fmt.Errorf("fetching metadata of %s: %w", f.Filename, err)
	}
	data, err := c.metadata.do(ctx, f.MetadataURL, func(ctx context.Context) ([]byte, error) {
		var data []byte
		mctx := ctx
		if f.Hashes["sha256"] == "" {
			mctx = cacheable(ctx)
		}
		err := c.get(mctx, u, "", func(resp *http.Response) error {
			var err error
			data, err = readCapped(resp, u, c.maxPage)
			return err
		})
		return data, err
	})
	if err != nil {
		var herr *HTTPError
		if errors.As(err, &herr) && (herr.StatusCode == http.StatusNotFound || herr.StatusCode == http.StatusGone) {
			return nil, fmt.Errorf("fetching metadata of %s: %w: %w", f.Filename, ErrNoMetadata, err)
		}
		return nil, fmt.Errorf("fetching metadata of %s: %w", f.Filename, err)
	}
	if err := verify(data, f.MetadataHashes); err != nil {
		return nil, fmt.Errorf("fetching metadata of %s from %s: %w", f.Filename, Redact(f.MetadataURL), err)
	}
	return data, nil
}

var hashFuncs = map[string]func() hash.Hash{
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
	"sha224": sha256.New224,
	"sha1":   sha1.New,
	"md5":    md5.New,
}

// verify checks data against every hash in want we can compute. Hashes we cannot compute (blake2b) are
// skipped: the index chose them, and refusing would make the metadata unusable.
func verify(data []byte, want map[string]string) error {
	for name, hexWant := range want {
		newHash, ok := hashFuncs[name]
		if !ok {
			continue
		}
		h := newHash()
		h.Write(data)
		if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(hexWant) {
			return fmt.Errorf("%w: %s is %s, index says %s", ErrHashMismatch, name, got, hexWant)
		}
	}
	return nil
}

// checkSource refuses to read a URL the file's origin may not point at: a file listed by a remote index
// must be on http or https (the page parser refuses such links already; this holds for Files built
// elsewhere too). Files with no index (a direct URL from the user's own requirements) may be local.
func checkSource(f File, u *url.URL) error {
	switch u.Scheme {
	case "http", "https":
		return nil
	case "file":
		if f.Index == "" || strings.HasPrefix(f.Index, "file:") {
			return nil
		}
	}
	return fmt.Errorf("%w: %s URL listed by %s; only a local index may list local files, and only http and https are fetched", ErrUnsafeLink, u.Scheme, f.Index)
}

// truncater is what *os.File offers to undo a partial download before a retry.
type truncater interface {
	Truncate(size int64) error
}

// maxDownloadBytes bounds a download whose size the index does not give: 4 GiB, beyond any wheel (a
// layer holds 250 MB unzipped; the largest CUDA wheels are about 3 GB).
var maxDownloadBytes int64 = 4 << 30

type tooLargeError struct {
	limit     int64
	indexSize bool
}

func (e *tooLargeError) Error() string {
	if e.indexSize {
		return fmt.Sprintf("the server sent more than the %d bytes the index says", e.limit)
	}
	return fmt.Sprintf("the server sent more than %d bytes, more than any wheel", e.limit)
}

// Download writes f's content to dst, from dst's current offset, and returns the number of bytes written.
// A failure worth retrying restarts the transfer from that offset, truncating dst there when it can (an
// *os.File can). Hashes are not checked here: the caller checks them while writing to its cache.
func (c *Client) Download(ctx context.Context, f File, dst io.WriteSeeker) (int64, error) {
	u, err := url.Parse(f.URL)
	if err != nil {
		return 0, fmt.Errorf("downloading %s: parsing URL %s: %w", f.Filename, Redact(f.URL), err)
	}
	if err := checkSource(f, u); err != nil {
		return 0, fmt.Errorf("downloading %s: %w", f.Filename, err)
	}
	start, err := dst.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, fmt.Errorf("downloading %s: %w", f.Filename, err)
	}
	// A hostile index can stream a wheel without end (never stalling): stop at the size the index gave,
	// else at maxDownloadBytes, before the disk fills.
	limit := maxDownloadBytes
	if f.Size > 0 {
		limit = f.Size
	}
	var n, high int64
	err = c.get(ctx, u, "", func(resp *http.Response) error {
		if high > 0 { // an earlier attempt wrote something: start over
			if _, err := dst.Seek(start, io.SeekStart); err != nil {
				return err
			}
			if t, ok := dst.(truncater); ok {
				if err := t.Truncate(start); err != nil {
					return err
				}
				high = 0
			}
		}
		var err error
		n, err = io.Copy(dst, io.LimitReader(resp.Body, limit+1))
		high = max(high, n)
		if err == nil && n > limit {
			err = &tooLargeError{limit: limit, indexSize: f.Size > 0} // not retried
		}
		return err
	})
	if err != nil {
		return n, fmt.Errorf("downloading %s from %s: %w", f.Filename, Redact(f.URL), err)
	}
	if high > n {
		// dst could not be truncated and still holds the tail of a longer failed attempt.
		return n, fmt.Errorf("downloading %s: destination cannot be truncated after a retry", f.Filename)
	}
	if f.Size > 0 && n != f.Size {
		return n, fmt.Errorf("downloading %s from %s: got %d bytes, index says %d", f.Filename, Redact(f.URL), n, f.Size)
	}
	return n, nil
}
