// Package tomlpos reads a TOML document into a tree in which every table, array element and value
// knows the line it starts on, so that lock-file and pyproject readers can point at the entry at
// fault. It builds on go-toml/v2, whose strict decoder validates the document and whose parser keeps
// each node's byte range (BurntSushi/toml keeps key positions unexported and one per key path, which
// cannot tell the entries of an array of tables apart). It interprets no schema.
package tomlpos

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Kind is the type of a Value.
type Kind int

// The kinds of values. Dates and times are kept as their text.
const (
	String Kind = iota
	Integer
	Float
	Bool
	Datetime
	Array
	Table
)

func (k Kind) String() string {
	return [...]string{"string", "integer", "float", "boolean", "datetime", "array", "table"}[k]
}

// Value is a node of the tree.
type Value struct {
	Kind Kind
	Line int    // 1-based line where the value (or table header) starts
	Text string // String: the decoded string; other scalars: as written
	Int  int64
	Bool bool
	// Items are an array's elements, and the tables of an array of tables.
	Items []*Value
	// Keys are a table's keys in document order; Fields holds their values.
	Keys   []string
	Fields map[string]*Value
}

// Error is a document that is not valid TOML.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Parse validates data as TOML and returns its root table.
func Parse(data []byte) (root *Value, err error) {
	var probe map[string]any
	if err := toml.Unmarshal(data, &probe); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, &Error{Line: row, Msg: de.Error()}
		}
		return nil, &Error{Line: 1, Msg: err.Error()}
	}
	// The decoder accepted the document, so the tree below cannot meet a redefinition; the guards
	// only keep a disagreement between the two from panicking.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &Error{Line: 1, Msg: fmt.Sprint("unsupported TOML: ", r)}
		}
	}()
	b := &builder{data: data}
	b.p.Reset(data)
	root = newTable(1)
	cur := root
	for b.p.NextExpression() {
		e := b.p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			if err := b.setKeyValue(cur, e); err != nil {
				return nil, err
			}
		case unstable.Table:
			keys, line := b.keys(e.Key())
			t, err := b.walk(root, keys, line)
			if err != nil {
				return nil, err
			}
			t.Line = line
			cur = t
		case unstable.ArrayTable:
			keys, line := b.keys(e.Key())
			parent, err := b.walk(root, keys[:len(keys)-1], line)
			if err != nil {
				return nil, err
			}
			last := keys[len(keys)-1]
			arr := parent.Fields[last]
			if arr == nil {
				arr = &Value{Kind: Array, Line: line}
				parent.set(last, arr)
			}
			if arr.Kind != Array {
				return nil, &Error{Line: line, Msg: fmt.Sprintf("%s is not an array of tables", strings.Join(keys, "."))}
			}
			t := newTable(line)
			arr.Items = append(arr.Items, t)
			cur = t
		}
	}
	if err := b.p.Error(); err != nil {
		return nil, &Error{Line: 1, Msg: err.Error()}
	}
	return root, nil
}

type builder struct {
	data []byte
	p    unstable.Parser
}

func newTable(line int) *Value { return &Value{Kind: Table, Line: line, Fields: map[string]*Value{}} }

func (t *Value) set(k string, v *Value) {
	if _, ok := t.Fields[k]; !ok {
		t.Keys = append(t.Keys, k)
	}
	t.Fields[k] = v
}

func (b *builder) line(r unstable.Range) int {
	return bytes.Count(b.data[:min(int(r.Offset), len(b.data))], []byte("\n")) + 1
}

func (b *builder) keys(it unstable.Iterator) ([]string, int) {
	var keys []string
	line := 0
	for it.Next() {
		n := it.Node()
		if line == 0 {
			line = b.line(n.Raw)
		}
		keys = append(keys, string(n.Data))
	}
	return keys, line
}

// walk descends from t through keys, creating tables, and into the last table of an array of tables.
func (b *builder) walk(t *Value, keys []string, line int) (*Value, error) {
	for _, k := range keys {
		next := t.Fields[k]
		if next == nil {
			next = newTable(line)
			t.set(k, next)
		}
		if next.Kind == Array && len(next.Items) > 0 && next.Items[len(next.Items)-1].Kind == Table {
			next = next.Items[len(next.Items)-1]
		}
		if next.Kind != Table {
			return nil, &Error{Line: line, Msg: fmt.Sprintf("%s is not a table", k)}
		}
		t = next
	}
	return t, nil
}

func (b *builder) setKeyValue(t *Value, e *unstable.Node) error {
	keys, line := b.keys(e.Key())
	if len(keys) == 0 {
		return &Error{Line: line, Msg: "empty key"}
	}
	parent, err := b.walk(t, keys[:len(keys)-1], line)
	if err != nil {
		return err
	}
	v, err := b.value(e.Value(), b.line(e.Raw))
	if err != nil {
		return err
	}
	parent.set(keys[len(keys)-1], v)
	return nil
}

// value converts a value node; line is where its key-value starts, for nodes without a range.
func (b *builder) value(n *unstable.Node, line int) (*Value, error) {
	if n.Raw.Length > 0 || n.Kind == unstable.String {
		line = b.line(n.Raw)
	}
	switch n.Kind {
	case unstable.String:
		return &Value{Kind: String, Line: line, Text: string(n.Data)}, nil
	case unstable.Bool:
		return &Value{Kind: Bool, Line: line, Text: string(n.Data), Bool: string(n.Data) == "true"}, nil
	case unstable.Integer:
		s := strings.ReplaceAll(string(n.Data), "_", "")
		i, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return nil, &Error{Line: line, Msg: fmt.Sprintf("integer %s: %v", n.Data, err)}
		}
		return &Value{Kind: Integer, Line: line, Text: string(n.Data), Int: i}, nil
	case unstable.Float:
		return &Value{Kind: Float, Line: line, Text: string(n.Data)}, nil
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return &Value{Kind: Datetime, Line: line, Text: string(n.Data)}, nil
	case unstable.Array:
		arr := &Value{Kind: Array, Line: line}
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			v, err := b.value(c, line)
			if err != nil {
				return nil, err
			}
			arr.Items = append(arr.Items, v)
		}
		return arr, nil
	case unstable.InlineTable:
		t := newTable(line)
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind != unstable.KeyValue {
				continue
			}
			if err := b.setKeyValue(t, c); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	return nil, &Error{Line: line, Msg: fmt.Sprintf("unexpected %s", n.Kind)}
}

// Get returns the value at a key of a table, nil when v is not a table or lacks the key.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Table {
		return nil
	}
	return v.Fields[key]
}

// Path follows keys through nested tables: Path("tool", "poetry", "dependencies").
func (v *Value) Path(keys ...string) *Value {
	for _, k := range keys {
		v = v.Get(k)
	}
	return v
}

// Str is the string at key, "" when absent or not a string.
func (v *Value) Str(key string) string {
	if s := v.Get(key); s != nil && s.Kind == String {
		return s.Text
	}
	return ""
}

// List is an array's elements; nil when v is nil or not an array.
func (v *Value) List() []*Value {
	if v == nil || v.Kind != Array {
		return nil
	}
	return v.Items
}

// TableKeys are a table's keys in document order; nil when v is nil or not a table.
func (v *Value) TableKeys() []string {
	if v == nil || v.Kind != Table {
		return nil
	}
	return v.Keys
}
