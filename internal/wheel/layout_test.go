package wheel

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// hostileWheel is a wheel whose bytes two zip readers could read differently. Each is written byte by
// byte (archive/zip's writer would repair the defect).
type hostileWheel struct {
	name   string
	zip    []byte
	entry  string // the entry the error must name ("" = the archive as a whole)
	reason string
}

// a is the payload entry most cases tamper with.
func a(content string) rawEntry { return file("foo/a.py", content) }

func with(e rawEntry, f func(*rawEntry)) rawEntry { f(&e); return e }

// hostileWheels are refused by Open (the directory's structure) or Verify (local headers against it).
func hostileWheels() (atOpen, atVerify []hostileWheel) {
	body := strings.Repeat("print('hello')\n", 20)
	stub := []byte("#!/bin/sh\nexec python3 -m evil\n")
	fakeEnd := make([]byte, 22)
	binary.LittleEndian.PutUint32(fakeEnd, 0x06054b50)
	atOpen = []hostileWheel{
		{"prepended data", fooWheelWith(rawOptions{prefix: stub}, a(body)), "", "not where the end record says"},
		{"prepended data, offsets adjusted", fooWheelWith(rawOptions{prefix: stub, adjustOffsets: true}, a(body)), "", "before the first entry"},
		{"end record counts one entry fewer", fooWheelWith(rawOptions{count: u16(2)}, a(body)), "", "end record counts 2 entries, the central directory holds 3"},
		{"end record counts one entry more", fooWheelWith(rawOptions{count: u16(4)}, a(body)), "", "end record counts 4 entries"},
		{"directory size covers fewer records", fooWheelWith(rawOptions{cdSizeDelta: -54}, a(body)), "", "not where the end record says"},
		{"data after the end record", fooWheelWith(rawOptions{trailing: []byte("PK junk")}, a(body)), "", "after the end record"},
		{"second end record in the comment", fooWheelWith(rawOptions{comment: append(fakeEnd, "xyz"...)}, a(body)), "", "3 bytes after the end record where its comment says 0"},
		{"comment length too long", fooWheelWith(rawOptions{comment: []byte("xx"), commentLen: u16(1)}, a(body)), "", "after the end record"},
		{"zip64 count disagrees", fooWheelWith(rawOptions{zip64: true, zip64Count: u64(2)}, a(body)), "", "end record counts 2 entries"},
		// archive/zip compares only the low 16 bits of the count.
		{"zip64 count off by 65536", fooWheelWith(rawOptions{zip64: true, zip64Count: u64(3 + 1<<16)}, a(body)), "", "end record counts 65539 entries"},
		{"unicode path field", fooWheel(with(a(body), func(e *rawEntry) {
			e.centralExtra = unicodePath("evil.py")
		})), "", "Unicode Path"},
	}
	atVerify = []hostileWheel{
		{"local name", fooWheel(with(a(body), func(e *rawEntry) { e.localName = str("foo/b.py") })), "foo/a.py", `local header names "foo/b.py"`},
		{"local name, other length", fooWheel(with(a(body), func(e *rawEntry) { e.localName = str("foo/evil.py") })), "foo/a.py", `local header names "foo/evil.py"`},
		{"local method", fooWheel(with(stored("foo/a.py", body), func(e *rawEntry) { e.localMethod = u16(8) })), "foo/a.py", "compression method 8, central directory 0"},
		{"local flags", fooWheel(with(a(body), func(e *rawEntry) { e.localFlags = u16(0x800) })), "foo/a.py", "flags"},
		{"local encrypted flag", fooWheel(with(a(body), func(e *rawEntry) { e.localFlags = u16(1) })), "foo/a.py", "flags"},
		{"local CRC", fooWheel(with(a(body), func(e *rawEntry) { e.localCRC = u32(0xdeadbeef) })), "foo/a.py", "CRC-32 deadbeef"},
		{"local compressed size", fooWheel(with(a(body), func(e *rawEntry) { e.localCsize = u32(3) })), "foo/a.py", "compressed size 3"},
		{"local size", fooWheel(with(a(body), func(e *rawEntry) { e.localUsize = u32(1) })), "foo/a.py", "local header size 1"},
		{"descriptor CRC", fooWheel(with(a(body), func(e *rawEntry) { e.descriptor, e.descriptorCRC = true, u32(7) })), "foo/a.py", "data descriptor"},
		{"descriptor with wrong local size", fooWheel(with(a(body), func(e *rawEntry) { e.descriptor, e.localUsize = true, u32(9) })), "foo/a.py", "disagree"},
		{"shared local header", fooWheel(a(body), rawEntry{name: "foo/b.py", content: []byte(body), method: 8, sameDataAs: 3}), "foo/b.py", "overlaps"},
		{"local header inside another's data", fooWheel(file("foo/z.py", strings.Repeat("z", 500)), with(a(body), func(e *rawEntry) { e.offsetDelta = -40 })), "foo/a.py", "overlaps"},
		{"hidden bytes between entries", fooWheel(with(a(body), func(e *rawEntry) { e.before = []byte("PK\x03\x04 hidden entry") })), "foo/a.py", "bytes between entry"},
		{"hidden bytes before the directory", fooWheelWith(rawOptions{afterEntries: []byte("hidden")}, a(body)), "foo/a.py", "after the last entry"},
		{"local unicode path field", fooWheel(with(a(body), func(e *rawEntry) {
			e.localExtra = unicodePath("evil.py")
		})), "foo/a.py", "Unicode Path"},
	}
	return atOpen, atVerify
}

func u64(v uint64) *uint64 { return &v }

// unicodePath is an Info-ZIP Unicode Path extra field (0x7075): version 1, the header name's CRC-32
// (unchecked here), the name.
func unicodePath(name string) []byte {
	b := binary.LittleEndian.AppendUint16(nil, 0x7075)
	b = binary.LittleEndian.AppendUint16(b, uint16(5+len(name)))
	b = append(b, 1, 0, 0, 0, 0)
	return append(b, name...)
}

func TestLayoutRefused(t *testing.T) {
	t.Parallel()
	atOpen, atVerify := hostileWheels()
	check := func(tt hostileWheel, err error) {
		t.Helper()
		var ue *UnsafeEntryError
		if !errors.As(err, &ue) {
			t.Errorf("%s: error = %v; want *UnsafeEntryError", tt.name, err)
			return
		}
		if ue.Wheel != fooName || ue.Entry != tt.entry || !strings.Contains(ue.Reason, tt.reason) {
			t.Errorf("%s: got %+v; want entry %q, reason containing %q", tt.name, ue, tt.entry, tt.reason)
		}
		if !strings.Contains(err.Error(), fooName) || (tt.entry != "" && !strings.Contains(err.Error(), strconv.Quote(tt.entry))) {
			t.Errorf("%s: message %q does not name the wheel and entry", tt.name, err)
		}
	}
	for _, tt := range atOpen {
		_, err := open(t, tt.zip, fooName, Limits{})
		check(tt, err)
	}
	for _, tt := range atVerify {
		// archive/zip reads each of these without complaint: the differential is real.
		zr, err := zip.NewReader(bytes.NewReader(tt.zip), int64(len(tt.zip)))
		if err != nil {
			t.Errorf("%s: archive/zip refuses it already (%v); the case tests nothing", tt.name, err)
			continue
		}
		_ = zr
		a, err := open(t, tt.zip, fooName, Limits{})
		if err != nil {
			t.Errorf("%s: Open: %v (the case is meant for Verify)", tt.name, err)
			continue
		}
		err = a.Verify(context.Background())
		check(tt, err)
		if a.Verified() {
			t.Errorf("%s: Verified after a refusal", tt.name)
		}
	}
}

// TestLayoutAccepted: the well-formed variants of the same features pass.
func TestLayoutAccepted(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 300)
	for name, z := range map[string][]byte{
		"data descriptor":         fooWheel(with(a(body), func(e *rawEntry) { e.descriptor = true })),
		"stored, descriptor":      fooWheel(with(stored("foo/a.py", body), func(e *rawEntry) { e.descriptor = true })),
		"zip64 end record":        fooWheelWith(rawOptions{zip64: true}, a(body)),
		"comment":                 fooWheelWith(rawOptions{comment: []byte("built by hand")}, a(body)),
		"unicode path, same name": fooWheel(with(a(body), func(e *rawEntry) { e.centralExtra = unicodePath("foo/a.py") })),
		"directory entry":         fooWheel(dir("foo/"), a(body)),
	} {
		a, err := open(t, z, fooName, Limits{})
		if err == nil {
			err = a.Verify(context.Background())
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
