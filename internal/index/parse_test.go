package index

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseNetrc(t *testing.T) {
	t.Parallel()
	const data = `# a comment
machine a.example login alice password pa55
machine B.Example
	login bob
	account ignored
	password "not-quoted"

macdef init
	cd /pub
	machine evil.example login mallory password x

machine a.example login second password wins-not
machine token.example login tok
default login anon password anon@
`
	m, def, err := parseNetrc(data)
	if err != nil {
		t.Fatal(err)
	}
	check := func(host, user, pass string, hasPass bool) {
		t.Helper()
		ui, ok := m[host]
		if !ok {
			t.Fatalf("%s missing from %v", host, m)
		}
		p, hp := ui.Password()
		if ui.Username() != user || p != pass || hp != hasPass {
			t.Errorf("%s: got %s", host, ui)
		}
	}
	check("a.example", "alice", "pa55", true)
	check("b.example", "bob", `"not-quoted"`, true)
	check("token.example", "tok", "", false)
	if _, ok := m["evil.example"]; ok {
		t.Error("macro body read as entries")
	}
	if def == nil || def.Username() != "anon" {
		t.Errorf("default = %v", def)
	}

	for _, bad := range []string{"login x", "machine", "machine a login", "garbage"} {
		if _, _, err := parseNetrc(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	_, _, err = parseNetrc("machine a password SECRETVALUE oops")
	if err != nil && strings.Contains(err.Error(), "SECRETVALUE") {
		t.Errorf("error shows a password: %v", err)
	}
}

func TestCredStoreLookup(t *testing.T) {
	t.Parallel()
	s := &credStore{hosts: map[string]*url.Userinfo{}}
	machines, def, err := parseNetrc("machine files.example login n password np\ndefault login d password dp")
	if err != nil {
		t.Fatal(err)
	}
	s.netrc, s.netrcDefault = machines, def
	mustURL := func(raw string) *url.URL {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	s.add(mustURL("https://Index.Example/simple/"), url.UserPassword("u", "p"), true)
	s.add(mustURL("https://index.example/"), url.UserPassword("page", "x"), false) // a page cannot override
	for raw, want := range map[string]string{
		"https://index.example:443/files/a.whl": "u",
		"https://index.example:8443/a.whl":      "d",
		"https://FILES.example/a.whl":           "n",
		"https://other.example/a.whl":           "d",
	} {
		if got := s.lookup(mustURL(raw)); got == nil || got.Username() != want {
			t.Errorf("%s: got %v, want %s", raw, got, want)
		}
	}
}

func TestCheckAPIVersion(t *testing.T) {
	t.Parallel()
	for v, ok := range map[string]bool{"": true, "1.0": true, "1.4": true, " 1 ": true, "2.0": false, "x": false, "0.9": false} {
		if err := checkAPIVersion(v); (err == nil) != ok {
			t.Errorf("%q: err = %v", v, err)
		}
	}
}

var fuzzBase = &url.URL{Scheme: "https", Host: "index.example", Path: "/simple/pkg/"}

func FuzzParseHTML(f *testing.F) {
	for _, s := range []string{
		`<a href="../../files/a-1-py3-none-any.whl#sha256=ab" data-requires-python="&gt;=3.8" data-core-metadata="sha256=cd" data-yanked>a</a>`,
		`<base href="https://u:p@other.example/x/"><a href="y.whl" data-dist-info-metadata=true>`,
		`<meta name="pypi:repository-version" content="1.1"><a href="#">`,
		`<a href="http://[::1">`, `<a href=":">`, `<a href="//host">`, "<a href=\"\x00\">",
		// A remote page may not link local files or other schemes (hostile_test.go).
		`<a href="file:///etc/passwd#sha256=00">passwd</a>`, `<a href="FILE:/etc/shadow">x</a>`,
		`<base href="file:///home/"><a href="id_rsa-1.0-py3-none-any.whl" data-core-metadata="true">`,
		`<a href="ftp://h/x.whl">`, `<a href="data:application/zip;base64,UEsFBg==">`, `<a href="\\server\share\x.whl">`,
		`<a href="C:\x.whl">`, `<a href=" file:///x">`, `<a href="javascript:alert(1)">`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseHTML(fuzzBase, data)
		if err != nil {
			return
		}
		checkParsed(t, p)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"meta":{"api-version":"1.1"},"name":"a","files":[{"filename":"a.whl","url":"a.whl","hashes":{"sha256":"ab"},"core-metadata":{"sha256":"cd"},"yanked":"why","size":3}]}`,
		`{"files":[{"url":"https://u:p@h/x.whl#md5=00","yanked":true,"dist-info-metadata":true,"requires-python":null}]}`,
		`{"files":[{"url":"x","yanked":1,"core-metadata":[],"size":-1}]}`, `[]`, `null`, `{"files":null}`,
		`{"files":[{"filename":"a-1-py3-none-any.whl","url":"file:///etc/passwd","hashes":{}}]}`,
		`{"files":[{"filename":"a.whl","url":"File://localhost/etc/passwd"},{"url":"gopher://h/a.whl"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseJSON(fuzzBase, data)
		if err != nil {
			return
		}
		checkParsed(t, p)
	})
}

// checkParsed asserts what every parsed page must satisfy, whatever the input.
func checkParsed(t *testing.T, p parsed) {
	for _, f := range p.files {
		u, err := url.Parse(f.URL)
		if err != nil {
			t.Fatalf("unparseable URL %q: %v", f.URL, err)
		}
		if u.User != nil || u.Fragment != "" || !u.IsAbs() {
			t.Fatalf("URL %q keeps credentials or fragment, or is relative", f.URL)
		}
		// fuzzBase is an https page: nothing but http(s) may come out of it.
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("URL %q from a remote page is not http(s)", f.URL)
		}
		if m, err := url.Parse(f.MetadataURL); f.MetadataURL != "" && (err != nil || m.Scheme != u.Scheme) {
			t.Fatalf("metadata URL %q differs in scheme from %q", f.MetadataURL, f.URL)
		}
		if f.Filename == "" {
			t.Fatalf("file without a name: %+v", f)
		}
		if f.MetadataURL == "" && f.MetadataHashes != nil {
			t.Fatalf("metadata hashes without metadata: %+v", f)
		}
		if f.Size < 0 {
			t.Fatalf("negative size: %+v", f)
		}
	}
}
