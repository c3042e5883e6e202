package oci

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/lambda-layers/lambda-layers/internal/outfile"
)

// refName is the annotation an OCI image layout's index.json names its entries with.
const refName = "org.opencontainers.image.ref.name"

// WriteLayout writes the sets to an OCI image layout at dir (created; an existing index.json is
// replaced, blobs already there are kept). index.json lists every image and index once per tag, named
// with org.opencontainers.image.ref.name, so `crane push DIR…` or skopeo can take any of them. Its files
// are 0644 and its folders 0755 whatever the umask, like every output, so a later workflow step running as
// another user can read it.
func WriteLayout(dir string, sets []*Set) error {
	if err := outfile.MkdirAll(dir); err != nil {
		return fmt.Errorf("creating OCI layout %s: %w", dir, err)
	}
	if err := writeLayout(dir, sets); err != nil {
		return err
	}
	// go-containerregistry writes index.json and oci-layout with 0777 less the umask, and streamed blobs
	// through a 0600 temporary file.
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := outfile.FileMode
		if d.IsDir() {
			mode = outfile.DirMode
		}
		if err := os.Chmod(path, mode); err != nil {
			return fmt.Errorf("writing OCI layout %s: %w", dir, err)
		}
		return nil
	})
}

func writeLayout(dir string, sets []*Set) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("creating OCI layout %s: %w", dir, err)
	}
	for _, s := range sets {
		for _, img := range s.Images {
			m, i := img.Tags()
			for _, tag := range []string{m, i} {
				if err := p.AppendImage(img.Image, layout.WithAnnotations(map[string]string{refName: tag})); err != nil {
					return fmt.Errorf("writing %s to %s: %w", tag, dir, err)
				}
			}
		}
		if s.Partial {
			continue
		}
		for _, tag := range []string{s.Tag, s.HashTag} {
			var err error
			if s.Index != nil {
				err = p.AppendIndex(s.Index, layout.WithAnnotations(map[string]string{refName: tag}))
			} else {
				err = p.AppendImage(s.Images[0].Image, layout.WithAnnotations(map[string]string{refName: tag}))
			}
			if err != nil {
				return fmt.Errorf("writing %s to %s: %w", tag, dir, err)
			}
		}
	}
	return nil
}
