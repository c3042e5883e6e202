// Package layertar writes a Lambda layer zip's tree as the deterministic tar (and gzipped tar) of an
// image layer that holds it under opt/, streaming from the zip: no extraction, no temporary files, and
// no memory beyond the zip's central directory and the compressor's window. It knows nothing of images
// or registries.
package layertar

import (
	"archive/tar"
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Epoch is every entry's mtime: the zip's own fixed date (1980-01-01, the earliest a zip can say), so the
// two artifacts agree and no clock or commit reaches the layer's bytes.
var Epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// gzipLevel is fixed: the compressor and its level are part of the layer digest. The compressor is
// github.com/klauspost/compress, pinned in go.mod, so the digest is stable for a given lambda-layers build.
const gzipLevel = gzip.DefaultCompression

// Root is where Lambda extracts a layer and where the image holds it.
const Root = "opt/"

// WriteTar streams the zip at zr as a tar of the same tree under opt/, one pass, holding only the
// central directory: entries sorted bytewise by path, each parent directory written once before its
// first child (mode 0755), files mode 0755 when the zip marks them executable and 0644 otherwise, owner
// 0:0 with no user or group names, every time fixed. The zip's CRC-32 is checked as each entry is read.
func WriteTar(w io.Writer, zr *zip.Reader) error {
	files := slices.Clone(zr.File)
	slices.SortStableFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	tw := &tree{Writer: tar.NewWriter(w), dirs: map[string]bool{}, files: map[string]bool{}}
	buf := make([]byte, 32<<10)
	var prev string
	for _, f := range files {
		name, isDir, err := entryName(f)
		if err != nil {
			return err
		}
		if name == prev {
			return fmt.Errorf("zip entry %q appears twice", f.Name)
		}
		prev = name
		if err := tw.parents(name); err != nil {
			return err
		}
		if isDir {
			if err := tw.dir(name); err != nil {
				return err
			}
			continue
		}
		if tw.dirs[name] {
			return fmt.Errorf("zip entry %q is both a file and a directory", f.Name)
		}
		tw.files[name] = true
		if f.UncompressedSize64 > 1<<40 {
			return fmt.Errorf("zip entry %q declares %d bytes", f.Name, f.UncompressedSize64)
		}
		mode := int64(0o644)
		if f.Mode()&0o111 != 0 {
			mode = 0o755
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     Root + name,
			Mode:     mode,
			Size:     int64(f.UncompressedSize64),
			ModTime:  Epoch,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing tar header for %s: %w", f.Name, err)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("opening zip entry %s: %w", f.Name, err)
		}
		n, err := io.CopyBuffer(tw, rc, buf)
		rc.Close()
		if err != nil {
			return fmt.Errorf("copying zip entry %s: %w", f.Name, err)
		}
		if n != hdr.Size {
			return fmt.Errorf("zip entry %s: read %d bytes, its header says %d", f.Name, n, hdr.Size)
		}
	}
	if err := tw.dir(""); err != nil { // at least opt/, for an empty layer
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("closing tar: %w", err)
	}
	return nil
}

// entryName checks a zip entry's name and returns it without a trailing slash, and whether it is a
// directory. Only regular files and directories are accepted: a layer zip the engine writes holds
// nothing else, and a link or device in an image's /opt would be a surprise.
func entryName(f *zip.File) (string, bool, error) {
	n := f.Name
	isDir := strings.HasSuffix(n, "/") || f.Mode().IsDir()
	n = strings.TrimSuffix(n, "/")
	switch {
	case n == "" || strings.HasPrefix(n, "/") || strings.ContainsAny(n, "\\\x00") || path.Clean(n) != n || n == "." || n == ".." || strings.HasPrefix(n, "../"):
		return "", false, fmt.Errorf("zip entry %q: not a clean relative path", f.Name)
	case !isDir && !f.Mode().IsRegular():
		return "", false, fmt.Errorf("zip entry %q is a %s, not a regular file", f.Name, f.Mode().Type())
	}
	return n, isDir, nil
}

// tree is a tar writer that remembers which directories it wrote.
type tree struct {
	*tar.Writer
	dirs, files map[string]bool
}

// parents writes the directory entries of name's parents not yet written, outermost first, starting with
// opt/ itself.
func (t *tree) parents(name string) error {
	for i := range len(name) {
		if name[i] == '/' {
			if err := t.dir(name[:i]); err != nil {
				return err
			}
		}
	}
	return t.dir("")
}

// dir writes the entry of opt/dir/ once ("" is opt/ itself).
func (t *tree) dir(dir string) error {
	if t.dirs[dir] {
		return nil
	}
	if t.files[dir] {
		return fmt.Errorf("zip entry %q is both a file and a directory", dir)
	}
	if dir != "" && !t.dirs[""] {
		if err := t.dir(""); err != nil {
			return err
		}
	}
	t.dirs[dir] = true
	name := Root
	if dir != "" {
		name += dir + "/"
	}
	if err := t.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: Epoch}); err != nil {
		return fmt.Errorf("writing tar header for %s: %w", name, err)
	}
	return nil
}

// WriteGzip writes the gzipped tar of the zip at zipPath to w. When diffID is not nil it also receives
// the uncompressed tar.
func WriteGzip(w io.Writer, zipPath string, diffID io.Writer) error {
	f, err := os.Open(zipPath)
	if err != nil {
		return fmt.Errorf("opening layer zip: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading %s: %w", zipPath, err)
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return fmt.Errorf("reading %s as a zip: %w", zipPath, err)
	}
	gz, err := gzip.NewWriterLevel(w, gzipLevel)
	if err != nil {
		return err
	}
	var tw io.Writer = gz
	if diffID != nil {
		tw = io.MultiWriter(gz, diffID)
	}
	if err := WriteTar(tw, zr); err != nil {
		return fmt.Errorf("%s: %w", zipPath, err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("compressing %s: %w", zipPath, err)
	}
	return nil
}
