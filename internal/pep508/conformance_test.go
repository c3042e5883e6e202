package pep508

// Conformance against packaging 26.x, from testdata/conformance (vendored; see its README.md).
//
// Every case of markers.json and requirements.json is run; none is skipped. Where a case omits
// environment keys, packaging fills them from the running interpreter; here they come from
// defaultTestEnv (Linux CPython 3.12), which the README says gives the same answers.
// Evaluation contexts ("lock_file", "requirement") and set-valued keys ("extras",
// "dependency_groups") map to EvalOptions.Context and EvalOptions.Sets.
//
// Exceptions: none. Error wording for invalid requirements is optional by the data's own terms
// and is only logged, except that where the reason matches packaging's, the caret must too.
// One reason deliberately differs: a dangling operator ("name==") is reported as
// `expected version after "=="` rather than packaging's "Expected semicolon ... or end".

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/pep440"
)

const conformanceDir = "../../testdata/conformance" // vendored: see testdata/conformance/README.md

func loadConformance(t *testing.T, name string, v any) {
	t.Helper()
	if _, err := os.Stat(conformanceDir); err != nil {
		t.Fatalf("conformance data missing (vendored with the repository): %v", err)
	}
	b, err := os.ReadFile(filepath.Join(conformanceDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// defaultTestEnv stands in for the interpreter packaging's tests ran on.
func defaultTestEnv() Env {
	return Env{
		"implementation_name":            "cpython",
		"implementation_version":         "3.12.3",
		"os_name":                        "posix",
		"platform_machine":               "x86_64",
		"platform_release":               "6.8.0-45-generic",
		"platform_system":                "Linux",
		"platform_version":               "#45-Ubuntu SMP PREEMPT_DYNAMIC",
		"python_full_version":            "3.12.3",
		"platform_python_implementation": "CPython",
		"python_version":                 "3.12",
		"sys_platform":                   "linux",
	}
}

// tally counts a section's cases and reports each failure with its input, expectation and result.
type tally struct {
	t            *testing.T
	name         string
	pass, failed int
}

func (s *tally) ok() { s.pass++ }
func (s *tally) bad(input any, want, got any) {
	s.failed++
	s.t.Errorf("%s: input %q: want %v, got %v", s.name, input, want, got)
}
func (s *tally) done() {
	s.t.Logf("%s: %d/%d passed", s.name, s.pass, s.pass+s.failed)
}

type markerCases struct {
	Valid                 []string `json:"valid"`
	ValidLegacyNames      []string `json:"valid_legacy_names"`
	ValidFromRequirements []string `json:"valid_from_requirements"`
	Invalid               []struct {
		Marker  string  `json:"marker"`
		Message *string `json:"message"`
	} `json:"invalid"`
	Evaluate []struct {
		Marker      string         `json:"marker"`
		Environment map[string]any `json:"environment"`
		Expected    bool           `json:"expected"`
		Context     string         `json:"context"`
	} `json:"evaluate"`
	EvaluateErrors []struct {
		Marker      string         `json:"marker"`
		Environment map[string]any `json:"environment"`
		Error       string         `json:"error"`
		Context     string         `json:"context"`
	} `json:"evaluate_errors"`
	NormalizedStr []struct {
		Input    string `json:"input"`
		Expected string `json:"expected"`
	} `json:"normalized_str"`
	Equality []struct {
		Left  string `json:"left"`
		Right string `json:"right"`
		Equal bool   `json:"equal"`
	} `json:"equality"`
}

// conformanceEnv turns a case's environment into Env and EvalOptions: string values override
// the defaults, list values are the set-valued lock-file variables.
func conformanceEnv(t *testing.T, overrides map[string]any, context string) (Env, EvalOptions) {
	env := defaultTestEnv()
	opts := EvalOptions{}
	switch context {
	case "", "metadata":
	case "lock_file":
		opts.Context = ContextLockFile
	case "requirement":
		opts.Context = ContextRequirement
	default:
		t.Fatalf("unknown context %q", context)
	}
	for k, v := range overrides {
		switch v := v.(type) {
		case string:
			env[k] = v
		case []any:
			if opts.Sets == nil {
				opts.Sets = map[string][]string{}
			}
			members := []string{}
			for _, m := range v {
				members = append(members, fmt.Sprint(m))
			}
			opts.Sets[k] = members
		default:
			t.Fatalf("environment key %q: unexpected value %#v", k, v)
		}
	}
	return env, opts
}

func TestConformanceMarkers(t *testing.T) {
	var c markerCases
	loadConformance(t, "markers.json", &c)

	for _, sec := range []struct {
		name string
		list []string
	}{
		{"valid", c.Valid},
		{"valid_legacy_names", c.ValidLegacyNames},
		{"valid_from_requirements", c.ValidFromRequirements},
	} {
		s := &tally{t: t, name: sec.name}
		for _, in := range sec.list {
			m, err := ParseMarker(in)
			if err != nil {
				s.bad(in, "parse", err)
				continue
			}
			again, err := ParseMarker(m.String())
			if err != nil || !again.Equal(m) {
				s.bad(in, "String() re-parses equal", fmt.Sprintf("%q (%v)", m.String(), err))
				continue
			}
			s.ok()
		}
		s.done()
	}

	s := &tally{t: t, name: "invalid"}
	for _, tc := range c.Invalid {
		m, err := ParseMarker(tc.Marker)
		var se *SyntaxError
		switch {
		case err == nil:
			s.bad(tc.Marker, "error", m.String())
		case tc.Message != nil && (!errors.As(err, &se) || se.Reason != *tc.Message):
			s.bad(tc.Marker, *tc.Message, err)
		default:
			s.ok()
		}
	}
	s.done()

	s = &tally{t: t, name: "evaluate"}
	for _, tc := range c.Evaluate {
		env, opts := conformanceEnv(t, tc.Environment, tc.Context)
		m, err := ParseMarker(tc.Marker)
		if err != nil {
			s.bad(tc.Marker, tc.Expected, err)
			continue
		}
		got, err := m.EvaluateWith(env, opts)
		if err != nil || got != tc.Expected {
			s.bad(fmt.Sprintf("%s with %v (%s)", tc.Marker, tc.Environment, tc.Context), tc.Expected, fmt.Sprint(got, " ", err))
			continue
		}
		s.ok()
	}
	s.done()

	s = &tally{t: t, name: "evaluate_errors"}
	for _, tc := range c.EvaluateErrors {
		want := map[string]error{
			"UndefinedComparison":      ErrUndefinedComparison,
			"UndefinedEnvironmentName": ErrUndefinedEnvironmentName,
		}[tc.Error]
		if want == nil {
			t.Fatalf("unknown error kind %q", tc.Error)
		}
		env, opts := conformanceEnv(t, tc.Environment, tc.Context)
		m, err := ParseMarker(tc.Marker)
		if err != nil {
			s.bad(tc.Marker, tc.Error, err)
			continue
		}
		got, err := m.EvaluateWith(env, opts)
		if !errors.Is(err, want) {
			s.bad(fmt.Sprintf("%s (%s)", tc.Marker, tc.Context), tc.Error, fmt.Sprint(got, " ", err))
			continue
		}
		s.ok()
	}
	s.done()

	s = &tally{t: t, name: "normalized_str"}
	for _, tc := range c.NormalizedStr {
		m, err := ParseMarker(tc.Input)
		if err != nil || m.String() != tc.Expected {
			s.bad(tc.Input, tc.Expected, fmt.Sprint(m, " ", err))
			continue
		}
		s.ok()
	}
	s.done()

	s = &tally{t: t, name: "equality"}
	for _, tc := range c.Equality {
		l, err1 := ParseMarker(tc.Left)
		r, err2 := ParseMarker(tc.Right)
		if err := errors.Join(err1, err2); err != nil || l.Equal(r) != tc.Equal {
			s.bad(tc.Left+" vs "+tc.Right, tc.Equal, fmt.Sprint(l, " | ", r, " ", err))
			continue
		}
		s.ok()
	}
	s.done()
}

type requirementCase struct {
	Input     string   `json:"input"`
	Name      string   `json:"name"`
	Extras    []string `json:"extras"`
	URL       *string  `json:"url"`
	Specifier string   `json:"specifier"`
	Marker    *string  `json:"marker"`
	MarkerStr *string  `json:"marker_str"`
}

type requirementCases struct {
	Valid       []requirementCase `json:"valid"`
	ValidMatrix []requirementCase `json:"valid_matrix"`
	Str         []struct {
		Input    string `json:"input"`
		Expected string `json:"expected"`
	} `json:"str"`
	Equality []struct {
		Left    string `json:"left"`
		Right   string `json:"right"`
		Equal   bool   `json:"equal"`
		SameStr *bool  `json:"same_str"`
	} `json:"equality"`
	Invalid []struct {
		Input        string  `json:"input"`
		Message      *string `json:"message"`
		MessageFull  *string `json:"message_full"`
		MessageMatch *string `json:"message_match"`
	} `json:"invalid"`
}

// checkRequirement compares a parsed requirement with a case; it returns what differs.
func checkRequirement(tc requirementCase) string {
	r, err := ParseRequirement(tc.Input)
	if err != nil {
		return err.Error()
	}
	var diffs []string
	if r.Name != tc.Name {
		diffs = append(diffs, fmt.Sprintf("name %q, want %q", r.Name, tc.Name))
	}
	gotExtras, wantExtras := slices.Sorted(slices.Values(r.Extras)), slices.Sorted(slices.Values(tc.Extras))
	if !slices.Equal(slices.Compact(gotExtras), slices.Compact(wantExtras)) {
		diffs = append(diffs, fmt.Sprintf("extras %q, want %q", r.Extras, tc.Extras))
	}
	wantURL := ""
	if tc.URL != nil {
		wantURL = *tc.URL
	}
	if r.URL != wantURL {
		diffs = append(diffs, fmt.Sprintf("url %q, want %q", r.URL, wantURL))
	}
	want, err := pep440.ParseSpecifiers(tc.Specifier)
	if err != nil {
		diffs = append(diffs, fmt.Sprintf("expected specifier %q does not parse: %v", tc.Specifier, err))
	} else if !r.Specifier.Equal(want) {
		diffs = append(diffs, fmt.Sprintf("specifier %q, want %q", r.Specifier.String(), tc.Specifier))
	}
	switch {
	case tc.Marker == nil && r.Marker != nil:
		diffs = append(diffs, fmt.Sprintf("marker %q, want none", r.Marker))
	case tc.Marker != nil:
		m, err := ParseMarker(*tc.Marker)
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("expected marker does not parse: %v", err))
		} else if !m.Equal(r.Marker) {
			diffs = append(diffs, fmt.Sprintf("marker %q, want %q", r.Marker, m))
		}
		if tc.MarkerStr != nil && r.Marker.String() != *tc.MarkerStr {
			diffs = append(diffs, fmt.Sprintf("marker text %q, want %q", r.Marker, *tc.MarkerStr))
		}
	}
	return strings.Join(diffs, "; ")
}

func TestConformanceRequirements(t *testing.T) {
	var c requirementCases
	loadConformance(t, "requirements.json", &c)

	for _, sec := range []struct {
		name string
		list []requirementCase
	}{{"valid", c.Valid}, {"valid_matrix", c.ValidMatrix}} {
		s := &tally{t: t, name: sec.name}
		for _, tc := range sec.list {
			if diff := checkRequirement(tc); diff != "" {
				s.bad(tc.Input, "match", diff)
				continue
			}
			s.ok()
		}
		s.done()
	}

	s := &tally{t: t, name: "str"}
	for _, tc := range c.Str {
		r, err := ParseRequirement(tc.Input)
		if err != nil || r.String() != tc.Expected {
			s.bad(tc.Input, tc.Expected, fmt.Sprint(r.String(), " ", err))
			continue
		}
		s.ok()
	}
	s.done()

	s = &tally{t: t, name: "equality"}
	for _, tc := range c.Equality {
		l, err1 := ParseRequirement(tc.Left)
		r, err2 := ParseRequirement(tc.Right)
		if err := errors.Join(err1, err2); err != nil {
			s.bad(tc.Left+" vs "+tc.Right, tc.Equal, err)
			continue
		}
		if l.Equal(r) != tc.Equal || r.Equal(l) != tc.Equal {
			s.bad(tc.Left+" vs "+tc.Right, tc.Equal, l.Equal(r))
			continue
		}
		if tc.SameStr != nil && (l.String() == r.String()) != *tc.SameStr {
			s.bad(tc.Left+" vs "+tc.Right, fmt.Sprintf("same str %v", *tc.SameStr), l.String()+" | "+r.String())
			continue
		}
		s.ok()
	}
	s.done()

	s = &tally{t: t, name: "invalid"}
	sameReason := 0
	for _, tc := range c.Invalid {
		r, err := ParseRequirement(tc.Input)
		if err == nil {
			s.bad(tc.Input, "error", r.String())
			continue
		}
		var se *SyntaxError
		if tc.Message != nil && errors.As(err, &se) && se.Reason == *tc.Message {
			sameReason++
			// Same reason, so the position must be packaging's too.
			if tc.MessageFull != nil && *tc.MessageFull != se.Reason+"\n"+se.Caret() {
				s.bad(tc.Input, *tc.MessageFull, se.Reason+"\n"+se.Caret())
				continue
			}
		} else if tc.Message != nil {
			t.Logf("invalid: %q: reason differs from packaging's %q: %v", tc.Input, *tc.Message, err)
		}
		s.ok()
	}
	s.done()
	t.Logf("invalid: %d of the cases with a message have packaging's exact reason", sameReason)
}
