package oci

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Set is one layer for one runtime: an image per architecture built and, when there are two, an index
// listing them.
//
// Tags: each image is tagged NAME-pythonX.Y-ARCH (moving) and NAME-pythonX.Y-ARCH-HASH (immutable, HASH =
// the first 12 hex characters of the zip's sha256, as in the Lambda layer version's description). The
// set's own tags, NAME-pythonX.Y and NAME-pythonX.Y-HASH, name the index, or the one image when only one
// architecture was built; an index's HASH is over its images' zips. So `NAME-pythonX.Y` is always what
// `COPY --from` wants, and the architecture tags let one pin a platform without a digest.
//
// A run that builds only some of a layer's architectures (a matrix leg, Layer.Partial) pushes only its
// images' tags: moving NAME-pythonX.Y to one architecture would break `COPY --from` on the other.
type Set struct {
	Name, Runtime string
	Images        []*Image // x86_64 first
	// Index lists Images; nil when there is only one.
	Index v1.ImageIndex
	// Tag and HashTag are the set's moving and immutable tags.
	Tag, HashTag string
	// Hash is the content hash behind HashTag (hex, 64 characters).
	Hash string
	// Partial is set when a layer was Partial: the set has only its images' tags, no Tag or HashTag
	// and no index.
	Partial bool
	meta    Meta
}

// Tags returns the image's moving and immutable tags.
func (img *Image) Tags() (moving, immutable string) {
	moving = img.Name + "-" + img.Runtime + "-" + img.Arch
	return moving, moving + "-" + img.ZipSHA256[:12]
}

// Build turns built layers into sets, one per layer name and runtime, sorted by name then runtime.
// Two layers for the same name, runtime and architecture are an error.
func Build(layers []Layer, m Meta) ([]*Set, error) {
	groups := map[[2]string][]Layer{}
	for _, l := range layers {
		k := [2]string{l.Name, l.Runtime}
		groups[k] = append(groups[k], l)
	}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	var sets []*Set
	for _, k := range keys {
		ls := groups[k]
		slices.SortFunc(ls, func(a, b Layer) int { return cmp.Compare(archOrder(a.Arch), archOrder(b.Arch)) })
		s := &Set{Name: k[0], Runtime: k[1], meta: m, Tag: k[0] + "-" + k[1]}
		for i, l := range ls {
			if i > 0 && ls[i-1].Arch == l.Arch {
				return nil, fmt.Errorf("layer %s %s %s is given twice", l.Name, l.Runtime, l.Arch)
			}
			img, err := NewImage(l, m)
			if err != nil {
				return nil, err
			}
			s.Images = append(s.Images, img)
		}
		for _, l := range ls {
			s.Partial = s.Partial || l.Partial
		}
		switch {
		case s.Partial:
			s.Tag = ""
		case len(s.Images) == 1:
			s.Hash = s.Images[0].ZipSHA256
		default:
			h := sha256.New()
			for _, img := range s.Images {
				fmt.Fprintf(h, "%s %s\n", img.Arch, img.ZipSHA256)
			}
			s.Hash = hex.EncodeToString(h.Sum(nil))
			children := make([]v1.Image, len(s.Images))
			for i, img := range s.Images {
				children[i] = img.Image
			}
			idx, err := s.index(children)
			if err != nil {
				return nil, err
			}
			s.Index = idx
		}
		if !s.Partial {
			s.HashTag = s.Tag + "-" + s.Hash[:12]
		}
		for _, t := range s.tags() {
			if !tagRe.MatchString(t) {
				return nil, fmt.Errorf("layer %s: %q is not a valid image tag (letters, digits, _ . -, at most 128 characters): shorten the layer name", s.Name, t)
			}
		}
		sets = append(sets, s)
	}
	return sets, nil
}

var tagRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func archOrder(a string) int {
	switch a {
	case "x86_64":
		return 0
	case "arm64":
		return 1
	}
	return 2
}

// tags are every tag the set puts in a registry.
func (s *Set) tags() []string {
	var t []string
	if !s.Partial {
		t = append(t, s.Tag, s.HashTag)
	}
	for _, img := range s.Images {
		m, i := img.Tags()
		t = append(t, m, i)
	}
	return t
}

// index builds the set's OCI image index over children (the set's images, or the copies a registry
// already holds), one per architecture in the set's order.
func (s *Set) index(children []v1.Image) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, c := range children {
		p := s.Images[i].Platform
		// plain hides a remote image's own descriptor, so the entry is the same whether the child was
		// built here or read from the registry.
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: plain{c}, Descriptor: v1.Descriptor{Platform: &p}})
	}
	anns := s.meta.annotations(s.Name, s.Runtime)
	anns["org.opencontainers.image.description"] = fmt.Sprintf("Lambda layer %s for %s, under /opt", s.Name, s.Runtime)
	anns[KeyContent] = s.Hash
	out, ok := mutate.Annotations(idx, anns).(v1.ImageIndex)
	if !ok {
		return nil, fmt.Errorf("annotating the index of %s %s", s.Name, s.Runtime)
	}
	return out, nil
}

// Digest is the digest of the set's top manifest: the index, or the only image.
func (s *Set) Digest() (v1.Hash, error) {
	if s.Index != nil {
		return s.Index.Digest()
	}
	return s.Images[0].Digest()
}

// plain is an image with only v1.Image's methods.
type plain struct{ v1.Image }
