package wheel

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
)

// rawEntry is one entry of a hand-assembled zip. Unlike archive/zip's writer, rawZip writes whatever
// headers it is told to, so tests can build archives that lie.
type rawEntry struct {
	name    string
	content []byte // uncompressed content; deflated unless method is Store
	method  uint16 // 8 = Deflate (default), 0 = Store, anything else stored as-is
	flags   uint16
	attrs   uint32 // external attributes; 0 means a regular 0644 file
	// Overrides of what the headers declare; nil means the truth.
	crc          *uint32
	usize, csize *uint32
	// sameDataAs points this entry's central record at an earlier entry's local header (an overlap).
	sameDataAs int
	data       []byte // compressed bytes; computed from content when nil
}

func u32(v uint32) *uint32 { return &v }

func deflate(p []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

// rawZip assembles a zip file (no zip64, no data descriptors) from entries.
func rawZip(entries ...rawEntry) []byte {
	var out bytes.Buffer
	le := binary.LittleEndian
	offsets := make([]uint32, len(entries))
	for i := range entries {
		e := &entries[i]
		if e.data == nil {
			if e.method == 8 {
				e.data = deflate(e.content)
			} else {
				e.data = e.content
			}
		}
		if e.crc == nil {
			e.crc = u32(crc32.ChecksumIEEE(e.content))
		}
		if e.usize == nil {
			e.usize = u32(uint32(len(e.content)))
		}
		if e.csize == nil {
			e.csize = u32(uint32(len(e.data)))
		}
		if e.attrs == 0 {
			e.attrs = 0o100644 << 16
		}
		if e.sameDataAs > 0 {
			offsets[i] = offsets[e.sameDataAs-1]
			continue
		}
		offsets[i] = uint32(out.Len())
		var h [30]byte
		le.PutUint32(h[0:], 0x04034b50)
		le.PutUint16(h[4:], 20)
		le.PutUint16(h[6:], e.flags)
		le.PutUint16(h[8:], e.method)
		le.PutUint16(h[12:], 0x21) // 1980-01-01
		le.PutUint32(h[14:], *e.crc)
		le.PutUint32(h[18:], *e.csize)
		le.PutUint32(h[22:], *e.usize)
		le.PutUint16(h[26:], uint16(len(e.name)))
		out.Write(h[:])
		out.WriteString(e.name)
		out.Write(e.data)
	}
	cdStart := out.Len()
	for i, e := range entries {
		var h [46]byte
		le.PutUint32(h[0:], 0x02014b50)
		le.PutUint16(h[4:], 3<<8|20)
		le.PutUint16(h[6:], 20)
		le.PutUint16(h[8:], e.flags)
		le.PutUint16(h[10:], e.method)
		le.PutUint16(h[14:], 0x21)
		le.PutUint32(h[16:], *e.crc)
		le.PutUint32(h[20:], *e.csize)
		le.PutUint32(h[24:], *e.usize)
		le.PutUint16(h[28:], uint16(len(e.name)))
		le.PutUint32(h[38:], e.attrs)
		le.PutUint32(h[42:], offsets[i])
		out.Write(h[:])
		out.WriteString(e.name)
	}
	var end [22]byte
	le.PutUint32(end[0:], 0x06054b50)
	le.PutUint16(end[8:], uint16(len(entries)))
	le.PutUint16(end[10:], uint16(len(entries)))
	le.PutUint32(end[12:], uint32(out.Len()-cdStart))
	le.PutUint32(end[16:], uint32(cdStart))
	out.Write(end[:])
	return out.Bytes()
}

// file is a deflated regular file entry.
func file(name, content string) rawEntry {
	return rawEntry{name: name, content: []byte(content), method: 8}
}

// stored is a stored regular file entry.
func stored(name, content string) rawEntry {
	return rawEntry{name: name, content: []byte(content), method: 0}
}

// dir is a directory entry.
func dir(name string) rawEntry {
	return rawEntry{name: name, content: []byte{}, method: 0, attrs: 0o040755 << 16}
}

// fooWheel returns a zip with foo's dist-info plus entries, named foo-1.0-py3-none-any.whl in tests.
func fooWheel(entries ...rawEntry) []byte {
	return rawZip(append([]rawEntry{
		file("foo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n\n"),
		file("foo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
	}, entries...)...)
}

const fooName = "foo-1.0-py3-none-any.whl"
