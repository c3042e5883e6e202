// Package sbomtest validates SBOMs against the CycloneDX 1.6 JSON schema vendored in
// internal/sbom/testdata/schema, for the tests of any package; the product itself never loads the schema.
package sbomtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Validate checks data against the vendored CycloneDX 1.6 JSON schema (bom-1.6.schema.json and the spdx
// and jsf schemas it references), with formats asserted.
func Validate(data []byte) error {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return fmt.Errorf("locating the vendored schema")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "testdata", "schema")
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("reading schema: %w", err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("parsing %s: %w", name, err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+name, doc); err != nil {
			return fmt.Errorf("loading %s: %w", name, err)
		}
	}
	s, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		return fmt.Errorf("compiling the CycloneDX schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("parsing SBOM: %w", err)
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("validating SBOM: %w", err)
	}
	return nil
}
