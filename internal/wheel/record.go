package wheel

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// rewriteRecord applies Install's mapping to a RECORD file (CSV: path, hash, size): rows of removed
// entries are left out, rows of moved entries get the installed path; every other row, the RECORD row
// itself included, stays as it was. Hashes are the wheel's own: re-hashing would mean inflating every
// entry, and the layer copies exactly the bytes those hashes describe. The output is a function of the
// input alone, so it is as reproducible as the wheel.
func rewriteRecord(data []byte, moved map[string]string, removed map[string]bool) ([]byte, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // rows have 3 fields, but a stray row is not worth failing an install
	r.ReuseRecord = true
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parsing RECORD: %w", err)
		}
		if len(row) == 0 || removed[row[0]] {
			continue
		}
		if to, ok := moved[row[0]]; ok {
			row[0] = to
		}
		if err := w.Write(row); err != nil {
			return nil, fmt.Errorf("writing RECORD: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("writing RECORD: %w", err)
	}
	return out.Bytes(), nil
}
