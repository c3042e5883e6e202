package fetch

import (
	"bytes"
	"testing"
)

// FuzzParseRecord: parseRecord never panics; what it accepts is written back the same by formatRecord.
func FuzzParseRecord(f *testing.F) {
	f.Add(formatRecord([]byte("Metadata-Version: 2.1\nName: a\n"), true))
	f.Add(formatRecord(nil, true))
	f.Add(formatRecord([]byte{}, false))
	f.Add([]byte(`{"verified":true,"metadata":3}` + "\nab"))
	f.Add([]byte(`{"verified":1}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		meta, verified, err := parseRecord(data)
		if err != nil {
			return
		}
		m2, v2, err := parseRecord(formatRecord(meta, verified))
		if err != nil || v2 != verified || !bytes.Equal(m2, meta) || (m2 == nil) != (meta == nil) {
			t.Fatalf("%q: parsed (%q, %v), written and parsed again (%q, %v, %v)", data, meta, verified, m2, v2, err)
		}
	})
}
