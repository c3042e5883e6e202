package requirements

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// files is an in-memory file set for ParseOptions.ReadFile.
type files map[string]string

func (m files) read(name string) ([]byte, error) {
	if s, ok := m[filepath.ToSlash(filepath.Clean(name))]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

var (
	h64a = strings.Repeat("a", 64)
	h64b = strings.Repeat("b", 64)
	h64c = strings.Repeat("c", 64)
)

// render turns a requirement into one comparable line; "$CWD" stands for the working directory
// (local wheel URLs are absolute).
func render(kind string, r Requirement, cwd string) string {
	s := kind + " " + r.File + ":" + itoa(r.Line) + " " + r.Name
	if len(r.Extras) > 0 {
		s += "[" + strings.Join(r.Extras, ",") + "]"
	}
	if pin, ok := r.Specifier.Pin(); ok {
		s += " ==" + pin
	}
	if r.URL != "" {
		s += " @ " + strings.ReplaceAll(r.URL, cwd, "$CWD")
	}
	if r.Marker != nil {
		s += " ;m"
	}
	for _, h := range r.Hashes {
		s += " " + h
	}
	return s
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

func renderSet(s *Set, cwd string) []string {
	var out []string
	for _, r := range s.Requirements {
		out = append(out, render("R", r, cwd))
	}
	for _, r := range s.Constraints {
		out = append(out, render("C", r, cwd))
	}
	for _, n := range s.Notes {
		out = append(out, "N "+n.String())
	}
	return out
}

// errStrings lists the *Error texts inside a joined error; a want ending in "*" matches by
// prefix (used only where the rest is the PEP 508 parser's wording, not ours).
func errStrings(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var out []string
	for _, e := range list {
		var re *Error
		if !errors.As(e, &re) {
			t.Fatalf("error %v (%T) is not an *Error", e, e)
		}
		out = append(out, re.Error())
	}
	return out
}

func sameErrors(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if w, ok := strings.CutSuffix(want[i], "*"); ok {
			if !strings.HasPrefix(got[i], w) {
				return false
			}
		} else if got[i] != want[i] {
			return false
		}
	}
	return true
}

type parseCase struct {
	name    string
	files   files
	top     []string // default: r.txt
	env     map[string]string
	want    []string // rendered requirements, constraints and notes
	wantErr []string
	opts    *Options
	fileSeq []string
}

func runCases(t *testing.T, cases []parseCase) {
	t.Helper()
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := tc.top
			if top == nil {
				top = []string{"r.txt"}
			}
			po := ParseOptions{ReadFile: tc.files.read}
			if tc.env != nil {
				po.Getenv = func(k string) string { return tc.env[k] }
			}
			set, err := Parse(top, po)
			if set == nil {
				t.Fatal("Parse returned a nil Set")
			}
			if got := errStrings(t, err); !sameErrors(got, tc.wantErr) {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.wantErr)
			}
			if got := renderSet(set, cwd); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("set:\n got %q\nwant %q", got, tc.want)
			}
			if tc.opts != nil && !reflect.DeepEqual(set.Options, *tc.opts) {
				t.Errorf("options:\n got %+v\nwant %+v", set.Options, *tc.opts)
			}
			if tc.fileSeq != nil && !reflect.DeepEqual(set.Files, tc.fileSeq) {
				t.Errorf("files: got %q, want %q", set.Files, tc.fileSeq)
			}
		})
	}
}

func TestLines(t *testing.T) {
	runCases(t, []parseCase{{
		name: "names, pins, extras, markers, comments, blanks",
		files: files{"r.txt": "# top comment\n" +
			"requests==2.31.0\n" +
			"\n" +
			"numpy>=1.26 ; python_version >= '3.11'   # why\n" +
			"  Foo_Bar[socks,security]\t# indented, tab before the comment\n" +
			"#requests==0 not a requirement\n"},
		want: []string{
			"R r.txt:2 requests ==2.31.0",
			"R r.txt:4 numpy ;m",
			"R r.txt:5 Foo_Bar[socks,security]",
		},
	}, {
		name: "continuations keep the first line number and collect hashes",
		files: files{"r.txt": "foo==1.0 \\\n" +
			"    --hash=sha256:" + strings.ToUpper(h64a) + " \\\n" +
			"    --hash sha256:" + h64b + "\n" +
			"bar==2.0 --hash=sha256:" + h64c + " --hash=sha256:" + h64c + "\n" +
			"baz\\\n" +
			"==3.0\n"},
		want: []string{
			"R r.txt:1 foo ==1.0 sha256:" + h64a + " sha256:" + h64b,
			"R r.txt:4 bar ==2.0 sha256:" + h64c,
			"R r.txt:5 baz ==3.0",
		},
	}, {
		name:  "a comment line ending in a backslash ends the continuation",
		files: files{"r.txt": "foo \\\n# note \\\nbar\n"},
		want:  []string{"R r.txt:1 foo", "R r.txt:3 bar"},
	}, {
		// pip's quirk, kept: the backslash continues the line, and the comment then swallows it.
		name:  "a trailing comment with a backslash swallows the next line",
		files: files{"r.txt": "foo # note \\\nbar\nbaz\n"},
		want:  []string{"R r.txt:1 foo", "R r.txt:3 baz"},
	}, {
		name:  "a backslash on the last line",
		files: files{"r.txt": "foo\nbar \\"},
		want:  []string{"R r.txt:1 foo", "R r.txt:2 bar"},
	}, {
		name:  "CRLF and CR line ends",
		files: files{"r.txt": "a\r\n\r\nb \\\r\n==1\r\n", "s.txt": "c\rd\r"},
		top:   []string{"r.txt", "s.txt"},
		want:  []string{"R r.txt:1 a", "R r.txt:3 b ==1", "R s.txt:1 c", "R s.txt:2 d"},
	}, {
		name: "UTF-8 BOM and UTF-16 with BOM",
		files: files{
			"r.txt": "\xEF\xBB\xBFfoo\n",
			"s.txt": "\xFF\xFEb\x00a\x00r\x00\n\x00",
			"t.txt": "\xFE\xFF\x00z\x00\n",
		},
		top:  []string{"r.txt", "s.txt", "t.txt"},
		want: []string{"R r.txt:1 foo", "R s.txt:1 bar", "R t.txt:1 z"},
	}, {
		name:    "invalid UTF-8",
		files:   files{"r.txt": "foo\nb\xE9r\n"},
		wantErr: []string{"r.txt:2: the line is not valid UTF-8\n  hint: save the file as UTF-8"},
	}, {
		name:  "# inside a URL is a fragment, not a comment",
		files: files{"r.txt": "https://files.example/p/six-1.16.0-py2.py3-none-any.whl#sha256=" + h64a + " # comment\n"},
		want:  []string{"R r.txt:1 six @ https://files.example/p/six-1.16.0-py2.py3-none-any.whl#sha256=" + h64a + " sha256:" + h64a},
	}})
}

func TestText(t *testing.T) {
	set, err := ParseBytes("r.txt", []byte("foo==1.0 \\\n  --hash=sha256:"+h64a+"  # pinned\n"+
		"x @ https://${TOKEN}@host.example/x-1.0-py3-none-any.whl\n"),
		ParseOptions{Getenv: func(string) string { return "s3cret" }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"foo==1.0   --hash=sha256:" + h64a + "  # pinned",
		"x @ https://***@host.example/x-1.0-py3-none-any.whl",
	}
	for i, r := range set.Requirements {
		if r.Text != want[i] {
			t.Errorf("Text = %q, want %q", r.Text, want[i])
		}
	}
	if u := set.Requirements[1].URL; u != "https://s3cret@host.example/x-1.0-py3-none-any.whl" {
		t.Errorf("URL = %q: the URL keeps the expanded credentials", u)
	}
	if !reflect.DeepEqual(set.Files, []string{"r.txt"}) {
		t.Errorf("Files = %q", set.Files)
	}
}

func TestIncludes(t *testing.T) {
	runCases(t, []parseCase{{
		name: "relative to the including file, inlined in place",
		files: files{
			"r.txt":            "first\n-r sub/base.txt\nlast\n",
			"sub/base.txt":     "--requirement=common.txt\nbase\n-rdeeper/x.txt\n",
			"sub/common.txt":   "common\n",
			"sub/deeper/x.txt": "-r ../common.txt\nx\n",
		},
		want: []string{
			"R r.txt:1 first",
			"R sub/common.txt:1 common",
			"R sub/base.txt:2 base",
			"R sub/common.txt:1 common",
			"R sub/deeper/x.txt:2 x",
			"R r.txt:3 last",
		},
		fileSeq: []string{"r.txt", "sub/base.txt", "sub/common.txt", "sub/deeper/x.txt"},
	}, {
		name: "constraints, and what they include, never become requirements",
		files: files{
			"r.txt":             "-c c/constraints.txt\nfoo\n",
			"c/constraints.txt": "foo==1.0 --hash=sha256:" + h64a + "\n-r more.txt\n--constraint more.txt\n",
			"c/more.txt":        "bar<2\n",
		},
		want: []string{
			"R r.txt:2 foo",
			"C c/constraints.txt:1 foo ==1.0 sha256:" + h64a,
			"C c/more.txt:1 bar",
			"C c/more.txt:1 bar",
		},
		fileSeq: []string{"r.txt", "c/constraints.txt", "c/more.txt"},
	}, {
		name:    "cycle",
		files:   files{"a.txt": "x\n\n-r b.txt\n", "b.txt": "-r ./a.txt\ny\n"},
		top:     []string{"a.txt"},
		want:    []string{"R a.txt:1 x", "R b.txt:2 y"},
		wantErr: []string{"b.txt:1: include cycle: a.txt:3 → b.txt:1 → a.txt\n  hint: remove one of these -r/-c lines"},
	}, {
		name:    "cycle through a constraints file, shown from where it starts",
		files:   files{"r.txt": "-r a.txt\n", "a.txt": "-c sub/b.txt\n", "sub/b.txt": "-r ../a.txt\n"},
		wantErr: []string{"sub/b.txt:1: include cycle: a.txt:1 → sub/b.txt:1 → a.txt\n  hint: remove one of these -r/-c lines"},
	}, {
		name:    "a file including itself",
		files:   files{"r.txt": "-r r.txt\n"},
		wantErr: []string{"r.txt:1: include cycle: r.txt:1 → r.txt\n  hint: remove one of these -r/-c lines"},
	}, {
		name:    "a diamond is not a cycle",
		files:   files{"r.txt": "-r b.txt\n-r c.txt\n", "b.txt": "-r d.txt", "c.txt": "-r d.txt", "d.txt": "d"},
		want:    []string{"R d.txt:1 d", "R d.txt:1 d"},
		fileSeq: []string{"r.txt", "b.txt", "d.txt", "c.txt"},
	}, {
		name:    "missing include",
		files:   files{"r.txt": "a\n-r sub/missing.txt\nb\n"},
		want:    []string{"R r.txt:1 a", "R r.txt:3 b"},
		wantErr: []string{"r.txt:2: cannot read sub/missing.txt: file does not exist\n  hint: paths in -r and -c are relative to the file that names them"},
	}, {
		name:    "include by URL",
		files:   files{"r.txt": "-r https://example.com/r.txt\n"},
		wantErr: []string{"r.txt:1: -r with a URL is not supported: https://example.com/r.txt\n  hint: download the file next to this one and include it by path"},
	}, {
		name:    "include by file URL",
		files:   files{"r.txt": "-r file:sub/x.txt\n", "sub/x.txt": "x"},
		want:    []string{"R sub/x.txt:1 x"},
		fileSeq: []string{"r.txt", "sub/x.txt"},
	}, {
		name: "all problems from all files together",
		files: files{
			"a.txt":   "ok\n-e .\n-r inc.txt\n",
			"inc.txt": "--no-binary :all:\n",
			"b.txt":   "fine\ngit+https://example.com/x.git\n",
		},
		top:  []string{"a.txt", "missing.txt", "b.txt"},
		want: []string{"R a.txt:1 ok", "R b.txt:1 fine"},
		wantErr: []string{
			"a.txt:2: -e is not supported: editable installs need a build\n  hint: publish a wheel or pin a released version",
			"inc.txt:1: --no-binary needs building from source; lambda-layers installs wheels only\n  hint: remove it, or use --only-binary",
			"missing.txt: cannot read file: file does not exist",
			"b.txt:2: VCS URL git+https://example.com/x.git is not supported: installing from a repository needs a build\n  hint: pin a released version (name==1.2.3), or build a wheel and list its URL",
		},
	}})
}

func TestOptions(t *testing.T) {
	runCases(t, []parseCase{{
		name: "global options",
		files: files{
			"r.txt": "-i https://first.example/simple\n" +
				"--index-url=https://pypi.example/simple\n" +
				"--extra-index-url https://a.example/simple --extra-index-url=https://b.example/simple\n" +
				"--extra-index-url https://a.example/simple\n" +
				"--no-index\n" +
				"-f ./wheels\n--find-links=https://example.com/links/\n-f /abs/wheels\n" +
				"--pre\n--only-binary :all:\n--only-binary=Foo_Bar,baz\n--prefer-binary\n--require-hashes\n" +
				"--trusted-host pypi.example\n--no-binary :none:\n" +
				"-r sub/more.txt\n",
			"sub/more.txt": "--find-links ../more-wheels\n-f local\n",
		},
		want: []string{"N r.txt:14: --trusted-host is ignored: lambda-layers does not relax TLS checks for any host"},
		opts: &Options{
			IndexURL:       "https://pypi.example/simple",
			ExtraIndexURLs: []string{"https://a.example/simple", "https://b.example/simple"},
			NoIndex:        true,
			FindLinks:      []string{"wheels", "https://example.com/links/", "/abs/wheels", "more-wheels", "sub/local"},
			Pre:            true,
			OnlyBinary:     []string{":all:", "foo-bar", "baz"},
			PreferBinary:   true,
			RequireHashes:  true,
		},
	}, {
		name: "environment variables",
		files: files{"r.txt": "--index-url https://${USER_1}:${PASS}@pypi.example/simple\n" +
			"foo==${VER}\n" +
			"bar==${MISSING}\n" +
			"baz==${A}${B}${A}\n" +
			"qux$NOT_A_VAR\n" +
			"x==1 # ${IN_A_COMMENT}\n"},
		env:  map[string]string{"USER_1": "me", "PASS": "pw", "VER": "1.2"},
		want: []string{"R r.txt:2 foo ==1.2", "R r.txt:6 x ==1"},
		wantErr: []string{
			"r.txt:3: environment variable ${MISSING} is not set\n  hint: set MISSING in the environment of the build",
			"r.txt:4: environment variables ${A}, ${B} are not set\n  hint: set A, B in the environment of the build",
			"r.txt:5: invalid requirement \"qux$NOT_A_VAR\": *",
		},
		opts: &Options{IndexURL: "https://me:pw@pypi.example/simple"},
	}, {
		name:    "no Getenv: no variables",
		files:   files{"r.txt": "foo==${VER}\n"},
		wantErr: []string{"r.txt:1: environment variable ${VER} is not set\n  hint: set VER in the environment of the build"},
	}})
}

func TestRejections(t *testing.T) {
	one := func(line string) files { return files{"r.txt": line + "\n"} }
	cases := []struct{ line, want string }{
		{"-e ./pkg", "-e is not supported: editable installs need a build\n  hint: publish a wheel or pin a released version"},
		{"--editable=git+https://example.com/y.git#egg=y", "--editable is not supported: editable installs need a build\n  hint: publish a wheel or pin a released version"},
		{"git+https://github.com/a/b.git@v1#egg=b", "VCS URL git+https://github.com/a/b.git@v1#egg=b is not supported: installing from a repository needs a build\n  hint: pin a released version (name==1.2.3), or build a wheel and list its URL"},
		{"b @ git+ssh://git@github.com/a/b.git", "VCS URL git+ssh://***@github.com/a/b.git is not supported: installing from a repository needs a build\n  hint: pin a released version (name==1.2.3), or build a wheel and list its URL"},
		{"hg+https://example.com/repo", "VCS URL hg+https://example.com/repo is not supported: installing from a repository needs a build\n  hint: pin a released version (name==1.2.3), or build a wheel and list its URL"},
		{"./pkg", "local path ./pkg is not supported: a project directory needs a build\n  hint: build a wheel (pip wheel --no-deps ./pkg) and list the .whl file"},
		{".", "local path . is not supported: a project directory needs a build\n  hint: build a wheel (pip wheel --no-deps .) and list the .whl file"},
		{"/abs/pkg[extra]", "local path /abs/pkg is not supported: a project directory needs a build\n  hint: build a wheel (pip wheel --no-deps /abs/pkg) and list the .whl file"},
		{"file:///abs/pkg", "local path /abs/pkg is not supported: a project directory needs a build\n  hint: build a wheel (pip wheel --no-deps /abs/pkg) and list the .whl file"},
		{"pkg @ file:///abs/pkg", "local path /abs/pkg is not supported: a project directory needs a build\n  hint: build a wheel (pip wheel --no-deps /abs/pkg) and list the .whl file"},
		{"./dist/foo-1.0.tar.gz", "./dist/foo-1.0.tar.gz is a source distribution: it needs a build, and lambda-layers installs wheels only\n  hint: use a wheel (.whl) URL, or pin a version that has wheels on the index"},
		{"foo-1.0.zip", "foo-1.0.zip is a source distribution: it needs a build, and lambda-layers installs wheels only\n  hint: use a wheel (.whl) URL, or pin a version that has wheels on the index"},
		{"https://example.com/foo-1.0.tar.gz#sha256=" + h64a, "https://example.com/foo-1.0.tar.gz#sha256=" + h64a + " is a source distribution: it needs a build, and lambda-layers installs wheels only\n  hint: use a wheel (.whl) URL, or pin a version that has wheels on the index"},
		{"foo @ https://example.com/foo-1.0.zip", "https://example.com/foo-1.0.zip is a source distribution: it needs a build, and lambda-layers installs wheels only\n  hint: use a wheel (.whl) URL, or pin a version that has wheels on the index"},
		{"https://example.com/download?id=3", "https://example.com/download?id=3 is not a wheel (.whl) URL\n  hint: link the .whl file itself"},
		{"foo @ https://example.com/foo-1.0.egg", "https://example.com/foo-1.0.egg is not a wheel (.whl) URL\n  hint: link the .whl file itself"},
		{"foo @ s3://bucket/foo-1.0-py3-none-any.whl", "URL scheme \"s3\" is not supported: s3://bucket/foo-1.0-py3-none-any.whl\n  hint: use an https:// URL of a .whl file"},
		{"bar @ https://example.com/foo-1.0-py3-none-any.whl", "foo-1.0-py3-none-any.whl is a wheel of foo, not of bar\n  hint: fix the name before @, or the URL"},
		{"https://example.com/foo.whl", "\"foo.whl\" is not a valid wheel file name\n  hint: a wheel is named name-version[-build]-python-abi-platform.whl"},
		{"https://example.com/foo-1.0-py3-none-any.whl#sha256=abc", `#sha256= in the URL: a sha256 digest is 64 hex digits, got "abc"`},
		{"--no-binary :all:", "--no-binary needs building from source; lambda-layers installs wheels only\n  hint: remove it, or use --only-binary"},
		{"--no-binary=numpy", "--no-binary needs building from source; lambda-layers installs wheels only\n  hint: remove it, or use --only-binary"},
		{"--use-feature=fast-deps", "--use-feature is not supported: pip's feature flags do not apply to lambda-layers\n  hint: remove the line"},
		{"--frobnicate", "unknown option --frobnicate"},
		{"-x foo", "unknown option -x"},
		{"--index https://x.example/simple", "unknown option --index\n  hint: write --index-url in full"},
		{"foo==1.0 --global-option=--plat=x", "--global-option is not supported: it passes settings to a build, and lambda-layers installs wheels only\n  hint: remove it; wheels are installed without a build, so there is nothing to configure"},
		{"foo -C key=val", "-C is not supported: it passes settings to a build, and lambda-layers installs wheels only\n  hint: remove it; wheels are installed without a build, so there is nothing to configure"},
		{"foo --install-option=--prefix=/x", "--install-option is not supported: it passes settings to a build, and lambda-layers installs wheels only\n  hint: remove it; wheels are installed without a build, so there is nothing to configure"},
		{"foo==1.0 --pre", "--pre is not allowed after a requirement\n  hint: put --pre on a line of its own"},
		{"foo==1.0 -r other.txt", "-r is not allowed after a requirement\n  hint: put -r on a line of its own"},
		{"--hash=sha256:" + h64a, "--hash needs a requirement on the same line\n  hint: put it on the requirement's line, or end the line above with \\ to continue it"},
		{"foo --hash=md5:abc", "--hash: algorithm \"md5\" is not allowed\n  hint: use sha256, sha384 or sha512"},
		{"foo --hash=sha256:abc", `--hash: a sha256 digest is 64 hex digits, got "abc"`},
		{"foo --hash=sha256:" + strings.Repeat("g", 64), `--hash: a sha256 digest is 64 hex digits, got "` + strings.Repeat("g", 64) + `"`},
		{"foo --hash=abc", "--hash \"abc\" is not algorithm:digest\n  hint: write it as --hash=sha256:<64 hex digits>"},
		{"foo --hash", "--hash needs a value"},
		{"-r a.txt extra", "unexpected argument \"extra\"\n  hint: put one requirement or option on each line"},
		{`--index-url "https://x`, "cannot split options \"--index-url \\\"https://x\": no closing quotation\n  hint: quote values that contain spaces, and close every quote"},
		{"--pre=yes", "--pre takes no value"},
		{"-i", "-i needs a value"},
		{"-i foo", "-i \"foo\" is not an http(s) URL\n  hint: give an absolute http(s):// URL, e.g. https://pypi.org/simple"},
		{"--extra-index-url ftp://u:secret@x.example/", "--extra-index-url \"ftp://***@x.example/\" is not an http(s) URL\n  hint: give an absolute http(s):// URL, e.g. https://pypi.org/simple"},
		{"foo[", `invalid requirement "foo[": expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras at column 5`},
		{"foo @ https://x.example/foo-1.0-py3-none-any.whl;python_version>'3'", "https://x.example/foo-1.0-py3-none-any.whl;python_version>'3' is not a wheel (.whl) URL\n  hint: after a URL, put a space before the ; of a marker"},
		{"foo==1.0 ; python_version >", `invalid requirement "foo==1.0 ; python_version >": *`},
	}
	var pc []parseCase
	for _, c := range cases {
		pc = append(pc, parseCase{name: c.line, files: one(c.line), wantErr: []string{"r.txt:1: " + c.want}})
	}
	pc = append(pc, parseCase{
		name:    "constraints cannot have extras",
		files:   files{"r.txt": "-c c.txt\n", "c.txt": "foo[bar]==1.0\n"},
		wantErr: []string{"c.txt:1: constraints cannot have extras\n  hint: drop the [extras] here and put them on the requirement"},
	})
	runCases(t, pc)
}

func TestErrorValue(t *testing.T) {
	_, err := ParseBytes("dir/requirements.txt", []byte("ok\n\n# c\n-e ./x\n"), ParseOptions{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not an *Error", err)
	}
	want := Error{File: "dir/requirements.txt", Line: 4, Text: "-e ./x", Msg: "-e is not supported: editable installs need a build",
		Hint: "publish a wheel or pin a released version"}
	if *e != want {
		t.Errorf("got %+v\nwant %+v", *e, want)
	}

	_, err = Parse([]string{filepath.Join(t.TempDir(), "nope.txt")}, ParseOptions{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v does not wrap fs.ErrNotExist", err)
	}
}

func TestWheels(t *testing.T) {
	runCases(t, []parseCase{{
		name: "wheel URLs and local wheels",
		files: files{
			"r.txt": "-r sub/s.txt\n" +
				"foo-bar @ https://files.example/Foo_Bar-1.0-py3-none-any.whl\n" +
				"https://files.example/a/Foo_Bar-2.0-1-cp312-abi3-manylinux_2_17_x86_64.whl ; python_version >= '3.12'\n" +
				"/abs/x/baz-1.0-py3-none-any.whl\n" +
				"file:///abs/y/qux-1.0-py3-none-any.whl\n" +
				"qux @ file:///abs/y/qux-1.0-py3-none-any.whl#sha256=" + h64a + "\n" +
				"https://files.example/p/six-1.16.0-py2.py3-none-any.whl#md5=0123&sha512=" + strings.Repeat("d", 128) + " --hash=sha384:" + strings.Repeat("e", 96) + "\n",
			"sub/s.txt": "./dist/foo-1.0-py3-none-any.whl\n" +
				"dist/foo-1.0-py3-none-any.whl[extra] ; python_version > '3'\n" +
				"foo-1.0-py3-none-any.whl\n",
		},
		want: []string{
			"R sub/s.txt:1 foo @ file://$CWD/sub/dist/foo-1.0-py3-none-any.whl",
			"R sub/s.txt:2 foo[extra] @ file://$CWD/sub/dist/foo-1.0-py3-none-any.whl ;m",
			"R sub/s.txt:3 foo @ file://$CWD/sub/foo-1.0-py3-none-any.whl",
			"R r.txt:2 foo-bar @ https://files.example/Foo_Bar-1.0-py3-none-any.whl",
			"R r.txt:3 Foo_Bar @ https://files.example/a/Foo_Bar-2.0-1-cp312-abi3-manylinux_2_17_x86_64.whl ;m",
			"R r.txt:4 baz @ file:///abs/x/baz-1.0-py3-none-any.whl",
			"R r.txt:5 qux @ file:///abs/y/qux-1.0-py3-none-any.whl",
			"R r.txt:6 qux @ file:///abs/y/qux-1.0-py3-none-any.whl sha256:" + h64a,
			"R r.txt:7 six @ https://files.example/p/six-1.16.0-py2.py3-none-any.whl#md5=0123&sha512=" + strings.Repeat("d", 128) +
				" sha384:" + strings.Repeat("e", 96) + " sha512:" + strings.Repeat("d", 128),
		},
	}})
}

// TestRealFiles reads through os.ReadFile, with relative paths resolved against the cwd.
func TestRealFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app/requirements.txt", "-r ../shared/base.txt\n-c constraints.txt\nflask\n./wheels/mine-0.1-py3-none-any.whl\n")
	write("app/constraints.txt", "flask<4\n")
	write("shared/base.txt", "boto3==1.35.0\n")

	t.Run("absolute", func(t *testing.T) {
		set, err := Parse([]string{filepath.Join(dir, "app/requirements.txt")}, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"R " + dir + "/shared/base.txt:1 boto3 ==1.35.0",
			"R " + dir + "/app/requirements.txt:3 flask",
			"R " + dir + "/app/requirements.txt:4 mine @ file://" + dir + "/app/wheels/mine-0.1-py3-none-any.whl",
			"C " + dir + "/app/constraints.txt:1 flask",
		}
		if got := renderSet(set, "\x00"); !reflect.DeepEqual(got, want) {
			t.Errorf("got %q\nwant %q", got, want)
		}
	})
	t.Run("relative", func(t *testing.T) {
		t.Chdir(dir)
		set, err := Parse([]string{"app/requirements.txt"}, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wantFiles := []string{"app/requirements.txt", "shared/base.txt", "app/constraints.txt"}
		if !reflect.DeepEqual(set.Files, wantFiles) {
			t.Errorf("Files = %q, want %q", set.Files, wantFiles)
		}
		if got := set.Requirements[2].URL; got != "file://"+dir+"/app/wheels/mine-0.1-py3-none-any.whl" {
			t.Errorf("local wheel URL = %q", got)
		}
	})
}

func TestSplitLines(t *testing.T) {
	for in, want := range map[string][]string{
		"":             nil,
		"\n":           {""},
		"a":            {"a"},
		"a\n":          {"a"},
		"a\r\nb":       {"a", "b"},
		"a\r\rb":       {"a", "", "b"},
		"a\fb\vc":      {"a", "b", "c"},
		"a\u2028b\n\n": {"a", "b", ""},
	} {
		if got := splitLines(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitLines(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShlexSplit(t *testing.T) {
	for in, want := range map[string][]string{
		`--hash=sha256:a  --hash  sha256:b`: {"--hash=sha256:a", "--hash", "sha256:b"},
		`-i 'https://x/a b' "c\"d\e"`:       {"-i", "https://x/a b", `c"d\e`},
		`a\ b ''`:                           {"a b", ""},
	} {
		got, err := shlexSplit(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("shlexSplit(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`'x`, `"x`, `x\`} {
		if _, err := shlexSplit(in); err == nil {
			t.Errorf("shlexSplit(%q): no error", in)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	// Every level has a new path, as under a directory symlinked into itself.
	deeper := func(string) ([]byte, error) { return []byte("x\n-r sub/r.txt\n"), nil }
	set, err := Parse([]string{"r.txt"}, ParseOptions{ReadFile: deeper})
	got := errStrings(t, err)
	if len(got) != 1 || !strings.HasSuffix(got[0], ":2: includes are nested more than 50 deep") {
		t.Errorf("errors = %q", got)
	}
	if len(set.Requirements) != 51 {
		t.Errorf("%d requirements, want 51", len(set.Requirements))
	}
}

// A lock file or pyproject.toml under another name is one error at its first line saying what it is
// and what to name it, not an error for every line of TOML or JSON.
func TestOtherFormats(t *testing.T) {
	const byName = "lock files and pyproject.toml are told apart by their names"
	pc := []parseCase{
		{name: "pylock", files: files{"r.txt": "# written by pip\nlock-version = \"1.0\"\ncreated-by = \"pip\"\n\n[[packages]]\nname = \"a\"\n"},
			wantErr: []string{"r.txt:2: this is a PEP 751 lock, not a requirements file\n  hint: name it pylock.toml or pylock.NAME.toml: " + byName}},
		{name: "uv.lock", files: files{"r.txt": "version = 1\nrevision = 2\n\n[[package]]\nname = \"a\"\nsource = { registry = \"https://pypi.org/simple\" }\n"},
			wantErr: []string{"r.txt:1: this is a uv.lock, not a requirements file\n  hint: name it uv.lock: " + byName}},
		{name: "poetry.lock", files: files{"r.txt": "[[package]]\nname = \"a\"\n\n[metadata]\nlock-version = \"2.1\"\n"},
			wantErr: []string{"r.txt:1: this is a poetry.lock, not a requirements file\n  hint: name it poetry.lock: " + byName}},
		{name: "Pipfile.lock", files: files{"r.txt": "{\n  \"_meta\": {},\n  \"default\": {}\n}\n"},
			wantErr: []string{"r.txt:1: this is a Pipfile.lock, not a requirements file\n  hint: name it Pipfile.lock: " + byName}},
		{name: "Pipfile", files: files{"r.txt": "[[source]]\nurl = \"https://pypi.org/simple\"\n\n[packages]\nrequests = \"*\"\n"},
			wantErr: []string{"r.txt:1: this is a Pipfile, which is not read\n  hint: run pipenv lock and pass its Pipfile.lock"}},
		{name: "pyproject", files: files{"r.txt": "[project]\nname = \"app\"\ndependencies = [\"a\"]\n"},
			wantErr: []string{"r.txt:1: this is a pyproject.toml, not a requirements file\n  hint: name it pyproject.toml: " + byName}},
		{name: "other TOML, included", files: files{"r.txt": "-r other.cfg\n", "other.cfg": "[tool]\nx = \"y\"\n"},
			wantErr: []string{"other.cfg:1: this looks like TOML, not a requirements file in pip's format\n  hint: pass a requirements file, a pyproject.toml or a lock file (uv.lock, poetry.lock, Pipfile.lock, pylock.toml)"}},
		// A mistyped pin is not TOML: it keeps its own error.
		{name: "mistyped pin", files: files{"r.txt": "requests=2.31.0\n"},
			wantErr: []string{`r.txt:1: invalid requirement "requests=2.31.0": *`}},
	}
	runCases(t, pc)
}
