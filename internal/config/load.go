package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/ordered"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// Inputs are the action's inputs that shape the config (already trimmed; lists already split).
type Inputs struct {
	// Config is the config file's path relative to the repository root; "" looks for FileNames.
	Config string
	// Requirements are glob patterns (`**` matches any number of folders) giving one layer per
	// file, named after its folder; only without a config file.
	Requirements []string
	// Runtimes and Architectures are the targets without a config file; with one, they narrow each
	// layer's targets to those listed (a matrix leg builds one runtime and arch).
	Runtimes, Architectures []string
	// Layers keeps only the layers named (a matrix leg builds one layer); empty keeps all.
	Layers []string
	// IndexURL, FailOn and AWSRegion override the file's index-url, report.fail-on and aws.regions.
	IndexURL, FailOn, AWSRegion string
	// RepoName names a layer whose requirements file is at the repository root (the glob form).
	RepoName string
}

// Load makes the Config from the repository (fsys, rooted at the repository root) and the inputs:
// the config file when there is one, else one layer per file matching the requirements input. It
// checks that every requirements file exists. Problems are Errors.
func Load(fsys fs.FS, in Inputs) (*Config, error) {
	var errs Errors
	c, err := read(fsys, in)
	if err != nil {
		var es Errors
		if errors.As(err, &es) {
			return nil, es
		}
		return nil, err
	}
	if in.IndexURL != "" {
		c.IndexURL = in.IndexURL
	}
	if in.FailOn != "" {
		f, err := failOn(in.FailOn)
		if err != nil {
			errs = append(errs, &Error{Input: "fail-on", Message: err.Error()})
		}
		c.Report.FailOn = f
	}
	if in.AWSRegion != "" {
		c.AWS.Configured = true
		c.AWS.Regions = splitList(in.AWSRegion)
		for _, r := range c.AWS.Regions {
			if !regionRE.MatchString(r) {
				errs = append(errs, &Error{Input: "aws-region", Message: fmt.Sprintf("%q is not an AWS region such as us-east-1", r)})
			}
		}
	}
	if c.Report.FailOn == "" {
		c.Report.FailOn = DefaultFailOn
	}
	if c.File != "" {
		errs = append(errs, c.narrow(in)...)
	}
	errs = append(errs, c.checkFiles(fsys)...)
	if len(c.Layers) == 0 && len(errs) == 0 {
		errs = append(errs, &Error{Input: "layer", Message: "no layer left to build"})
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// read finds and parses the config file, or makes the config from the requirements input.
func read(fsys fs.FS, in Inputs) (*Config, error) {
	name := in.Config
	if name != "" {
		p, err := cleanPath(name)
		if err != nil {
			return nil, Errors{{Input: "config", Message: err.Error()}}
		}
		name = p
	} else {
		for _, n := range FileNames {
			if _, err := fs.Stat(fsys, n); err == nil {
				name = n
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, Errors{{Input: "config", Message: fmt.Sprintf("%s cannot be read: %v", n, err)}}
			}
		}
	}
	if name == "" {
		return fromGlob(fsys, in)
	}
	data, err := readCapped(fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Errors{{Input: "config", Message: fmt.Sprintf("%s does not exist in the repository", name)}}
		}
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(in.Requirements) > 0 {
		return nil, Errors{{Input: "requirements", Message: fmt.Sprintf("the config file %s already says what to build: drop the requirements input, or the file", name)}}
	}
	return Parse(name, data)
}

// maxConfigBytes bounds the config file read: a pull request could make lambda-layers.yml a symlink to
// /dev/zero, which fs.ReadFile reads until memory runs out.
const maxConfigBytes = 16 << 20

func readCapped(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB, more than any config file", name, maxConfigBytes>>20)
	}
	return data, nil
}

// fromGlob makes one layer per requirements file matched, named after its folder.
func fromGlob(fsys fs.FS, in Inputs) (*Config, error) {
	var errs Errors
	if len(in.Requirements) == 0 {
		return nil, Errors{{Input: "requirements", Message: "no config file (" + strings.Join(FileNames, ", ") + ") and no requirements input: add one, e.g. requirements: layers/*/requirements.txt"}}
	}
	if len(in.Runtimes) == 0 {
		errs = append(errs, &Error{Input: "runtimes", Message: "required without a config file, e.g. runtimes: python3.12"})
	}
	runtimes, archs, es := checkTargets(in.Runtimes, in.Architectures)
	errs = append(errs, es...)
	if len(archs) == 0 {
		archs = []string{"x86_64"}
	}
	var files []string
	for _, pat := range in.Requirements {
		p, err := cleanPath(pat)
		if err != nil {
			errs = append(errs, &Error{Input: "requirements", Message: err.Error()})
			continue
		}
		m, err := Glob(fsys, p)
		if err != nil {
			errs = append(errs, &Error{Input: "requirements", Message: fmt.Sprintf("%s: %v", pat, err)})
			continue
		}
		if len(m) == 0 {
			msg := fmt.Sprintf("%s matches no file", pat)
			if strings.ContainsAny(strings.TrimSpace(pat), " \t") {
				msg += ": separate several globs with commas or newlines, not spaces"
			}
			errs = append(errs, &Error{Input: "requirements", Message: msg})
		}
		files = append(files, m...)
	}
	c := &Config{Version: 1}
	byName := map[string]string{}
	for _, f := range ordered.Unique(files) {
		name := folderName(f, in.RepoName)
		if other, dup := byName[name]; dup {
			errs = append(errs, &Error{Input: "requirements", Message: fmt.Sprintf("%s and %s would both be layer %q: name the layers in a config file (lambda-layers.yml)", other, f, name)})
			continue
		}
		byName[name] = f
		c.Layers = append(c.Layers, Layer{Name: name, Requirements: []string{f}, Runtimes: runtimes, Architectures: archs})
	}
	if len(in.Layers) > 0 {
		errs = append(errs, c.filter(in.Layers)...)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkTargets validates runtimes and architectures given as inputs, normalizing arch aliases.
func checkTargets(runtimes, archs []string) ([]string, []string, Errors) {
	var errs Errors
	for _, r := range runtimes {
		if _, err := target.Parse(r, "x86_64"); err != nil {
			errs = append(errs, &Error{Input: "runtimes", Message: err.Error()})
		}
	}
	out := make([]string, 0, len(archs))
	for _, a := range archs {
		t, err := target.Parse("python3.12", a)
		if err != nil {
			errs = append(errs, &Error{Input: "architectures", Message: err.Error()})
			continue
		}
		out = append(out, t.Arch)
	}
	return runtimes, out, errs
}

// narrow applies the layer, runtimes and architectures inputs to a config file's layers.
func (c *Config) narrow(in Inputs) Errors {
	var errs Errors
	if len(in.Layers) > 0 {
		errs = append(errs, c.filter(in.Layers)...)
	}
	runtimes, archs, es := checkTargets(in.Runtimes, in.Architectures)
	errs = append(errs, es...)
	if len(es) > 0 || (len(runtimes) == 0 && len(archs) == 0) {
		return errs
	}
	var kept []Layer
	for _, l := range c.Layers {
		if len(runtimes) > 0 {
			l.Runtimes = ordered.Intersect(l.Runtimes, runtimes)
		}
		if len(archs) > 0 {
			all := len(l.Architectures)
			l.Architectures = ordered.Intersect(l.Architectures, archs)
			l.Narrowed = len(l.Architectures) < all
		}
		if len(l.Runtimes) == 0 || len(l.Architectures) == 0 {
			c.Notes = append(c.Notes, fmt.Sprintf("layer %s is not configured for %s: left out", l.Name, strings.Join(append(slices.Clone(runtimes), archs...), ", ")))
			continue
		}
		kept = append(kept, l)
	}
	if len(kept) == 0 && len(c.Layers) > 0 {
		errs = append(errs, &Error{Input: "runtimes", Message: fmt.Sprintf("no layer in %s is configured for %s", c.File, strings.Join(append(slices.Clone(runtimes), archs...), ", "))})
	}
	c.Layers = kept
	return errs
}

// filter keeps the layers named.
func (c *Config) filter(names []string) Errors {
	var errs Errors
	var kept []Layer
	for _, n := range names {
		l := c.Layer(n)
		if l == nil {
			known := make([]string, len(c.Layers))
			for i, l := range c.Layers {
				known[i] = l.Name
			}
			errs = append(errs, &Error{Input: "layer", Message: fmt.Sprintf("no layer %q: the layers are %s", n, strings.Join(known, ", "))})
			continue
		}
		kept = append(kept, *l)
	}
	if len(errs) == 0 {
		c.Layers = kept
	}
	return errs
}

// checkFiles reports requirements files that do not exist, at the config line naming them.
func (c *Config) checkFiles(fsys fs.FS) Errors {
	var errs Errors
	for _, l := range c.Layers {
		for _, f := range l.Requirements {
			st, err := fs.Stat(fsys, f)
			switch {
			case err != nil && !errors.Is(err, fs.ErrNotExist):
				// An fs that stays in the repository (the action's os.Root) refuses a symlink out of it.
				errs = append(errs, &Error{File: c.File, Line: l.Line, Column: 1, Message: fmt.Sprintf("layer %s: requirements file %s cannot be read: %v", l.Name, f, err)})
			case err != nil:
				errs = append(errs, &Error{File: c.File, Line: l.Line, Column: 1, Message: fmt.Sprintf("layer %s: requirements file %s does not exist", l.Name, f)})
			case st.IsDir():
				errs = append(errs, &Error{File: c.File, Line: l.Line, Column: 1, Message: fmt.Sprintf("layer %s: %s is a folder, not a requirements file", l.Name, f)})
			}
		}
	}
	return errs
}

// Glob is fs.Glob where a `**` path element matches any number of folders (none included). Folders
// whose names start with "." are not searched by `**`.
func Glob(fsys fs.FS, pattern string) ([]string, error) {
	if !strings.Contains(pattern, "**") {
		return fs.Glob(fsys, pattern)
	}
	parts := strings.Split(pattern, "/")
	for _, p := range parts {
		if _, err := path.Match(p, ""); err != nil {
			return nil, err
		}
	}
	var out []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable folders are skipped, as fs.Glob does
		}
		if d.IsDir() && p != "." && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if !d.IsDir() && matchParts(parts, strings.Split(p, "/")) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func matchParts(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchParts(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], name[0])
	return ok && matchParts(pat[1:], name[1:])
}

// folderName names a layer after its requirements file's folder, as a valid Lambda layer name.
func folderName(file, repoName string) string {
	dir := path.Base(path.Dir(file))
	if dir == "." || dir == "/" {
		dir = repoName
	}
	return LayerName(dir)
}

// LayerName makes s a valid Lambda layer name ([a-zA-Z0-9-_]+): every other character becomes "-";
// an empty result is "layer".
func LayerName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "layer"
	}
	return b.String()
}

// SplitList splits an input's value on commas and newlines, dropping blanks: "a, b\nc" → [a b c].
func SplitList(s string) []string { return splitList(s) }

func splitList(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for _, p := range strings.Split(line, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
