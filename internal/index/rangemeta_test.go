package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// manyFiles makes a wheel whose central directory and RECORD are far bigger than one range request.
func manyFiles(n int) []wheeltest.File {
	files := make([]wheeltest.File, n)
	for i := range files {
		files[i] = wheeltest.File{Name: fmt.Sprintf("big/sub_%04d/module_with_a_long_name_%04d.py", i, i), Data: []byte(fmt.Sprintf("X = %d\n", i))}
	}
	return files
}

func TestRangeMetadata(t *testing.T) {
	t.Parallel()
	small := wheeltest.Spec{Name: "small-pkg", Version: "1.0", Requires: []string{"dep>=1"}}
	big := wheeltest.Spec{Name: "big", Version: "2.0", Requires: []string{"other ; python_version < '3.12'"}, Files: manyFiles(4000)}
	stored := wheeltest.Spec{Name: "stored", Version: "0.1", Store: true, ExtraMetadata: strings.Repeat("Classifier: Topic :: Utilities\n", 3000)}
	srv := indextest.New(t, []wheeltest.Spec{small, big, stored}, indextest.NoMetadata())
	c, err := New([]string{srv.URL}, WithNetrc(""))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []wheeltest.Spec{small, big, stored} {
		t.Run(s.Name, func(t *testing.T) {
			p, err := c.Project(context.Background(), s.Name)
			if err != nil {
				t.Fatal(err)
			}
			f := p.Files[0]
			if _, err := c.Metadata(context.Background(), f); !errors.Is(err, ErrNoMetadata) {
				t.Fatalf("the index must offer no PEP 658 file here, got %v", err)
			}
			before := srv.Requests("/files/")
			got, err := c.RangeMetadata(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, s.Metadata()) {
				t.Errorf("metadata differs:\n%s\nwant\n%s", got, s.Metadata())
			}
			n := srv.Requests("/files/") - before
			size := len(srv.File(f.Filename))
			t.Logf("%s: %d bytes, %d range requests", f.Filename, size, n)
			if n > 3 {
				t.Errorf("%d requests for one METADATA", n)
			}
		})
	}
}

// TestRangeMetadataIgnoredRange: a server that answers every request with the whole file must not be
// read to the end; the caller downloads instead.
func TestRangeMetadataIgnoredRange(t *testing.T) {
	t.Parallel()
	w := wheeltest.Spec{Name: "big", Version: "2.0", Files: manyFiles(3000)}
	data := wheeltest.Build(w)
	var served atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Length", fmt.Sprint(len(data)))
		n, _ := rw.Write(data)
		served.Add(int64(n))
	}))
	t.Cleanup(hs.Close)
	c, err := New([]string{hs.URL + "/simple/"}, WithNetrc(""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RangeMetadata(context.Background(), File{Filename: w.Filename(), URL: hs.URL + "/files/" + w.Filename()})
	if !errors.Is(err, ErrNoRange) {
		t.Fatalf("got %v, want ErrNoRange", err)
	}
}

// TestRangeMetadataSmallFileWhole: a server may answer a suffix range on a small file with all of it.
func TestRangeMetadataSmallFileWhole(t *testing.T) {
	t.Parallel()
	w := wheeltest.Spec{Name: "tiny", Version: "1.0"}
	data := wheeltest.Build(w)
	hs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Length", fmt.Sprint(len(data)))
		rw.Write(data)
	}))
	t.Cleanup(hs.Close)
	c, _ := New([]string{hs.URL + "/simple/"}, WithNetrc(""))
	got, err := c.RangeMetadata(context.Background(), File{Filename: w.Filename(), URL: hs.URL + "/files/" + w.Filename()})
	if err != nil || !bytes.Equal(got, w.Metadata()) {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestParseContentRange(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in               string
		start, end, size int64
		ok               bool
	}{
		{"bytes 0-99/1000", 0, 99, 1000, true},
		{"bytes 900-999/*", 900, 999, -1, true},
		{"bytes 10-5/100", 0, 0, 0, false},
		{"bytes */100", 0, 0, 0, false},
		{"items 0-1/2", 0, 0, 0, false},
		{"bytes -1-5/10", 0, 0, 0, false},
	} {
		s, e, n, err := parseContentRange(c.in)
		if (err == nil) != c.ok || c.ok && (s != c.start || e != c.end || n != c.size) {
			t.Errorf("%q: %d %d %d %v", c.in, s, e, n, err)
		}
	}
}

// FuzzRangeMetadata feeds arbitrary bytes as a wheel read by ranges: no panic, nothing over the limit,
// and a central directory found only inside the file.
func FuzzRangeMetadata(f *testing.F) {
	f.Add(wheeltest.Build(wheeltest.Spec{Name: "a", Version: "1.0", Requires: []string{"b"}}))
	f.Add(wheeltest.Build(wheeltest.Spec{Name: "a", Version: "1.0", Store: true}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		if off, ok := centralDirectory(data, 0); ok && (off < 0 || off > int64(len(data))) {
			t.Fatalf("central directory at %d of %d bytes", off, len(data))
		}
		b, err := metadataFromZip(r, int64(len(data)), "a-1.0-py3-none-any.whl", 1<<20)
		if err == nil && len(b) > 1<<20 {
			t.Fatalf("%d bytes past the limit", len(b))
		}
	})
}

// TestRangeReaderReadsAnyWindow: reads at any offset and length, across pieces already fetched and
// gaps between them, return the file's bytes.
func TestRangeReaderReadsAnyWindow(t *testing.T) {
	t.Parallel()
	w := wheeltest.Spec{Name: "big", Version: "2.0", Files: manyFiles(3000)}
	srv := indextest.New(t, []wheeltest.Spec{w})
	data := srv.File(w.Filename())
	c, _ := New([]string{srv.URL}, WithNetrc(""))
	u, _ := url.Parse(srv.FileURL(w.Filename()))
	ra := &rangeReader{c: c, u: u, ctx: context.Background()}
	if err := ra.fetchTail(); err != nil {
		t.Fatal(err)
	}
	if ra.size != int64(len(data)) {
		t.Fatalf("size %d, want %d", ra.size, len(data))
	}
	x := uint64(7)
	for range 6 {
		x = x*6364136223846793005 + 1442695040888963407
		off := int64(x>>33) % int64(len(data))
		n := int(x>>17)%(200<<10) + 1
		p := make([]byte, n)
		got, err := ra.ReadAt(p, off)
		want := data[off:min(int(off)+n, len(data))]
		if got != len(want) || !bytes.Equal(p[:got], want) || (got < n) != (err == io.EOF) {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v", n, off, got, err)
		}
	}
	for i := 1; i < len(ra.chunks); i++ {
		if a := ra.chunks[i-1]; a.off+int64(len(a.data)) > ra.chunks[i].off {
			t.Fatalf("pieces overlap: %d+%d > %d", a.off, len(a.data), ra.chunks[i].off)
		}
	}
}
