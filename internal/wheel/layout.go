package wheel

import (
	"archive/zip"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// The zip's own structure, read here independently of archive/zip. Readers disagree on malformed
// archives: archive/zip finds the central directory by its offset (shifting everything when data was
// prepended), checks only the low 16 bits of the entry count and reads records until one does not parse;
// Python's zipfile (pip) reads as many records as the directory's size says; a streaming unzip walks the
// local headers from the start of the file and never looks at the directory. A wheel is accepted only when
// all of them must see the same entries: one end record that ends the file, a directory that fills exactly
// the space before it with exactly the counted records, and local headers that agree with their directory
// records and tile the file from byte 0 to the directory with nothing between, before or overlapping.

const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigEnd64      = 0x06064b50
	sigLocator64  = 0x07064b50
	sigDescriptor = 0x08074b50

	endLen       = 22
	locator64Len = 20
	localLen     = 30
	centralLen   = 46

	extraZip64       = 0x0001
	extraUnicodePath = 0x7075
)

var le = binary.LittleEndian

// record is what the central directory says about one entry, as this file read it.
type record struct {
	name          string
	flags, method uint16
	crc           uint32
	csize, usize  uint64
	offset        int64 // of the local header
}

// directory is the archive's central directory.
type directory struct {
	records []record
	start   int64 // offset of the first central record; the local entries must end here
}

// readDirectory reads the end record(s) and the central directory. It returns a reason to refuse the
// archive, or "".
func readDirectory(r io.ReaderAt, size int64) (directory, string) {
	var d directory
	tailLen := min(size, endLen+0xffff)
	tail := make([]byte, tailLen)
	if _, err := r.ReadAt(tail, size-tailLen); err != nil && err != io.EOF {
		return d, "reading the end record: " + err.Error()
	}
	i := -1
	for j := len(tail) - endLen; j >= 0; j-- {
		if le.Uint32(tail[j:]) == sigEnd {
			i = j
			break
		}
	}
	if i < 0 {
		return d, "no end of central directory record"
	}
	end := tail[i:]
	if commentLen := int(le.Uint16(end[20:])); endLen+commentLen != len(end) {
		return d, fmt.Sprintf("%d bytes after the end record where its comment says %d (data appended, or a second end record inside the comment)", len(end)-endLen, commentLen)
	}
	endOff := size - tailLen + int64(i)
	if le.Uint16(end[4:]) != 0 || le.Uint16(end[6:]) != 0 {
		return d, "multi-disk archive"
	}
	onDisk, total := uint64(le.Uint16(end[8:])), uint64(le.Uint16(end[10:]))
	cdSize, cdOff := uint64(le.Uint32(end[12:])), uint64(le.Uint32(end[16:]))
	cdEnd := endOff
	// Python looks for a zip64 locator whatever the end record holds; archive/zip only when a field is
	// saturated. Where both exist they must agree.
	if endOff >= locator64Len {
		var loc [locator64Len]byte
		if _, err := r.ReadAt(loc[:], endOff-locator64Len); err != nil {
			return d, "reading the zip64 locator: " + err.Error()
		}
		if le.Uint32(loc[:]) == sigLocator64 {
			if le.Uint32(loc[4:]) != 0 || le.Uint32(loc[16:]) > 1 {
				return d, "multi-disk archive"
			}
			off64 := le.Uint64(loc[8:])
			if off64 > uint64(endOff-locator64Len) || uint64(endOff-locator64Len)-off64 < 56 {
				return d, "zip64 end record outside the archive"
			}
			var e64 [56]byte
			if _, err := r.ReadAt(e64[:], int64(off64)); err != nil {
				return d, "reading the zip64 end record: " + err.Error()
			}
			if le.Uint32(e64[:]) != sigEnd64 {
				return d, "zip64 locator does not point at a zip64 end record"
			}
			if off64+12+le.Uint64(e64[4:]) != uint64(endOff-locator64Len) {
				return d, "zip64 end record does not end where its locator starts"
			}
			if le.Uint32(e64[16:]) != 0 || le.Uint32(e64[20:]) != 0 {
				return d, "multi-disk archive"
			}
			on64, total64, size64, off := le.Uint64(e64[24:]), le.Uint64(e64[32:]), le.Uint64(e64[40:]), le.Uint64(e64[48:])
			if (onDisk != 0xffff && onDisk != on64) || (total != 0xffff && total != total64) ||
				(cdSize != 0xffffffff && cdSize != size64) || (cdOff != 0xffffffff && cdOff != off) {
				return d, "end record and zip64 end record disagree"
			}
			onDisk, total, cdSize, cdOff = on64, total64, size64, off
			cdEnd = int64(off64)
		}
	}
	if onDisk != total {
		return d, "multi-disk archive"
	}
	// No base offset: archive/zip and Python both "repair" a directory that is not where the end record
	// says (data prepended to the archive), each in its own way.
	if cdOff > uint64(cdEnd) || cdSize != uint64(cdEnd)-cdOff {
		return d, fmt.Sprintf("central directory is not where the end record says (offset %d, size %d, but it ends at %d): data was added before or inside the archive", cdOff, cdSize, cdEnd)
	}
	d.start = int64(cdOff)
	cd := make([]byte, cdSize)
	if _, err := r.ReadAt(cd, d.start); err != nil && err != io.EOF {
		return d, "reading the central directory: " + err.Error()
	}
	if total > uint64(len(cd)/centralLen) {
		return d, fmt.Sprintf("end record counts %d entries, the central directory holds at most %d", total, len(cd)/centralLen)
	}
	d.records = make([]record, 0, total)
	for p := 0; p < len(cd); {
		if len(cd)-p < centralLen || le.Uint32(cd[p:]) != sigCentral {
			return d, fmt.Sprintf("central directory record %d is malformed", len(d.records)+1)
		}
		h := cd[p : p+centralLen]
		n, m, k := int(le.Uint16(h[28:])), int(le.Uint16(h[30:])), int(le.Uint16(h[32:]))
		if len(cd)-p-centralLen < n+m+k {
			return d, fmt.Sprintf("central directory record %d is malformed", len(d.records)+1)
		}
		rec := record{
			name:  string(cd[p+centralLen : p+centralLen+n]),
			flags: le.Uint16(h[8:]), method: le.Uint16(h[10:]), crc: le.Uint32(h[16:]),
			csize: uint64(le.Uint32(h[20:])), usize: uint64(le.Uint32(h[24:])), offset: int64(le.Uint32(h[42:])),
		}
		extra := cd[p+centralLen+n : p+centralLen+n+m]
		disk := uint32(le.Uint16(h[34:]))
		if z, ok := findExtra(extra, extraZip64); ok {
			// Only the saturated fields are present, in this order.
			if rec.usize == 0xffffffff && len(z) >= 8 {
				rec.usize, z = le.Uint64(z), z[8:]
			}
			if rec.csize == 0xffffffff && len(z) >= 8 {
				rec.csize, z = le.Uint64(z), z[8:]
			}
			if uint32(rec.offset) == 0xffffffff && len(z) >= 8 {
				rec.offset, z = int64(le.Uint64(z)&(1<<63-1)), z[8:]
			}
			if disk == 0xffff && len(z) >= 4 {
				disk = le.Uint32(z)
			}
		}
		if disk != 0 {
			return d, fmt.Sprintf("entry %q: multi-disk archive", rec.name)
		}
		if reason := checkUnicodePath(rec.name, extra); reason != "" {
			return d, fmt.Sprintf("entry %q: %s", rec.name, reason)
		}
		d.records = append(d.records, rec)
		p += centralLen + n + m + k
	}
	if uint64(len(d.records)) != total {
		return d, fmt.Sprintf("end record counts %d entries, the central directory holds %d", total, len(d.records))
	}
	return d, ""
}

// findExtra returns the data of the first extra field with the given id.
func findExtra(extra []byte, id uint16) ([]byte, bool) {
	for len(extra) >= 4 {
		tag, n := le.Uint16(extra), int(le.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			return nil, false
		}
		if tag == id {
			return extra[:n], true
		}
		extra = extra[n:]
	}
	return nil, false
}

// checkUnicodePath refuses an Info-ZIP Unicode Path field naming another path than the header: unzip and
// 7-Zip take the field's name, Python and Go the header's.
func checkUnicodePath(name string, extra []byte) string {
	if u, ok := findExtra(extra, extraUnicodePath); ok {
		if len(u) < 5 || string(u[5:]) != name {
			return "Unicode Path extra field names another path than the header"
		}
	}
	return ""
}

// checkDirectory compares the directory as read here with archive/zip's reading, entry by entry, and
// checks that the first local header is at the start of the file.
func checkDirectory(d directory, files []*zip.File, wheel string) error {
	if len(d.records) != len(files) {
		return &UnsafeEntryError{Wheel: wheel, Reason: fmt.Sprintf("the central directory holds %d entries, archive/zip read %d", len(d.records), len(files))}
	}
	first := int64(-1)
	for i, rec := range d.records {
		f := files[i]
		if rec.name != f.Name || rec.method != f.Method || rec.flags != f.Flags || rec.crc != f.CRC32 ||
			rec.csize != f.CompressedSize64 || rec.usize != f.UncompressedSize64 {
			return &UnsafeEntryError{Wheel: wheel, Entry: f.Name, Reason: fmt.Sprintf("central directory record %d reads differently to another zip reader", i+1)}
		}
		if first < 0 || rec.offset < first {
			first = rec.offset
		}
	}
	if first > 0 {
		return &UnsafeEntryError{Wheel: wheel, Reason: fmt.Sprintf("%d bytes before the first entry, which a reader would skip", first)}
	}
	return nil
}

// checkLocalHeaders reads every local header and data descriptor and compares it with its central record:
// name, flags, compression method, CRC-32 and sizes must agree, and the entries must tile the file from 0
// to the central directory.
func checkLocalHeaders(r io.ReaderAt, size int64, d directory, wheel string) error {
	recs := slices.Clone(d.records)
	slices.SortStableFunc(recs, func(x, y record) int { return cmp.Compare(x.offset, y.offset) })
	next, prev := int64(0), ""
	for _, rec := range recs {
		switch {
		case rec.offset < next:
			return &UnsafeEntryError{Wheel: wheel, Entry: rec.name, Reason: fmt.Sprintf("local header at %d overlaps entry %q, which ends at %d", rec.offset, prev, next)}
		case rec.offset > next && prev == "":
			return &UnsafeEntryError{Wheel: wheel, Entry: rec.name, Reason: fmt.Sprintf("%d bytes before the first entry, which a reader would skip", rec.offset)}
		case rec.offset > next:
			return &UnsafeEntryError{Wheel: wheel, Entry: rec.name, Reason: fmt.Sprintf("%d bytes between entry %q and this one, which a reader would skip", rec.offset-next, prev)}
		}
		end, reason := readLocal(r, d.start, rec)
		if reason != "" {
			return &UnsafeEntryError{Wheel: wheel, Entry: rec.name, Reason: reason}
		}
		next, prev = end, rec.name
	}
	if next != d.start {
		return &UnsafeEntryError{Wheel: wheel, Entry: prev, Reason: fmt.Sprintf("%d bytes after the last entry, before the central directory, which a reader would skip", d.start-next)}
	}
	return nil
}

// readLocal reads one entry's local header (and data descriptor) and returns where the entry ends, or why
// it is refused. limit is the start of the central directory.
func readLocal(r io.ReaderAt, limit int64, rec record) (end int64, reason string) {
	var sp struct{ end int64 }
	if rec.offset < 0 || rec.offset > limit-localLen {
		return sp.end, fmt.Sprintf("local header offset %d is outside the entries' data", rec.offset)
	}
	var h [localLen]byte
	if _, err := r.ReadAt(h[:], rec.offset); err != nil {
		return sp.end, "reading local header: " + err.Error()
	}
	if le.Uint32(h[:]) != sigLocal {
		return sp.end, fmt.Sprintf("no local header at offset %d", rec.offset)
	}
	n, m := int64(le.Uint16(h[26:])), int64(le.Uint16(h[28:]))
	dataStart := rec.offset + localLen + n + m
	if dataStart > limit {
		return sp.end, "local header runs into the central directory"
	}
	nameExtra := make([]byte, n+m)
	if _, err := r.ReadAt(nameExtra, rec.offset+localLen); err != nil {
		return sp.end, "reading local header: " + err.Error()
	}
	name, extra := string(nameExtra[:n]), nameExtra[n:]
	flags, method := le.Uint16(h[6:]), le.Uint16(h[8:])
	crc, csize, usize := le.Uint32(h[14:]), uint64(le.Uint32(h[18:])), uint64(le.Uint32(h[22:]))
	switch {
	case name != rec.name:
		return sp.end, fmt.Sprintf("local header names %q", name)
	case flags != rec.flags:
		return sp.end, fmt.Sprintf("local header flags %#04x, central directory %#04x", flags, rec.flags)
	case method != rec.method:
		return sp.end, fmt.Sprintf("local header compression method %d, central directory %d", method, rec.method)
	}
	if reason := checkUnicodePath(rec.name, extra); reason != "" {
		return sp.end, "local header's " + reason
	}
	zip64 := false
	if z, ok := findExtra(extra, extraZip64); ok && (csize == 0xffffffff || usize == 0xffffffff) {
		// In a local header the zip64 field holds both sizes, uncompressed first.
		if len(z) < 16 {
			return sp.end, "local header's zip64 extra field is too short"
		}
		usize, csize, zip64 = le.Uint64(z), le.Uint64(z[8:]), true
	}
	if rec.csize > uint64(limit-dataStart) {
		return sp.end, "data runs into the central directory"
	}
	sp.end = dataStart + int64(rec.csize)
	declared := func(what string, local, central uint64) string {
		return fmt.Sprintf("local header %s %d, central directory %d", what, local, central)
	}
	if rec.flags&0x8 == 0 {
		switch {
		case crc != rec.crc:
			return sp.end, fmt.Sprintf("local header CRC-32 %08x, central directory %08x", crc, rec.crc)
		case csize != rec.csize:
			return sp.end, declared("compressed size", csize, rec.csize)
		case usize != rec.usize:
			return sp.end, declared("size", usize, rec.usize)
		}
		return sp.end, ""
	}
	// A data descriptor follows the data; the local header's fields are zero (or, from some writers, the
	// true values). The descriptor must repeat the central record.
	for _, v := range []struct{ local, central uint64 }{{uint64(crc), uint64(rec.crc)}, {csize, rec.csize}, {usize, rec.usize}} {
		if v.local != 0 && v.local != v.central && !(zip64 && v.local == 0xffffffff) {
			return sp.end, "local header and central directory disagree on the entry's CRC-32 or sizes"
		}
	}
	var desc [24]byte
	k, _ := r.ReadAt(desc[:min(int64(len(desc)), limit-sp.end)], sp.end)
	b := desc[:k]
	width := 4
	if zip64 || rec.csize >= 0xffffffff || rec.usize >= 0xffffffff {
		width = 8
	}
	parse := func(b []byte) (crc uint32, csize, usize uint64, n int64, ok bool) {
		if len(b) < 4+2*width {
			return 0, 0, 0, 0, false
		}
		crc = le.Uint32(b)
		if width == 8 {
			return crc, le.Uint64(b[4:]), le.Uint64(b[12:]), 20, true
		}
		return crc, uint64(le.Uint32(b[4:])), uint64(le.Uint32(b[8:])), 12, true
	}
	match := func(c uint32, cs, us uint64, ok bool) bool {
		return ok && c == rec.crc && cs == rec.csize && us == rec.usize
	}
	if len(b) >= 4 && le.Uint32(b) == sigDescriptor {
		if c, cs, us, n, ok := parse(b[4:]); match(c, cs, us, ok) {
			sp.end += 4 + n
			return sp.end, ""
		}
	}
	if c, cs, us, n, ok := parse(b); match(c, cs, us, ok) {
		sp.end += n
		return sp.end, ""
	}
	return sp.end, "data descriptor is missing or disagrees with the central directory"
}
