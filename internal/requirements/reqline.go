package requirements

import (
	"errors"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep508"
)

// parsePEP508 is the one place that calls the PEP 508 parser.
func parsePEP508(s string) (pep508.Requirement, error) { return pep508.ParseRequirement(s) }

// vcsSchemes are pip's VCS URL schemes without a "+" (those with one are matched by prefix).
var vcsSchemes = map[string]bool{"git": true, "svn": true}

func isVCSScheme(scheme string) bool {
	for _, p := range []string{"git+", "hg+", "svn+", "bzr+"} {
		if strings.HasPrefix(scheme, p) {
			return true
		}
	}
	return vcsSchemes[scheme]
}

// urlScheme returns the lower-cased scheme of s if s starts with one ("https:"), else "".
func urlScheme(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(s[:i])
		default:
			return ""
		}
	}
	return ""
}

// archiveExts are pip's ARCHIVE_EXTENSIONS: a requirement ending in one is a file, not a name.
var archiveExts = []string{".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz",
	".tlz", ".tar.lz", ".tar.lzma", ".tar"}

func isArchive(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range archiveExts {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// isWheelFile is case-insensitive, unlike pip's (which would take "x.WHL" for an sdist).
func isWheelFile(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".whl") }

// looksLikePath is pip's _looks_like_path, with "\" added for files written on Windows.
func looksLikePath(s string) bool {
	return strings.ContainsAny(s, `/\`) || strings.HasPrefix(s, ".")
}

// stripExtras is pip's _strip_extras for paths: "./x.whl[a,b]" → "./x.whl", "[a,b]".
func stripExtras(s string) (string, string) {
	if !strings.HasSuffix(s, "]") {
		return s, ""
	}
	i := strings.LastIndexByte(s, '[')
	if i <= 0 || i+2 >= len(s) || strings.ContainsRune(s[i+1:len(s)-1], ']') {
		return s, ""
	}
	return s[:i], s[i:]
}

// parseRequirement follows pip's parse_req_from_line: a URL, then a local file or directory,
// then a PEP 508 string; only wheels survive. It returns hashes found in a URL fragment.
func (p *parser) parseRequirement(c *lineCtx, s string) (pep508.Requirement, []string, *Error) {
	switch scheme := urlScheme(s); {
	case isVCSScheme(scheme):
		return pep508.Requirement{}, nil, vcsError(c, s)
	case scheme == "http" || scheme == "https" || scheme == "ftp" || scheme == "file":
		// pip needs "; " before a marker after a bare URL, since ";" may be part of a URL.
		u, marker, _ := strings.Cut(s, "; ")
		return p.urlRequirement(c, "", "", strings.TrimSpace(u), strings.TrimSpace(marker))
	}
	before, marker, _ := strings.Cut(s, ";")
	pth, extras := stripExtras(strings.TrimSpace(before))
	if isArchive(pth) || looksLikePath(pth) {
		// "name @ https://…" contains "/" but is a PEP 508 URL requirement: pip tells them
		// apart by whether the part before "@" looks like a path.
		at := strings.IndexByte(s, '@')
		if at < 0 || looksLikePath(s[:at]) {
			return p.localRequirement(c, "", extras, pth, strings.TrimSpace(marker))
		}
	}
	r, err := parsePEP508(s)
	if err != nil {
		return r, nil, invalidRequirement(c, s, err)
	}
	if r.URL == "" {
		return r, nil, nil
	}
	scheme := urlScheme(r.URL)
	if isVCSScheme(scheme) {
		return r, nil, vcsError(c, r.URL)
	}
	if scheme == "" {
		return r, nil, c.errorf("write a path on a line of its own (./dist/x.whl), or use file:///abs/path/x.whl",
			"%s @ %s: the URL has no scheme", r.Name, r.URL)
	}
	fr, hashes, e := p.urlRequirement(c, r.Name, "", r.URL, "")
	if e != nil {
		return r, nil, e
	}
	// Keep the parsed name, extras and marker; take the URL that urlRequirement resolved
	// (file: URLs become absolute).
	r.URL = fr.URL
	return r, hashes, nil
}

// urlRequirement checks a URL (bare, or from "name @ url") and builds the requirement for it.
func (p *parser) urlRequirement(c *lineCtx, name, extras, raw, marker string) (pep508.Requirement, []string, *Error) {
	u, err := url.Parse(raw)
	if err != nil {
		return pep508.Requirement{}, nil, c.errorf("", "invalid URL %q: %v", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case isVCSScheme(scheme):
		return pep508.Requirement{}, nil, vcsError(c, raw)
	case scheme == "file":
		pth, e := fileURLPath(c, raw)
		if e != nil {
			return pep508.Requirement{}, nil, e
		}
		r, _, e := p.localRequirement(c, name, extras, pth, marker)
		if e != nil {
			return r, nil, e
		}
		hashes, e := fragmentHashes(c, u.Fragment)
		return r, hashes, e
	case scheme == "http" || scheme == "https" || scheme == "ftp":
	default:
		return pep508.Requirement{}, nil, c.errorf("use an https:// URL of a .whl file",
			"URL scheme %q is not supported: %s", u.Scheme, raw)
	}
	base := path.Base(u.Path)
	if !isWheelFile(base) {
		return pep508.Requirement{}, nil, notWheelError(c, raw, base)
	}
	r, e := wheelRequirement(c, name, extras, raw, base, marker)
	if e != nil {
		return r, nil, e
	}
	hashes, e := fragmentHashes(c, u.Fragment)
	return r, hashes, e
}

// localRequirement handles a local file or directory; relative paths are relative to the file
// that names them (pip uses the cwd, which makes a file's meaning depend on where pip runs).
func (p *parser) localRequirement(c *lineCtx, name, extras, pth, marker string) (pep508.Requirement, []string, *Error) {
	base := filepath.Base(filepath.FromSlash(pth))
	if !isWheelFile(base) {
		if isArchive(base) {
			return pep508.Requirement{}, nil, notWheelError(c, pth, base)
		}
		return pep508.Requirement{}, nil, c.errorf("build a wheel (pip wheel --no-deps "+pth+") and list the .whl file",
			"local path %s is not supported: a project directory needs a build", pth)
	}
	if !filepath.IsAbs(pth) {
		pth = filepath.Join(filepath.Dir(c.file), pth)
	}
	if abs, err := filepath.Abs(pth); err == nil {
		pth = abs
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(pth)}).String()
	r, e := wheelRequirement(c, name, extras, u, base, marker)
	return r, nil, e
}

// wheelRequirement makes "name[extras] @ url ; marker" from a wheel's file name and lets the PEP
// 508 parser check the whole (name, extras and marker included).
func wheelRequirement(c *lineCtx, name, extras, u, file, marker string) (pep508.Requirement, *Error) {
	wname, ok := wheelName(file)
	if !ok {
		return pep508.Requirement{}, c.errorf("a wheel is named name-version[-build]-python-abi-platform.whl",
			"%q is not a valid wheel file name", file)
	}
	if name != "" && pep508.NormalizeName(name) != pep508.NormalizeName(wname) {
		return pep508.Requirement{}, c.errorf("fix the name before @, or the URL",
			"%s is a wheel of %s, not of %s", file, wname, name)
	}
	if name == "" {
		name = wname
	}
	s := name + extras + " @ " + u
	if marker != "" {
		s += " ; " + marker
	}
	r, err := parsePEP508(s)
	if err != nil {
		return r, invalidRequirement(c, s, err)
	}
	return r, nil
}

// invalidRequirement words a PEP 508 error without repeating the requirement twice.
func invalidRequirement(c *lineCtx, s string, err error) *Error {
	var se *pep508.SyntaxError
	if errors.As(err, &se) {
		err = se
	}
	return c.errorf("", "invalid requirement %q: %v", s, err)
}

// wheelName returns the distribution name of a wheel file name (PEP 427:
// name-version[-build]-python-abi-platform.whl), which cannot contain "-".
func wheelName(file string) (string, bool) {
	stem := file[:len(file)-len(".whl")]
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return "", false
	}
	for _, p := range parts {
		if p == "" {
			return "", false
		}
	}
	if len(parts) == 6 && (parts[2][0] < '0' || parts[2][0] > '9') {
		return "", false
	}
	for _, r := range parts[0] {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '.') {
			return "", false
		}
	}
	return parts[0], true
}

// fileURLPath turns a file: URL into a path; "file:x.whl" is relative, like pip's.
func fileURLPath(c *lineCtx, raw string) (string, *Error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", c.errorf("", "invalid URL %q: %v", raw, err)
	}
	if u.Opaque != "" {
		pth, err := url.PathUnescape(u.Opaque)
		if err != nil {
			return "", c.errorf("", "invalid URL %q: %v", raw, err)
		}
		return filepath.FromSlash(pth), nil
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", c.errorf("use file:///path for a local file", "file URL %s names another host", raw)
	}
	if u.Path == "" {
		return "", c.errorf("", "file URL %s has no path", raw)
	}
	return filepath.FromSlash(u.Path), nil
}

// fragmentHashes takes the hashes pip takes from a URL fragment ("#sha256=…"); they count as
// --hash values. Weak algorithms (md5, sha1) are left in the URL and not counted.
func fragmentHashes(c *lineCtx, frag string) ([]string, *Error) {
	var out []string
	for _, kv := range strings.Split(frag, "&") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.ToLower(k)
		if _, strong := hashHexLen[k]; !ok || !strong {
			continue
		}
		h, e := checkDigest(c, "#"+k+"= in the URL", k, v)
		if e != nil {
			return nil, e
		}
		out = appendUnique(out, h)
	}
	return out, nil
}

func vcsError(c *lineCtx, u string) *Error {
	return c.errorf("pin a released version (name==1.2.3), or build a wheel and list its URL",
		"VCS URL %s is not supported: installing from a repository needs a build", u)
}

func notWheelError(c *lineCtx, where, file string) *Error {
	if strings.Contains(file, ";") {
		// PEP 508 ends a URL at whitespace only, so "url;marker" is all URL.
		return c.errorf("after a URL, put a space before the ; of a marker", "%s is not a wheel (.whl) URL", where)
	}
	if isArchive(file) {
		return c.errorf("use a wheel (.whl) URL, or pin a version that has wheels on the index",
			"%s is a source distribution: it needs a build, and lambda-layers installs wheels only", where)
	}
	return c.errorf("link the .whl file itself", "%s is not a wheel (.whl) URL", where)
}
