package indextest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

var wheels = []wheeltest.Spec{
	{Name: "Foo_Bar", Version: "1.0", RequiresPython: ">=3.8"},
	{Name: "foo-bar", Version: "2.0"},
	{Name: "six", Version: "1.16.0"},
}

func do(t *testing.T, u string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestServer(t *testing.T) {
	t.Parallel()
	s := indextest.New(t, wheels, indextest.ExtraFile("six", "six-1.16.0.tar.gz", []byte("sdist"), ""))
	base := strings.TrimSuffix(s.URL, "/simple/")

	resp := do(t, s.URL+"Foo.Bar/", nil)
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/simple/foo-bar/" {
		t.Errorf("non-normalized name: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = do(t, s.URL+"six", nil)
	if resp.StatusCode != http.StatusMovedPermanently {
		t.Errorf("no slash: %d", resp.StatusCode)
	}

	resp = do(t, s.URL+"foo-bar/", map[string]string{"Accept": "application/vnd.pypi.simple.v1+json"})
	var page struct {
		Name  string `json:"name"`
		Files []struct {
			Filename string `json:"filename"`
		} `json:"files"`
		Versions []string `json:"versions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if page.Name != "foo-bar" || len(page.Files) != 2 || strings.Join(page.Versions, ",") != "1.0,2.0" {
		t.Errorf("JSON page: %+v", page)
	}

	resp = do(t, s.URL+"six/", map[string]string{"Accept": "text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.1"})
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("negotiated %s", ct)
	}
	if b, _ := io.ReadAll(resp.Body); !bytes.Contains(b, []byte("six-1.16.0.tar.gz")) {
		t.Errorf("extra file not listed:\n%s", b)
	}
	if resp := do(t, s.URL+"six/", map[string]string{"Accept": "application/xml"}); resp.StatusCode != http.StatusNotAcceptable {
		t.Errorf("unacceptable: %d", resp.StatusCode)
	}

	resp = do(t, base+"/files/six-1.16.0-py3-none-any.whl", map[string]string{"Range": "bytes=0-3"})
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusPartialContent || string(b) != "PK\x03\x04" {
		t.Errorf("range: %d %q", resp.StatusCode, b)
	}
	resp = do(t, base+"/files/six-1.16.0-py3-none-any.whl.metadata", nil)
	if b, _ := io.ReadAll(resp.Body); !bytes.Equal(b, wheels[2].Metadata()) {
		t.Errorf("metadata: %q", b)
	}
	if resp := do(t, base+"/files/six-1.16.0.tar.gz.metadata", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("sdist metadata: %d", resp.StatusCode)
	}
	if n := s.Requests("/files/"); n != 3 {
		t.Errorf("Requests(/files/) = %d", n)
	}
	if n := s.Requests("/"); n != 8 {
		t.Errorf("Requests(/) = %d", n)
	}
}

func TestWriteDeterministic(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	indextest.WriteDir(t, a, wheels, indextest.Yank("six-1.16.0-py3-none-any.whl", "why"))
	indextest.WriteDir(t, b, wheels, indextest.Yank("six-1.16.0-py3-none-any.whl", "why"))
	var names []string
	filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		names = append(names, rel)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs", rel)
		}
		return nil
	})
	want := "files/Foo_Bar-1.0-py3-none-any.whl files/Foo_Bar-1.0-py3-none-any.whl.metadata " +
		"files/foo_bar-2.0-py3-none-any.whl files/foo_bar-2.0-py3-none-any.whl.metadata " +
		"files/six-1.16.0-py3-none-any.whl files/six-1.16.0-py3-none-any.whl.metadata " +
		"simple/foo-bar/index.html simple/index.html simple/six/index.html"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files:\n%s\nwant\n%s", got, want)
	}
	page, _ := os.ReadFile(filepath.Join(a, "simple", "foo-bar", "index.html"))
	if !bytes.Contains(page, []byte(`data-requires-python="&gt;=3.8"`)) || !bytes.Contains(page, []byte(`href="../../files/Foo_Bar-1.0-py3-none-any.whl#sha256=`)) {
		t.Errorf("page:\n%s", page)
	}
}

func TestWriteRejectsDuplicatesAndUnknownYanks(t *testing.T) {
	t.Parallel()
	if err := indextest.Write(t.TempDir(), []wheeltest.Spec{wheels[2], wheels[2]}); err == nil {
		t.Error("duplicate file accepted")
	}
	if err := indextest.Write(t.TempDir(), wheels, indextest.Yank("nonesuch.whl", "")); err == nil {
		t.Error("yank of unknown file accepted")
	}
}
