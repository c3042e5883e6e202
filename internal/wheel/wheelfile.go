package wheel

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WheelInfo is what a wheel's .dist-info/WHEEL file says (PEP 427, the binary distribution format).
type WheelInfo struct {
	Version string // Wheel-Version, e.g. "1.0"
	// RootIsPurelib says whether the wheel's root belongs in purelib (true) or platlib (false). In a layer
	// both are site-packages, so it changes no path; pip reads a missing or other value as false.
	RootIsPurelib bool
	Generator     string
	Tags          []string
	// Warnings are worth telling the user but do not stop the install: a newer minor Wheel-Version, a
	// missing Root-Is-Purelib.
	Warnings []string
}

// supportedWheelMajor is the Wheel-Version major this reader implements; a newer minor is readable
// ("installers should warn"), a newer major is not ("installers must abort").
const (
	supportedWheelMajor = 1
	supportedWheelMinor = 0
)

// ParseWheelFile parses the RFC 822-style WHEEL file. It fails on a missing or malformed Wheel-Version, a
// Wheel-Version whose major is above 1, and a Root-Is-Purelib other than true or false.
func ParseWheelFile(data []byte) (WheelInfo, error) {
	var w WheelInfo
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	seen := map[string]bool{}
	var rootIsPurelib string
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if !utf8.Valid(line) {
			return w, fmt.Errorf("line %d is not valid UTF-8", lineNo)
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // a continuation of a field we do not read
		}
		k, v, ok := strings.Cut(string(line), ":")
		if !ok {
			return w, fmt.Errorf("line %d: %q is not a \"Key: value\" header", lineNo, line)
		}
		key, value := strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if seen[key] && key != "tag" {
			return w, fmt.Errorf("line %d: %s given twice", lineNo, strings.TrimSpace(k))
		}
		seen[key] = true
		switch key {
		case "wheel-version":
			w.Version = value
		case "root-is-purelib":
			rootIsPurelib = value
		case "generator":
			w.Generator = value
		case "tag":
			w.Tags = append(w.Tags, value)
		}
	}
	if !seen["wheel-version"] {
		return w, fmt.Errorf("no Wheel-Version")
	}
	var parts []int
	for _, p := range strings.Split(w.Version, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || p[0] == '+' {
			return w, fmt.Errorf("Wheel-Version %q is not a version like 1.0", w.Version)
		}
		parts = append(parts, n)
	}
	major, minor := parts[0], 0
	if len(parts) > 1 {
		minor = parts[1]
	}
	switch {
	case major > supportedWheelMajor:
		return w, fmt.Errorf("Wheel-Version %s is not supported: this tool reads wheels of version %d.x", w.Version, supportedWheelMajor)
	case major == supportedWheelMajor && minor > supportedWheelMinor:
		w.Warnings = append(w.Warnings, fmt.Sprintf("Wheel-Version %s is newer than %d.%d, the version this tool knows; installed as %d.%d, as pip does", w.Version, supportedWheelMajor, supportedWheelMinor, supportedWheelMajor, supportedWheelMinor))
	}
	switch strings.ToLower(rootIsPurelib) {
	case "true":
		w.RootIsPurelib = true
	case "false":
	case "":
		w.Warnings = append(w.Warnings, "WHEEL has no Root-Is-Purelib; its root is installed as platlib, as pip does")
	default:
		return w, fmt.Errorf("Root-Is-Purelib %q is neither true nor false", rootIsPurelib)
	}
	return w, nil
}

// readWheelFile reads and checks the archive's WHEEL file.
func (a *Archive) readWheelFile() error {
	entry := a.distInfo + "/WHEEL"
	f := a.byName[entry]
	if f == nil {
		return &UnsafeEntryError{Wheel: a.name, Entry: a.distInfo + "/", Reason: "no WHEEL file (every wheel has one: it says which version of the wheel format it uses)"}
	}
	data, err := a.readSmall(f)
	if err != nil {
		return err
	}
	w, err := ParseWheelFile(data)
	if err != nil {
		return &UnsafeEntryError{Wheel: a.name, Entry: entry, Reason: err.Error()}
	}
	a.wheel = w
	return nil
}

// WheelInfo returns what the wheel's WHEEL file says, read by Open. Its Warnings are for the caller to
// show (a report's warnings).
func (a *Archive) WheelInfo() WheelInfo { return a.wheel }

// Warnings returns what the user should hear about this wheel, each naming it.
func (a *Archive) Warnings() []string {
	out := make([]string, len(a.wheel.Warnings))
	for i, w := range a.wheel.Warnings {
		out[i] = a.name + ": " + w
	}
	return out
}
