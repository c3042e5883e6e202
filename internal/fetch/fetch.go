package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/lambda-layers/lambda-layers/internal/index"
)

// Source is the index as the fetcher needs it; *index.Client is one.
type Source interface {
	// Download streams one file into dst.
	Download(ctx context.Context, f index.File, dst io.WriteSeeker) (int64, error)
	// Metadata returns the PEP 658 metadata of f, or index.ErrNoMetadata.
	Metadata(ctx context.Context, f index.File) ([]byte, error)
}

var _ Source = (*index.Client)(nil)

// Request is one wheel to have in the cache.
type Request struct {
	Package string     // "numpy 2.1.0", for messages
	File    index.File // from the index; its sha256 (when given) is checked
	// Hashes are the user's --hash values ("sha256:<hex>"); when any is given, one must match.
	Hashes []string
	// Origin is where the hashes came from ("requirements.txt:3"), for messages.
	Origin string
}

// HashMismatchError says a download did not match what the index or the user promised.
type HashMismatchError struct {
	Package, Filename, Origin string
	Want                      []string
	Got                       string
}

func (e *HashMismatchError) Error() string {
	where := "the index"
	if e.Origin != "" {
		where = e.Origin
	}
	return fmt.Sprintf("%s (%s): hash mismatch: %s expects %s, the file has %s; if the package was re-published, update the hash, otherwise do not trust this index",
		e.Package, e.Filename, where, strings.Join(e.Want, " or "), e.Got)
}

// Fetcher fills the cache.
type Fetcher struct {
	Cache  *Cache
	Source Source
	// Concurrency bounds parallel downloads; 0 means 8.
	Concurrency int
	// Downloaded counts the files actually downloaded (cache misses), for reports and tests.
	Downloaded atomic.Int64
	// FromCache counts the distinct wheels found already in the cache.
	FromCache atomic.Int64
	// OnProgress, when set, is called after each wheel with done/total counts.
	OnProgress func(done, total int, name string)
	// Check, when set, runs on each wheel as soon as it is in the cache (path, its sha256), in the
	// same bounded worker, so checking one wheel overlaps downloading the next.
	Check func(ctx context.Context, r Request, path, sha string) error

	// Fetch may be called concurrently (one call per target): these make the calls share one bound and
	// download a wheel wanted by several of them once.
	once       sync.Once
	sem        chan struct{}
	mu         sync.Mutex
	inflight   map[string]chan struct{} // by index sha256: closed when its download ends
	seen       map[string]bool          // shas counted in FromCache
	spec       *speculation             // speculate.go
	downloaded map[string]bool          // shas this Fetcher downloaded
	hashed     map[string]bool          // cached shas this Fetcher found intact
}

// Fetch makes every requested wheel present in the cache and returns their paths in request order.
// Concurrent calls share the Concurrency bound, and a wheel two of them want is downloaded once.
func (f *Fetcher) Fetch(ctx context.Context, reqs []Request) ([]string, error) {
	paths := make([]string, len(reqs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(f.limit())
	var done atomic.Int64
	for i, r := range reqs {
		g.Go(func() error {
			p, err := f.one(ctx, r)
			if err != nil {
				return err
			}
			if f.Check != nil {
				sha := strings.TrimSuffix(p[strings.LastIndexAny(p, `/\`)+1:], ".whl")
				if err := f.Check(ctx, r, p, sha); err != nil {
					return err
				}
			}
			paths[i] = p
			if f.OnProgress != nil {
				f.OnProgress(int(done.Add(1)), len(reqs), r.File.Filename)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return paths, nil
}

func (f *Fetcher) limit() int {
	if f.Concurrency <= 0 {
		return 8
	}
	return f.Concurrency
}

// claim makes this caller the one to download sha, or returns a channel closed when the caller that
// is downloading it is done; release ends a claim.
func (f *Fetcher) claim(sha string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.inflight[sha]; ok {
		return ch
	}
	if f.inflight == nil {
		f.inflight = map[string]chan struct{}{}
	}
	f.inflight[sha] = make(chan struct{})
	return nil
}

func (f *Fetcher) release(sha string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.inflight[sha])
	delete(f.inflight, sha)
}

// DownloadedHere says whether this Fetcher downloaded the wheel (a speculation included), as opposed to
// finding it in the cache: a wheel downloaded while the resolution ran is in the cache when the Fetch
// that installs it starts, but did not come from an earlier build.
func (f *Fetcher) DownloadedHere(sha string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.downloaded[strings.ToLower(sha)]
}

// see records that sha was used, and says whether it was the first time: a wheel counts once, as
// downloaded or as found in the cache.
func (f *Fetcher) see(sha string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	first := !f.seen[sha]
	f.seen[sha] = true
	return first
}

// cached returns the cached wheel's path once every hash the request pins is checked; ok is false
// when the wheel is not cached.
func (f *Fetcher) cached(r Request, sha string) (path string, ok bool, err error) {
	if !f.Cache.HasWheel(sha) {
		return "", false, nil
	}
	if !f.intact(sha) {
		os.Remove(f.Cache.WheelPath(sha)) // damaged: downloaded again under the same name
		return "", false, nil
	}
	if err := f.checkCachedOtherHashes(r, sha); err != nil {
		return "", false, err
	}
	if f.see(sha) {
		f.FromCache.Add(1)
	}
	return f.Cache.WheelPath(sha), true, nil
}

func (f *Fetcher) one(ctx context.Context, r Request) (string, error) {
	indexSHA := strings.ToLower(r.File.Hashes["sha256"])
	if indexSHA != "" {
		if err := checkUserHashes(r, "sha256", indexSHA); err != nil {
			return "", err
		}
		for {
			if p, ok, err := f.cached(r, indexSHA); ok || err != nil {
				return p, err
			}
			wait := f.claim(indexSHA)
			if wait == nil {
				break
			}
			select { // another call is downloading it: take its result, or try again if it failed
			case <-wait:
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		defer f.release(indexSHA)
		if p, ok, err := f.cached(r, indexSHA); ok || err != nil { // it arrived between the check and the claim
			return p, err
		}
	}
	f.once.Do(func() { f.sem = make(chan struct{}, f.limit()) })
	select {
	case f.sem <- struct{}{}:
		defer func() { <-f.sem }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	tmp, unnamed, err := f.Cache.createUnnamed(f.Cache.wheelDir())
	if !unnamed && err == nil {
		tmp, err = f.Cache.tempFile(f.Cache.wheelDir(), ".dl-*")
	}
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", r.File.Filename, err)
	}
	if !unnamed {
		defer os.Remove(tmp.Name())
	}
	defer tmp.Close()
	hf := newHashingFile(tmp, algorithms(r))
	if _, err := f.Source.Download(ctx, r.File, hf); err != nil {
		return "", fmt.Errorf("downloading %s (%s): %w", r.Package, r.File.Filename, err)
	}
	f.Downloaded.Add(1) // counted even if its hash then fails: the bytes came over the network
	sums, ok := hf.sums()
	if !ok {
		if sums, err = hashFile(tmp, algorithms(r)); err != nil {
			return "", fmt.Errorf("hashing %s: %w", r.File.Filename, err)
		}
	}
	got := sums["sha256"]
	if indexSHA != "" && got != indexSHA {
		return "", &HashMismatchError{Package: r.Package, Filename: r.File.Filename, Want: []string{"sha256:" + indexSHA}, Got: "sha256:" + got}
	}
	if err := checkUserHashesAll(r, sums); err != nil {
		return "", err
	}
	dst := f.Cache.WheelPath(got)
	if unnamed {
		if err := f.Cache.linkUnnamed(tmp, dst); err != nil {
			return "", fmt.Errorf("caching %s: %w", r.File.Filename, err)
		}
	} else {
		if err := tmp.Close(); err != nil {
			return "", fmt.Errorf("writing %s: %w", r.File.Filename, err)
		}
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return "", fmt.Errorf("caching %s: %w", r.File.Filename, err)
		}
	}
	f.see(got)
	f.mu.Lock()
	if f.downloaded == nil {
		f.downloaded = map[string]bool{}
	}
	f.downloaded[got] = true
	f.mu.Unlock()
	return dst, nil
}

// intact says whether a cached wheel this Fetcher did not download may be used: the cache verified it as
// it is now, or its bytes hash to its name (read once per Fetcher).
func (f *Fetcher) intact(sha string) bool {
	f.mu.Lock()
	known := f.downloaded[sha] || f.hashed[sha]
	f.mu.Unlock()
	if known {
		return true
	}
	ok, err := f.Cache.Intact(sha)
	if err != nil || !ok {
		return false
	}
	f.mu.Lock()
	if f.hashed == nil {
		f.hashed = map[string]bool{}
	}
	f.hashed[sha] = true
	f.mu.Unlock()
	return true
}

// algorithms are the hash algorithms needed: sha256 always, plus any the user pinned.
func algorithms(r Request) []string {
	algs := []string{"sha256"}
	for _, h := range r.Hashes {
		alg, _, _ := strings.Cut(h, ":")
		if alg != "sha256" && (alg == "sha384" || alg == "sha512") {
			algs = append(algs, alg)
		}
	}
	return algs
}

func newHash(alg string) hash.Hash {
	switch alg {
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	}
	return sha256.New()
}

func hashFile(f *os.File, algs []string) (map[string]string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	hs := map[string]hash.Hash{}
	var ws []io.Writer
	for _, a := range algs {
		h := newHash(a)
		hs[a] = h
		ws = append(ws, h)
	}
	if _, err := io.Copy(io.MultiWriter(ws...), f); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for a, h := range hs {
		out[a] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}

// checkUserHashes fails early when the user pinned hashes of alg and none equals sum.
// Hashes of other algorithms are checked after download.
func checkUserHashes(r Request, alg, sum string) error {
	var want []string
	for _, h := range r.Hashes {
		a, v, _ := strings.Cut(h, ":")
		if a == alg {
			if strings.EqualFold(v, sum) {
				return nil
			}
			want = append(want, h)
		}
	}
	if len(want) == 0 {
		return nil
	}
	if hasOtherAlg(r.Hashes, alg) {
		return nil // another algorithm may match; decided after download
	}
	return &HashMismatchError{Package: r.Package, Filename: r.File.Filename, Origin: r.Origin, Want: want, Got: alg + ":" + sum}
}

func hasOtherAlg(hashes []string, alg string) bool {
	for _, h := range hashes {
		if a, _, _ := strings.Cut(h, ":"); a != alg {
			return true
		}
	}
	return false
}

func checkUserHashesAll(r Request, sums map[string]string) error {
	if len(r.Hashes) == 0 {
		return nil
	}
	for _, h := range r.Hashes {
		a, v, _ := strings.Cut(h, ":")
		if s, ok := sums[a]; ok && strings.EqualFold(s, v) {
			return nil
		}
	}
	return &HashMismatchError{Package: r.Package, Filename: r.File.Filename, Origin: r.Origin, Want: r.Hashes, Got: "sha256:" + sums["sha256"]}
}

func (f *Fetcher) checkCachedOtherHashes(r Request, sha string) error {
	if len(r.Hashes) == 0 || !hasOtherAlg(r.Hashes, "sha256") {
		return nil
	}
	for _, h := range r.Hashes {
		if a, v, _ := strings.Cut(h, ":"); a == "sha256" && strings.EqualFold(v, sha) {
			return nil
		}
	}
	file, err := os.Open(f.Cache.WheelPath(sha))
	if err != nil {
		return fmt.Errorf("reading cached %s: %w", r.File.Filename, err)
	}
	defer file.Close()
	sums, err := hashFile(file, algorithms(r))
	if err != nil {
		return fmt.Errorf("hashing cached %s: %w", r.File.Filename, err)
	}
	return checkUserHashesAll(r, sums)
}

// hashingFile hashes what is written to a file as it is written, so a download is not read back. A
// retry seeks back to 0, which restarts the hashes; any other seek makes them unusable.
type hashingFile struct {
	file  *os.File // not embedded: its ReadFrom would bypass Write
	algs  []string
	hs    map[string]hash.Hash
	valid bool
}

func newHashingFile(f *os.File, algs []string) *hashingFile {
	h := &hashingFile{file: f, algs: algs}
	h.reset()
	return h
}

func (h *hashingFile) reset() {
	h.hs = map[string]hash.Hash{}
	for _, a := range h.algs {
		h.hs[a] = newHash(a)
	}
	h.valid = true
}

func (h *hashingFile) Write(p []byte) (int, error) {
	n, err := h.file.Write(p)
	for _, x := range h.hs {
		x.Write(p[:n])
	}
	return n, err
}

func (h *hashingFile) Seek(off int64, whence int) (int64, error) {
	pos, err := h.file.Seek(off, whence)
	switch {
	case err != nil:
		h.valid = false
	case pos == 0:
		h.reset()
	case whence != io.SeekCurrent || off != 0:
		h.valid = false
	}
	return pos, err
}

func (h *hashingFile) Truncate(size int64) error { return h.file.Truncate(size) }

func (h *hashingFile) sums() (map[string]string, bool) {
	if !h.valid {
		return nil, false
	}
	out := map[string]string{}
	for a, x := range h.hs {
		out[a] = hex.EncodeToString(x.Sum(nil))
	}
	return out, true
}
