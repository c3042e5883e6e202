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

// Metadata returns the core metadata of the wheel f: from the cache when its sha256 is known, else the
// index's PEP 658 file, else read from the wheel itself (which is then cached, so the build that follows
// does not download it again).
func (f *Fetcher) Metadata(ctx context.Context, file index.File) ([]byte, error) {
	sha := strings.ToLower(file.Hashes["sha256"])
	if sha != "" {
		if b, ok := f.Cache.Metadata(sha); ok {
			return b, nil
		}
	}
	b, err := f.Source.Metadata(ctx, file)
	switch {
	case err == nil:
	case errors.Is(err, index.ErrNoMetadata):
		b, sha, err = f.metadataFromWheel(ctx, file)
		if err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if sha != "" {
		if err := f.Cache.PutMetadata(sha, b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

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
