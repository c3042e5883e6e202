package index

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrNoMetadata means the index offers no PEP 658 metadata file for a distribution (or advertised one
// and then did not serve it); the caller falls back to reading the wheel.
var ErrNoMetadata = errors.New("index offers no metadata file")

// ErrHashMismatch means downloaded content did not match the hash the index listed for it.
var ErrHashMismatch = errors.New("hash mismatch")

// HTTPError is a response whose status is not retryable (or stayed failing through every retry).
type HTTPError struct {
	URL        string // redacted
	StatusCode int
	// Message is the first line of a short plain-text or JSON body, which private indexes use to say
	// why (an expired token, a missing permission); "" otherwise.
	Message string
	hint    string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("GET %s: %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.hint != "" {
		s += "\n  hint: " + e.hint // the shape of every hint the command line prints, on its own line
	}
	return s
}

// NotFoundError means no index lists the project.
type NotFoundError struct {
	Name    string
	Indexes []string // redacted
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("project %q not found on %s", e.Name, strings.Join(e.Indexes, ", "))
}

// retryableError marks a failure worth another attempt; after is the server's Retry-After, if any.
type retryableError struct {
	err   error
	after time.Duration
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }
