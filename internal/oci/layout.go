package oci

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// refName is the annotation an OCI image layout's index.json names its entries with.
const refName = "org.opencontainers.image.ref.name"

// WriteLayout writes the sets to an OCI image layout at dir (created; an existing index.json is
// replaced, blobs already there are kept). index.json lists every image and index once per tag, named
// with org.opencontainers.image.ref.name, so `crane push DIR…` or skopeo can take any of them.
func WriteLayout(dir string, sets []*Set) error {
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
