package fetch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// rangeSource is a Source that can read a wheel's METADATA with HTTP range requests (*index.Client).
type rangeSource interface {
	RangeMetadata(ctx context.Context, f index.File) ([]byte, error)
}

var _ rangeSource = (*index.Client)(nil)

// Metadata returns the core metadata of the wheel f, cheapest first: the cache (when the index gives
// the wheel's sha256), the index's PEP 658 file, the METADATA entry read by HTTP range requests (for a
// wheel of unknown size or of 512 KiB and more), and last the whole wheel, which then stays in the cache
// so that the build that follows does not download it again. What was read is cached by the wheel's
// sha256. Under Speculate it also starts downloading the wheel.
func (f *Fetcher) Metadata(ctx context.Context, file index.File) ([]byte, error) {
	f.speculate(file)
	sha := strings.ToLower(file.Hashes["sha256"])
	if sha != "" {
		if b, ok := f.Cache.Metadata(sha); ok {
			return b, nil
		}
	}
	b, err := f.Source.Metadata(ctx, file)
	if errors.Is(err, index.ErrNoMetadata) {
		b, err = nil, nil
		if rs, ok := f.Source.(rangeSource); ok && worthRanges(file) && (sha == "" || !f.Cache.HasWheel(sha)) {
			// Any failure here (no range support, an odd zip) leaves the download to decide.
			b, _ = rs.RangeMetadata(ctx, file)
		}
		if b == nil {
			b, sha, err = f.metadataFromWheel(ctx, file)
		}
	}
	if err != nil {
		return nil, err
	}
	if sha != "" {
		if err := f.Cache.PutMetadata(sha, b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// wholeBelow is the size under which a wheel is downloaded whole for its metadata: one request instead
// of two or three ranges, and the build that follows may need the wheel anyway.
const wholeBelow = 512 << 10

// worthRanges says whether reading METADATA by ranges beats downloading the wheel: for big wheels, or
// when the index does not say the size.
func worthRanges(f index.File) bool { return f.Size <= 0 || f.Size >= wholeBelow }

func (f *Fetcher) metadataFromWheel(ctx context.Context, file index.File) ([]byte, string, error) {
	paths, err := f.Fetch(ctx, []Request{{Package: file.Filename, File: file}})
	if err != nil {
		return nil, "", err
	}
	path := paths[0]
	w, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", file.Filename, err)
	}
	defer w.Close()
	st, err := w.Stat()
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", file.Filename, err)
	}
	a, err := wheel.Open(w, st.Size(), file.Filename, wheel.Limits{})
	if err != nil {
		return nil, "", err
	}
	b, err := a.Metadata()
	if err != nil {
		return nil, "", err
	}
	sha := strings.TrimSuffix(path[strings.LastIndexAny(path, `/\`)+1:], ".whl")
	return b, sha, nil
}
