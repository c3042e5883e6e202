package fetch

import (
	"bytes"
	"testing"
)

// FuzzRecord: parseRecord never panics; what it accepts is written back the same by formatRecord.
func FuzzRecord(f *testing.F) {
	f.Add(formatRecord([]byte("Metadata-Version: 2.1\nName: a\n"), &stamp{size: 1234, mtime: 1}))
	f.Add(formatRecord(nil, &stamp{}))
	f.Add(formatRecord([]byte{}, nil))
	f.Add([]byte{recordVerified, 'x'})
	f.Add([]byte{recordVerified | recordMetadata, 'M'}) // written before stamps
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		meta, verified, err := parseRecord(data)
		if err != nil {
			return
		}
		if again := formatRecord(meta, verified); !bytes.Equal(again, data) {
			t.Fatalf("%q: parsed (%q, %+v), written back as %q", data, meta, verified, again)
		}
	})
}
