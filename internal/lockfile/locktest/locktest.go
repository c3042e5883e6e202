// Package locktest holds the small package universe that the lock files under
// internal/lockfile/testdata were written for: the wheels (built with wheeltest, so their hashes are
// stable), and an HTTP transport that sends the locks' download host to an indextest server. It is
// for tests only.
package locktest

import (
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"

	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// Host is the download host the lock files name; Redirect sends it to a test server.
const Host = "files.example.test"

// Wheels are every wheel the lock files list. The project "demo-app" depends on alpha, on beta for
// python_version < '3.12', on gamma for platform_machine == 'aarch64'; alpha depends on delta; the
// extra "fast" adds epsilon; the group "dev" adds devtool and includes the group "lint" (lintkit).
// macos-only has no wheel Lambda loads.
func Wheels() []wheeltest.Spec {
	return []wheeltest.Spec{
		{Name: "alpha", Version: "1.0", Requires: []string{"delta>=1"}},
		{Name: "beta", Version: "2.0"},
		{Name: "gamma", Version: "3.0", Tag: "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"},
		{Name: "gamma", Version: "3.0", Tag: "cp313-cp313-manylinux_2_17_aarch64.manylinux2014_aarch64"},
		{Name: "gamma", Version: "3.0", Tag: "cp312-cp312-macosx_11_0_arm64"},
		{Name: "delta", Version: "1.5", Tag: "py3-none-manylinux_2_17_x86_64"},
		{Name: "delta", Version: "1.5", Tag: "py3-none-manylinux_2_17_aarch64"},
		{Name: "epsilon", Version: "1.0"},
		{Name: "devtool", Version: "0.1"},
		{Name: "lintkit", Version: "0.2"},
		{Name: "macos-only", Version: "1.0", Tag: "cp312-cp312-macosx_11_0_arm64"},
	}
}

// Dir is internal/lockfile/testdata.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Redirect returns a transport that sends requests for Host to serverURL (scheme and host only)
// through base (nil: http.DefaultTransport).
func Redirect(serverURL string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		panic(err)
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == Host {
			r = r.Clone(r.Context())
			r.URL.Scheme, r.URL.Host, r.Host = u.Scheme, u.Host, u.Host
		}
		return base.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
