package requirements

import (
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"
)

// optSpec is one option pip accepts in a requirements file.
type optSpec struct {
	names      []string // every spelling; the long one is canonical
	canon      string
	takesValue bool
}

// optSpecs is pip's SUPPORTED_OPTIONS and SUPPORTED_OPTIONS_REQ (plus the removed
// --install-option, so that it gets the build message rather than "unknown").
var optSpecs = []*optSpec{
	{names: []string{"-i", "--index-url", "--pypi-url"}, canon: "--index-url", takesValue: true},
	{names: []string{"--extra-index-url"}, canon: "--extra-index-url", takesValue: true},
	{names: []string{"--no-index"}, canon: "--no-index"},
	{names: []string{"-c", "--constraint"}, canon: "--constraint", takesValue: true},
	{names: []string{"-r", "--requirement"}, canon: "--requirement", takesValue: true},
	{names: []string{"-e", "--editable"}, canon: "--editable", takesValue: true},
	{names: []string{"-f", "--find-links"}, canon: "--find-links", takesValue: true},
	{names: []string{"--no-binary"}, canon: "--no-binary", takesValue: true},
	{names: []string{"--only-binary"}, canon: "--only-binary", takesValue: true},
	{names: []string{"--prefer-binary"}, canon: "--prefer-binary"},
	{names: []string{"--require-hashes"}, canon: "--require-hashes"},
	{names: []string{"--pre"}, canon: "--pre"},
	{names: []string{"--trusted-host"}, canon: "--trusted-host", takesValue: true},
	{names: []string{"--use-feature"}, canon: "--use-feature", takesValue: true},
	{names: []string{"--global-option"}, canon: "--global-option", takesValue: true},
	{names: []string{"--hash"}, canon: "--hash", takesValue: true},
	{names: []string{"-C", "--config-settings"}, canon: "--config-settings", takesValue: true},
	{names: []string{"--install-option"}, canon: "--install-option", takesValue: true},
}

var optByName = func() map[string]*optSpec {
	m := map[string]*optSpec{}
	for _, s := range optSpecs {
		for _, n := range s.names {
			m[n] = s
		}
	}
	return m
}()

// option is one parsed option as written on the line.
type option struct {
	name  string // as written, for messages ("-r" or "--requirement")
	spec  *optSpec
	value string
}

// splitArgsOptions is pip's break_args_options: the requirement is every token before the first
// one that starts with "-", and only the rest is shell-split (markers would not survive it).
// pip splits on spaces only; we split on tabs too, so "name\t--hash=…" is not one token.
func splitArgsOptions(line string) (args, opts string) {
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i < len(line) && line[i] == '-' {
			return strings.TrimSpace(line[:i]), line[i:]
		}
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
	}
	return strings.TrimSpace(line), ""
}

// shlexSplit is Python's shlex.split in POSIX mode, which pip applies to the options part.
func shlexSplit(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case '\\':
			if i+1 >= len(s) {
				return nil, errors.New("no escaped character")
			}
			cur.WriteByte(s[i+1])
			i += 2
			inWord = true
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("no closing quotation")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 2
			inWord = true
		case '"':
			i++
			closed := false
			for i < len(s) {
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				// Inside double quotes a backslash escapes only a quote or a backslash.
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, errors.New("no closing quotation")
			}
			inWord = true
		default:
			cur.WriteByte(c)
			i++
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// parseOptions reads tokens the way optparse does: "--name=value" or "--name value", and for
// short options "-rvalue" or "-r value". We also take "-r=value" as the value, where optparse
// would keep the "=" as part of the file name. Positional arguments after the options, which
// pip ignores, are an error here: they are always a mistake.
func parseOptions(c *lineCtx, toks []string) ([]option, *Error) {
	var out []option
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		var o option
		var val string
		var hasVal bool
		switch {
		case t == "--" || !strings.HasPrefix(t, "-") || t == "-":
			return nil, c.errorf("put one requirement or option on each line", "unexpected argument %q", t)
		case strings.HasPrefix(t, "--"):
			o.name, val, hasVal = strings.Cut(t, "=")
			o.spec = optByName[o.name]
			if o.spec == nil {
				return nil, unknownOption(c, o.name)
			}
			if !o.spec.takesValue && hasVal {
				return nil, c.errorf("", "%s takes no value", o.name)
			}
		default:
			r, w := utf8.DecodeRuneInString(t[1:])
			o.name = "-" + string(r)
			o.spec = optByName[o.name]
			if o.spec == nil {
				return nil, unknownOption(c, o.name)
			}
			// Every short option we know takes a value.
			if rest := t[1+w:]; rest != "" {
				val, hasVal = strings.TrimPrefix(rest, "="), true
			}
		}
		if o.spec.takesValue {
			if !hasVal {
				if i+1 >= len(toks) {
					return nil, c.errorf("", "%s needs a value", o.name)
				}
				i++
				val = toks[i]
			}
			o.value = val
		}
		out = append(out, o)
	}
	return out, nil
}

func unknownOption(c *lineCtx, name string) *Error {
	// optparse accepts any unambiguous prefix of a long option; we name the full one instead,
	// so the file says what it means.
	hint := ""
	if strings.HasPrefix(name, "--") && len(name) > 2 {
		var match string
		n := 0
		for _, s := range optSpecs {
			for _, full := range s.names {
				if strings.HasPrefix(full, name) {
					match = full
					n++
				}
			}
		}
		if n == 1 {
			hint = "write " + match + " in full"
		}
	}
	return c.errorf(hint, "unknown option %s", name)
}

// hashHexLen is the digest length of each algorithm pip accepts for --hash (its STRONG_HASHES).
var hashHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// parseHash checks one --hash value ("sha256:<hex>") and returns it with the hex lower-cased.
// pip checks only the algorithm; a digest of the wrong length can never match, so we say so here.
func parseHash(c *lineCtx, opt, v string) (string, *Error) {
	alg, hex, ok := strings.Cut(v, ":")
	if !ok {
		return "", c.errorf("write it as "+opt+"=sha256:<64 hex digits>",
			"%s %q is not algorithm:digest", opt, v)
	}
	alg = strings.ToLower(alg)
	return checkDigest(c, opt, alg, hex)
}

func checkDigest(c *lineCtx, what, alg, hex string) (string, *Error) {
	n, ok := hashHexLen[alg]
	if !ok {
		return "", c.errorf("use sha256, sha384 or sha512", "%s: algorithm %q is not allowed", what, alg)
	}
	if len(hex) != n || strings.Trim(strings.ToLower(hex), "0123456789abcdef") != "" {
		return "", c.errorf("", "%s: a %s digest is %d hex digits, got %q", what, alg, n, hex)
	}
	return alg + ":" + strings.ToLower(hex), nil
}

// checkIndexURL rejects index URLs that the index client could not use, with their line, rather
// than failing later without one.
func checkIndexURL(c *lineCtx, o option) *Error {
	u, err := url.Parse(o.value)
	if err == nil {
		switch strings.ToLower(u.Scheme) {
		case "http", "https":
			if u.Host != "" {
				return nil
			}
		case "file":
			return nil
		}
	}
	return c.errorf("give an absolute http(s):// URL, e.g. https://pypi.org/simple",
		"%s %q is not an http(s) URL", o.name, o.value)
}
