package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Options control Push. The zero value pushes with the Docker config's credentials over
// remote.DefaultTransport.
type Options struct {
	// Keychain finds credentials for a registry; default authn.DefaultKeychain (the Docker config and
	// its credential helpers).
	Keychain authn.Keychain
	// GitHubToken is used for ghcr.io when Keychain has nothing for it (the action's github-token).
	GitHubToken string
	// GitHubActor is the user name sent with GitHubToken; default "x-access-token" (ghcr.io checks
	// only the token).
	GitHubActor string
	// Transport is the HTTP transport; default remote.DefaultTransport.
	Transport http.RoundTripper
	// UserAgent is added to requests; default none.
	UserAgent string
}

// Pushed is one image or index in the registry after Push, or one that would be (Plan).
type Pushed struct {
	Layer   string `json:"layer"`
	Runtime string `json:"runtime"`
	// Arch is x86_64 or arm64 for an image, "index" for an image index.
	Arch string `json:"arch"`
	// Reference is the moving tag's reference (REGISTRY/NAME:TAG).
	Reference string `json:"reference"`
	// Digest is the manifest's digest in the registry: the one pushed, or the one already under the
	// immutable tag (see Unchanged).
	Digest string   `json:"digest"`
	Tags   []string `json:"tags"`
	// Unchanged is true when the registry already held this content under the immutable tag: nothing
	// was uploaded and that manifest was kept (its created time and revision are the first push's).
	Unchanged bool `json:"unchanged,omitempty"`
}

// AuthError is a registry's refusal (401 or 403) to let us read or write a repository.
type AuthError struct {
	Repository string
	Status     int
	Err        error
}

func (e *AuthError) Error() string {
	reg := registryOf(e.Repository)
	what := "push to it"
	if reg == "ghcr.io" {
		return fmt.Sprintf("%s refused access to %s (HTTP %d): the token cannot write this package. In a workflow, give the job `permissions: packages: write` "+
			"(and, if the package already exists and belongs to another repository, add this repository under the package's settings → Manage Actions access with the Write role); "+
			"elsewhere, use a token with the write:packages scope", reg, e.Repository, e.Status)
	}
	return fmt.Sprintf("%s refused access to %s (HTTP %d): give the credentials in use (docker login %s, or the credential helper in the Docker config) permission to %s", reg, e.Repository, e.Status, reg, what)
}

func (e *AuthError) Unwrap() error { return e.Err }

func registryOf(repo string) string {
	r, err := name.NewRepository(repo)
	if err != nil {
		return repo
	}
	return r.RegistryStr()
}

// Plan lists what Push would put in repo, without a registry: the digests are the ones built here.
func Plan(repo string, sets []*Set) ([]Pushed, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return nil, fmt.Errorf("parsing repository %q: %w", repo, err)
	}
	var out []Pushed
	for _, s := range sets {
		for _, img := range s.Images {
			d, err := img.Digest()
			if err != nil {
				return nil, err
			}
			m, i := img.Tags()
			out = append(out, pushed(r, s, img.Arch, d, m, i))
		}
		if s.Partial {
			continue
		}
		d, err := s.Digest()
		if err != nil {
			return nil, err
		}
		if s.Index != nil {
			out = append(out, pushed(r, s, "index", d, s.Tag, s.HashTag))
		} else {
			p := &out[len(out)-1]
			p.Reference = r.Tag(s.Tag).String()
			p.Tags = append([]string{s.Tag, s.HashTag}, p.Tags...)
		}
	}
	return out, nil
}

func pushed(r name.Repository, s *Set, arch string, d v1.Hash, moving, immutable string) Pushed {
	return Pushed{Layer: s.Name, Runtime: s.Runtime, Arch: arch, Reference: r.Tag(moving).String(), Digest: d.String(), Tags: []string{moving, immutable}}
}

// Push puts the sets in repo (REGISTRY/NAME). For each image, then each set's index:
//
//   - when the immutable tag exists, its manifest is kept and nothing is uploaded (same zip, same
//     content; a new commit does not make a new image);
//   - otherwise the blobs are uploaded (those the registry has are skipped), then the manifest is put
//     under the immutable tag;
//   - then the moving tag is pointed at that manifest, unless it already is.
//
// An index is put only after its images, and a tag only ever names a manifest whose blobs and children
// are already in the registry, so a failure at any point leaves no tag naming something missing. The
// result lists what is in the registry, in the order of Plan, up to the failure.
func Push(ctx context.Context, repo string, sets []*Set, o Options) ([]Pushed, error) {
	return push(ctx, repo, sets, o, false)
}

// DryRun asks the registry what a Push would do and writes nothing: each result is Unchanged when the
// registry already holds it under both tags, and a tag that names other content fails as Push would
// (*TagConflictError). When the registry cannot be asked (no network, no read access), it returns
// Plan's list, every image to push, and says why in the warning.
func DryRun(ctx context.Context, repo string, sets []*Set, o Options) (images []Pushed, warning string, err error) {
	if _, err := name.NewRepository(repo); err != nil {
		return nil, "", fmt.Errorf("parsing repository %q: %w", repo, err) // not something the plan can stand in for
	}
	images, err = push(ctx, repo, sets, o, true)
	if err == nil || errors.As(err, new(*TagConflictError)) {
		return images, "", err
	}
	// Only now: planning computes every image's digest, which compresses its layer.
	planned, perr := Plan(repo, sets)
	if perr != nil {
		return nil, "", perr
	}
	return planned, fmt.Sprintf("could not ask %s what it already holds (%v): every image is listed as to push", repo, err), nil
}

// TagConflictError: an immutable tag in the registry names other content than this build's.
type TagConflictError struct {
	Ref, Got, Want string
}

func (e *TagConflictError) Error() string {
	return fmt.Sprintf("%s already names other content (%s %q, this build's is %q): an immutable tag is never moved; "+
		"if that image is wrong, delete the tag from the registry and publish again", e.Ref, KeyContent, e.Got, e.Want)
}

func push(ctx context.Context, repo string, sets []*Set, o Options, dryRun bool) ([]Pushed, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return nil, fmt.Errorf("parsing repository %q: %w", repo, err)
	}
	ropts := o.remoteOptions(ctx)
	var out []Pushed
	for _, s := range sets {
		descs := make([]*remote.Descriptor, len(s.Images))
		for i, img := range s.Images {
			m, im := img.Tags()
			d, unchanged, err := put(r, m, im, img.ZipSHA256, func(ref name.Tag) error { return remote.Write(ref, img.Image, ropts...) }, ropts, dryRun, img.Digest)
			if err != nil {
				return out, err
			}
			descs[i] = d
			p := pushed(r, s, img.Arch, d.Digest, m, im)
			p.Unchanged = unchanged
			out = append(out, p)
		}
		if s.Partial {
			continue
		}
		if s.Index == nil {
			d, unchanged, err := put(r, s.Tag, s.HashTag, s.Hash, func(ref name.Tag) error { return remote.Tag(ref, descs[0], ropts...) }, ropts, dryRun, func() (v1.Hash, error) { return descs[0].Digest, nil })
			if err != nil {
				return out, err
			}
			p := &out[len(out)-1]
			p.Reference = r.Tag(s.Tag).String()
			p.Tags = append([]string{s.Tag, s.HashTag}, p.Tags...)
			p.Unchanged = p.Unchanged && unchanged && d.Digest == descs[0].Digest
			continue
		}
		d, unchanged, err := put(r, s.Tag, s.HashTag, s.Hash, func(ref name.Tag) error {
			// The index lists the images as the registry holds them, which are the ones built here
			// unless an earlier push of the same zips is kept.
			children := make([]v1.Image, len(descs))
			for i, d := range descs {
				img, err := d.Image()
				if err != nil {
					return err
				}
				children[i] = img
			}
			idx, err := s.index(children)
			if err != nil {
				return err
			}
			return remote.WriteIndex(ref, idx, ropts...)
		}, ropts, dryRun, s.Digest)
		if err != nil {
			return out, err
		}
		p := pushed(r, s, "index", d.Digest, s.Tag, s.HashTag)
		p.Unchanged = unchanged
		out = append(out, p)
	}
	return out, nil
}

// put makes sure the immutable tag exists (calling write to create it) and that the moving tag names the
// same manifest, and returns that manifest's descriptor and whether the immutable tag was there before.
// A manifest found under the immutable tag must carry content as its KeyContent annotation: a tag that
// names something else is refused, never moved.
//
// With dryRun nothing is written: a missing immutable tag returns local() (the digest this build would
// push; computing it compresses the layer, so only then) as not unchanged, and a moving tag that names
// something else returns not unchanged.
func put(r name.Repository, moving, immutable, content string, write func(name.Tag) error, ropts []remote.Option, dryRun bool, local func() (v1.Hash, error)) (*remote.Descriptor, bool, error) {
	imRef, mvRef := r.Tag(immutable), r.Tag(moving)
	unchanged := true
	if _, err := remote.Head(imRef, ropts...); err != nil {
		if !notFound(err) {
			return nil, false, classify(r, fmt.Errorf("looking up %s: %w", imRef, err))
		}
		unchanged = false
		if dryRun {
			d, err := local()
			if err != nil {
				return nil, false, err
			}
			return &remote.Descriptor{Descriptor: v1.Descriptor{Digest: d}}, false, nil
		}
		if err := write(imRef); err != nil {
			return nil, false, classify(r, fmt.Errorf("pushing %s: %w", imRef, err))
		}
	}
	d, err := remote.Get(imRef, ropts...)
	if err != nil {
		return nil, false, classify(r, fmt.Errorf("reading back %s: %w", imRef, err))
	}
	var m struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(d.Manifest, &m); err != nil || m.Annotations[KeyContent] != content {
		return nil, false, &TagConflictError{Ref: imRef.String(), Got: m.Annotations[KeyContent], Want: content}
	}
	cur, err := remote.Head(mvRef, ropts...)
	switch {
	case err == nil && cur.Digest == d.Digest:
		return d, unchanged, nil
	case err != nil && !notFound(err):
		return nil, false, classify(r, fmt.Errorf("looking up %s: %w", mvRef, err))
	case dryRun:
		return d, false, nil
	}
	if err := remote.Tag(mvRef, d, ropts...); err != nil {
		return nil, false, classify(r, fmt.Errorf("tagging %s: %w", mvRef, err))
	}
	return d, false, nil
}

func notFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}

// classify turns a 401 or 403 into an AuthError that says what permission to add.
func classify(r name.Repository, err error) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return &AuthError{Repository: r.String(), Status: te.StatusCode, Err: err}
	}
	return err
}

func (o Options) remoteOptions(ctx context.Context) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	if o.GitHubToken != "" {
		kc = authn.NewMultiKeychain(kc, ghcrKeychain{user: o.GitHubActor, token: o.GitHubToken})
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	if o.UserAgent != "" {
		opts = append(opts, remote.WithUserAgent(o.UserAgent))
	}
	return opts
}

// ghcrKeychain gives the GitHub token to ghcr.io and nothing to any other registry.
type ghcrKeychain struct{ user, token string }

func (k ghcrKeychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	if res.RegistryStr() != "ghcr.io" {
		return authn.Anonymous, nil
	}
	user := k.user
	if user == "" {
		user = "x-access-token"
	}
	return &authn.Basic{Username: user, Password: k.token}, nil
}
