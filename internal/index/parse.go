package index

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// parsed is one project page. creds are file URLs that carried credentials, for the client to apply to
// their hosts (File.URL never carries them).
type parsed struct {
	files []File
	creds []*url.URL
}

// checkAPIVersion applies PEP 629: a major version we do not know means we cannot read the page.
func checkAPIVersion(v string) error {
	if v == "" {
		return nil
	}
	major, _, _ := strings.Cut(strings.TrimSpace(v), ".")
	if n, err := strconv.Atoi(major); err != nil || n != 1 {
		return fmt.Errorf("unsupported repository API version %q (want 1.x)", v)
	}
	return nil
}

// ErrUnsafeLink means a remote index page linked a file by a scheme other than http or https: a page
// served over the network must not make us read local files (file:) or speak other protocols.
var ErrUnsafeLink = errors.New("link refused")

// unsafeLink reports a link a page at page may not make: only a local index (file:) may link local files,
// and nothing but http, https and file is ever followed.
func unsafeLink(page, u *url.URL) error {
	if page.Scheme == "file" || u.Scheme == "http" || u.Scheme == "https" {
		return nil
	}
	shown := *u
	shown.Fragment, shown.RawFragment, shown.User = "", "", nil
	s := Redact(shown.String())
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return fmt.Errorf("%w: the %s page links %s; only http and https links are followed from a remote index (only a local index may link local files)", ErrUnsafeLink, page.Scheme, s)
}

// addFile resolves href against base, moves a hash fragment into f.Hashes, strips credentials and
// derives the PEP 658 URL. Links that cannot be files are skipped; a link the page may not make
// (unsafeLink) is an error. page is where the page was served from.
func (p *parsed) addFile(page, base *url.URL, href string, f File, hasMetadata bool) error {
	ref, err := url.Parse(strings.TrimSpace(href))
	if err != nil {
		return nil
	}
	u := base.ResolveReference(ref)
	if err := unsafeLink(page, u); err != nil {
		return err
	}
	if _, err := url.Parse(u.String()); err != nil {
		return nil // e.g. a <base> host of "0::": resolvable once, unreadable when fetched
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file" {
		return nil
	}
	if name, value, ok := strings.Cut(u.Fragment, "="); ok && isHashName(name) && isHex(value) {
		if f.Hashes == nil {
			f.Hashes = map[string]string{}
		}
		if _, ok := f.Hashes[name]; !ok { // the page's own hash field wins over the fragment
			f.Hashes[name] = strings.ToLower(value)
		}
	}
	u.Fragment, u.RawFragment = "", ""
	if u.User != nil {
		p.creds = append(p.creds, &url.URL{Scheme: u.Scheme, Host: u.Host, User: u.User})
		u.User = nil
	}
	if f.Filename == "" {
		f.Filename, _ = url.PathUnescape(path.Base(u.EscapedPath()))
	}
	if f.Filename == "" || f.Filename == "/" || f.Filename == "." {
		return nil
	}
	f.URL = u.String()
	if hasMetadata {
		// PEP 658: the file's URL with ".metadata" appended to its path (a query, as on a signed URL,
		// stays a query).
		m := *u
		m.Path += ".metadata"
		if m.RawPath != "" {
			m.RawPath += ".metadata"
		}
		f.MetadataURL = m.String()
	} else {
		f.MetadataHashes = nil
	}
	p.files = append(p.files, f)
	return nil
}

func isHashName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// parseMetadataAttr reads a PEP 658/714 HTML attribute: "true", "<hashname>=<hex>", or (for robustness)
// an empty boolean attribute. "false" means none.
func parseMetadataAttr(v string) (bool, map[string]string) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "false":
		return false, nil
	case "", "true":
		return true, nil
	}
	if name, value, ok := strings.Cut(v, "="); ok && isHashName(name) && isHex(value) {
		return true, map[string]string{name: strings.ToLower(value)}
	}
	return true, nil // advertised, with a hash we cannot read
}

// parseHTML reads a PEP 503 project page served at pageURL.
func parseHTML(pageURL *url.URL, data []byte) (parsed, error) {
	type anchor struct {
		href    string
		attrs   map[string]string
		present map[string]bool
	}
	var (
		anchors []anchor
		base    = pageURL
		baseSet bool
		version string
	)
	z := html.NewTokenizer(bytes.NewReader(data))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); err != io.EOF {
				return parsed{}, fmt.Errorf("parsing HTML: %w", err)
			}
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		tag := string(name)
		if tag != "a" && tag != "base" && tag != "meta" {
			continue
		}
		attrs, present := map[string]string{}, map[string]bool{}
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr() // values come back entity-decoded: "&gt;=3.8" is ">=3.8"
			key := string(k)
			if !present[key] { // HTML keeps the first of duplicate attributes
				attrs[key], present[key] = string(v), true
			}
		}
		switch tag {
		case "base":
			// The first <base href> sets the base for the whole document, wherever it sits.
			if href, ok := attrs["href"]; ok && !baseSet {
				if ref, err := url.Parse(strings.TrimSpace(href)); err == nil {
					base, baseSet = pageURL.ResolveReference(ref), true
				}
			}
		case "meta":
			if attrs["name"] == "pypi:repository-version" && version == "" {
				version = attrs["content"]
			}
		case "a":
			if href, ok := attrs["href"]; ok && strings.TrimSpace(href) != "" {
				anchors = append(anchors, anchor{href: href, attrs: attrs, present: present})
			}
		}
	}
	if err := checkAPIVersion(version); err != nil {
		return parsed{}, err
	}
	var p parsed
	for _, a := range anchors {
		f := File{RequiresPython: strings.TrimSpace(a.attrs["data-requires-python"])}
		if a.present["data-yanked"] {
			f.Yanked, f.YankedReason = true, a.attrs["data-yanked"]
		}
		hasMeta := false
		for _, k := range []string{"data-core-metadata", "data-dist-info-metadata"} { // PEP 714 name first
			if a.present[k] {
				hasMeta, f.MetadataHashes = parseMetadataAttr(a.attrs[k])
				break
			}
		}
		if err := p.addFile(pageURL, base, a.href, f, hasMeta); err != nil {
			return parsed{}, err
		}
	}
	return p, nil
}

type jsonPage struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Name  string     `json:"name"`
	Files []jsonFile `json:"files"`
}

type jsonFile struct {
	Filename         string            `json:"filename"`
	URL              string            `json:"url"`
	Hashes           map[string]string `json:"hashes"`
	RequiresPython   *string           `json:"requires-python"`
	CoreMetadata     json.RawMessage   `json:"core-metadata"`
	DistInfoMetadata json.RawMessage   `json:"dist-info-metadata"`
	// PyPI served this HTML attribute name as a JSON key for a while (the bug PEP 714 fixed).
	DataDistInfoMetadata json.RawMessage `json:"data-dist-info-metadata"`
	Yanked               json.RawMessage `json:"yanked"`
	// Size is read leniently (PEP 700 says integer; a string or float must not lose the whole page).
	Size json.RawMessage `json:"size"`
}

// parseJSON reads a PEP 691 project page served at pageURL.
func parseJSON(pageURL *url.URL, data []byte) (parsed, error) {
	var page jsonPage
	if err := json.Unmarshal(data, &page); err != nil {
		return parsed{}, fmt.Errorf("parsing JSON: %w", err)
	}
	if err := checkAPIVersion(page.Meta.APIVersion); err != nil {
		return parsed{}, err
	}
	var p parsed
	for _, jf := range page.Files {
		if strings.TrimSpace(jf.URL) == "" {
			continue
		}
		f := File{Filename: jf.Filename}
		for k, v := range jf.Hashes {
			k = strings.ToLower(k)
			if isHashName(k) && isHex(v) {
				if f.Hashes == nil {
					f.Hashes = map[string]string{}
				}
				f.Hashes[k] = strings.ToLower(v)
			}
		}
		if jf.RequiresPython != nil {
			f.RequiresPython = strings.TrimSpace(*jf.RequiresPython)
		}
		f.Yanked, f.YankedReason = parseJSONYanked(jf.Yanked)
		hasMeta := false
		for _, raw := range []json.RawMessage{jf.CoreMetadata, jf.DistInfoMetadata, jf.DataDistInfoMetadata} {
			if len(raw) > 0 && string(raw) != "null" {
				hasMeta, f.MetadataHashes = parseJSONMetadata(raw)
				break
			}
		}
		var size json.Number
		if json.Unmarshal(jf.Size, &size) == nil {
			if n, err := size.Int64(); err == nil && n > 0 {
				f.Size = n
			}
		}
		if err := p.addFile(pageURL, pageURL, jf.URL, f, hasMeta); err != nil {
			return parsed{}, err
		}
	}
	return p, nil
}

// parseJSONYanked reads PEP 691's "yanked": false, true, or a reason (which means true).
func parseJSONYanked(raw json.RawMessage) (bool, string) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return true, s
	}
	return false, ""
}

// parseJSONMetadata reads PEP 691/714's "core-metadata": a bool or a {hashname: hex} map.
func parseJSONMetadata(raw json.RawMessage) (bool, map[string]string) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return false, nil
	}
	var hashes map[string]string
	for k, v := range m {
		s, ok := v.(string)
		k = strings.ToLower(k)
		if ok && isHashName(k) && isHex(s) {
			if hashes == nil {
				hashes = map[string]string{}
			}
			hashes[k] = strings.ToLower(s)
		}
	}
	return true, hashes
}

var errUnsupportedType = errors.New("unsupported content type")
