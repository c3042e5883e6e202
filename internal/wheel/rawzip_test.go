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

	// What the local header says when it differs from the central record.
	localName                        *string
	localMethod, localFlags          *uint16
	localCRC, localCsize, localUsize *uint32
	// descriptor writes a data descriptor after the data (flag bit 3); descriptorCRC overrides its CRC.
	descriptor    bool
	descriptorCRC *uint32
	// before is written just before this entry's local header (bytes no directory record covers).
	before []byte
	// centralExtra and localExtra are the headers' extra fields.
	centralExtra, localExtra []byte
	// offsetDelta moves the central record's local header offset.
	offsetDelta int
}

// rawOptions change the archive around the entries.
type rawOptions struct {
	prefix        []byte // written before the first entry
	adjustOffsets bool   // count the prefix in the offsets, as "zip -A" does
	afterEntries  []byte // written between the last entry and the central directory
	count         *uint16
	cdSizeDelta   int
	comment       []byte
	commentLen    *uint16
	trailing      []byte // written after the end record
	zip64         bool   // write a zip64 end record and locator, with saturated fields in the end record
	zip64Count    *uint64
}

func u16(v uint16) *uint16 { return &v }
func str(s string) *string { return &s }

func u32(v uint32) *uint32 { return &v }

func deflate(p []byte) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

// rawZip assembles a zip file from entries.
func rawZip(entries ...rawEntry) []byte { return rawZipWith(rawOptions{}, entries...) }

// rawZipWith assembles a zip file from entries, as opts say.
func rawZipWith(opts rawOptions, entries ...rawEntry) []byte {
	var out bytes.Buffer
	le := binary.LittleEndian
	out.Write(opts.prefix)
	base := 0
	if !opts.adjustOffsets {
		base = len(opts.prefix)
	}
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
		if e.descriptor {
			e.flags |= 0x8
		}
		out.Write(e.before)
		offsets[i] = uint32(out.Len() - base)
		name, method, flags, crc, csize, usize := e.name, e.method, e.flags, *e.crc, *e.csize, *e.usize
		if e.descriptor {
			crc, csize, usize = 0, 0, 0
		}
		for _, o := range []struct {
			dst *uint32
			src *uint32
		}{{&crc, e.localCRC}, {&csize, e.localCsize}, {&usize, e.localUsize}} {
			if o.src != nil {
				*o.dst = *o.src
			}
		}
		if e.localName != nil {
			name = *e.localName
		}
		if e.localMethod != nil {
			method = *e.localMethod
		}
		if e.localFlags != nil {
			flags = *e.localFlags
		}
		var h [30]byte
		le.PutUint32(h[0:], 0x04034b50)
		le.PutUint16(h[4:], 20)
		le.PutUint16(h[6:], flags)
		le.PutUint16(h[8:], method)
		le.PutUint16(h[12:], 0x21) // 1980-01-01
		le.PutUint32(h[14:], crc)
		le.PutUint32(h[18:], csize)
		le.PutUint32(h[22:], usize)
		le.PutUint16(h[26:], uint16(len(name)))
		le.PutUint16(h[28:], uint16(len(e.localExtra)))
		out.Write(h[:])
		out.WriteString(name)
		out.Write(e.localExtra)
		out.Write(e.data)
		if e.descriptor {
			var d [16]byte
			dcrc := *e.crc
			if e.descriptorCRC != nil {
				dcrc = *e.descriptorCRC
			}
			le.PutUint32(d[0:], 0x08074b50)
			le.PutUint32(d[4:], dcrc)
			le.PutUint32(d[8:], *e.csize)
			le.PutUint32(d[12:], *e.usize)
			out.Write(d[:])
		}
	}
	out.Write(opts.afterEntries)
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
		le.PutUint16(h[30:], uint16(len(e.centralExtra)))
		le.PutUint32(h[38:], e.attrs)
		le.PutUint32(h[42:], uint32(int(offsets[i])+e.offsetDelta))
		out.Write(h[:])
		out.WriteString(e.name)
		out.Write(e.centralExtra)
	}
	count, cdSize, cdOff := uint16(len(entries)), uint32(out.Len()-cdStart+opts.cdSizeDelta), uint32(cdStart-base)
	if opts.count != nil {
		count = *opts.count
	}
	if opts.zip64 {
		count64 := uint64(count)
		if opts.zip64Count != nil {
			count64 = *opts.zip64Count
		}
		e64Off := out.Len() - base
		var e64 [56]byte
		le.PutUint32(e64[0:], 0x06064b50)
		le.PutUint64(e64[4:], 44)
		le.PutUint16(e64[12:], 45)
		le.PutUint16(e64[14:], 45)
		le.PutUint64(e64[24:], count64)
		le.PutUint64(e64[32:], count64)
		le.PutUint64(e64[40:], uint64(cdSize))
		le.PutUint64(e64[48:], uint64(cdOff))
		out.Write(e64[:])
		var loc [20]byte
		le.PutUint32(loc[0:], 0x07064b50)
		le.PutUint64(loc[8:], uint64(e64Off))
		le.PutUint32(loc[16:], 1)
		out.Write(loc[:])
		count, cdSize, cdOff = 0xffff, 0xffffffff, 0xffffffff
	}
	var end [22]byte
	le.PutUint32(end[0:], 0x06054b50)
	le.PutUint16(end[8:], count)
	le.PutUint16(end[10:], count)
	le.PutUint32(end[12:], cdSize)
	le.PutUint32(end[16:], cdOff)
	commentLen := uint16(len(opts.comment))
	if opts.commentLen != nil {
		commentLen = *opts.commentLen
	}
	le.PutUint16(end[20:], commentLen)
	out.Write(end[:])
	out.Write(opts.comment)
	out.Write(opts.trailing)
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
func fooWheel(entries ...rawEntry) []byte { return fooWheelWith(rawOptions{}, entries...) }

// fooWheelWith is fooWheel with options for the archive around the entries.
func fooWheelWith(opts rawOptions, entries ...rawEntry) []byte {
	return rawZipWith(opts, append([]rawEntry{
		file("foo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n\n"),
		file("foo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
	}, entries...)...)
}

const fooName = "foo-1.0-py3-none-any.whl"
