package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const schemaPath = "../../schema/lambda-layers.schema.json"

func compileSchema(t *testing.T) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("lambda-layers.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("lambda-layers.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	json.Unmarshal(data, &raw)
	return s, raw
}

// asJSON reads a YAML file as the JSON value an editor's schema validation sees.
func asJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return yamlAsJSON(t, path, data)
}

func yamlAsJSON(t *testing.T, path string, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSchemaAgreesWithParser: the shipped JSON Schema accepts every example the parser accepts and
// rejects the invalid ones (except the few rules a schema cannot say, marked "# schema: accepts").
func TestSchemaAgreesWithParser(t *testing.T) {
	s, _ := compileSchema(t)
	valid, _ := filepath.Glob(filepath.Join(testdata, "valid", "*.yml"))
	for _, f := range valid {
		if err := s.Validate(asJSON(t, f)); err != nil {
			t.Errorf("the schema rejects %s:\n%v", f, err)
		}
	}
	if err := s.Validate(yamlAsJSON(t, "docs/action.md", docsExample(t))); err != nil {
		t.Errorf("the schema rejects the example in docs/action.md:\n%v", err)
	}
	invalid, _ := filepath.Glob(filepath.Join(testdata, "invalid", "*.yml"))
	for _, f := range invalid {
		v := asJSON(t, f)
		if v == nil {
			continue // not YAML at all
		}
		data, _ := os.ReadFile(f)
		accepts := strings.HasPrefix(string(data), "# schema: accepts")
		err := s.Validate(v)
		if accepts && err != nil {
			t.Errorf("%s is marked as one the schema accepts, but it rejects it: %v", f, err)
		}
		if !accepts && err == nil {
			t.Errorf("the schema accepts %s, which the parser rejects", f)
		}
	}
}

// TestSchemaKnowsEveryKey: each mapping's keys in the schema are exactly the parser's.
func TestSchemaKnowsEveryKey(t *testing.T) {
	_, raw := compileSchema(t)
	defs := raw["$defs"].(map[string]any)
	props := func(obj any) []string {
		var keys []string
		for k := range obj.(map[string]any)["properties"].(map[string]any) {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	layer := defs["layer"].(map[string]any)
	for _, tc := range []struct {
		name   string
		schema any
		keys   []string
	}{
		{"top", raw, topKeys},
		{"layer", layer, layerKeys},
		{"budget", layer["properties"].(map[string]any)["budget"], budgetKeys},
		{"aws", defs["aws"], awsKeys},
		{"permission", defs["permission"], permissionKeys},
		{"report", defs["report"], reportKeys},
		{"function", defs["function"], functionKeys},
		{"oci", defs["oci"], ociKeys},
	} {
		want := slices.Sorted(slices.Values(tc.keys))
		if got := props(tc.schema); !slices.Equal(got, want) {
			t.Errorf("%s: schema keys %v, parser keys %v", tc.name, got, want)
		}
	}
	failOn := defs["report"].(map[string]any)["properties"].(map[string]any)["fail-on"].(map[string]any)["enum"].([]any)
	var got []string
	for _, v := range failOn {
		got = append(got, v.(string))
	}
	if !slices.Equal(got, FailOnValues) {
		t.Errorf("fail-on: schema %v, parser %v", got, FailOnValues)
	}
}
