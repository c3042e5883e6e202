package requirements

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{
		"requests==2.31.0\n",
		"foo==1.0 \\\n  --hash=sha256:" + strings.Repeat("a", 64) + "\n",
		"-r inc.txt\n-c c.txt\nbar[x] ; python_version >= '3.11'\n",
		"-e ./pkg\ngit+https://example.com/x.git\n./dist/x-1.0-py3-none-any.whl[e]\n",
		"https://files.example/p/six-1.16.0-py2.py3-none-any.whl#sha256=" + strings.Repeat("b", 64) + "\n",
		"--index-url https://${V}@x/simple\n-i 'a b\n--only-binary=:all:\nfoo==${V} # c \\\nbar\n",
		"\xff\xfea\x00\n\x00",
		"x @ file:./y-1-py3-none-any.whl\n--hash\n-rr.txt\n",
	} {
		f.Add([]byte(s))
	}
	fsys := files{"inc.txt": "-r r.txt\nx==1\n", "c.txt": "y<2\n-r inc.txt\n"}
	po := ParseOptions{
		ReadFile: fsys.read,
		Getenv: func(k string) string {
			if k == "V" {
				return "1.0"
			}
			return ""
		},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := ParseBytes("r.txt", data, po)
		if set == nil {
			t.Fatal("nil Set")
		}
		for _, list := range [][]Requirement{set.Requirements, set.Constraints} {
			for _, r := range list {
				if r.Line < 1 || r.File == "" || r.Name == "" {
					t.Errorf("requirement without a position or name: %+v", r)
				}
			}
		}
		if err == nil {
			return
		}
		list := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			list = j.Unwrap()
		}
		for _, e := range list {
			var re *Error
			if !errors.As(e, &re) || re.File == "" || re.Line < 0 || re.Msg == "" {
				t.Errorf("bad error %#v", e)
			}
		}
	})
}
