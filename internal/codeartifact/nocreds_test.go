package codeartifact

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenWithoutCredentials: with no credentials anywhere (no AWS_* variables, no files, an instance
// metadata service that refuses), Open fails with NoCredentialsError, and the SDK's own logger — its
// "WARN falling back to IMDSv1" — writes nothing to standard error. Not parallel: it sets the
// process's environment (the SDK reads it directly) and swaps os.Stderr.
func TestOpenWithoutCredentials(t *testing.T) {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer imds.Close()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL, "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_EC2_METADATA_DISABLED": "", "AWS_REGION": "us-east-1",
	} {
		t.Setenv(k, v)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	_, err = Open(context.Background(), Repository{Domain: "acme", Repository: "pypi"}, Options{Getenv: os.Getenv})
	os.Stderr = stderr
	w.Close()
	leaked, _ := io.ReadAll(r)
	var nc *NoCredentialsError
	if !errors.As(err, &nc) || !strings.HasPrefix(err.Error(), "no AWS credentials found") {
		t.Errorf("error %v (%T), want a NoCredentialsError", err, err)
	}
	if len(leaked) > 0 {
		t.Errorf("the SDK wrote to standard error:\n%s", leaked)
	}
}
