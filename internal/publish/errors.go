package publish

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// AccessDeniedError is AWS refusing a call for want of an IAM permission.
type AccessDeniedError struct {
	Action   string // the IAM action missing, e.g. "lambda:PublishLayerVersion"
	Resource string // what it was called on
	Err      error
}

func (e *AccessDeniedError) Error() string {
	return fmt.Sprintf("AWS denied %s on %s: allow the IAM action %q to the credentials in use (docs/publish.md lists the minimal policy): %v",
		e.Action, e.Resource, e.Action, e.Err)
}

func (e *AccessDeniedError) Unwrap() error { return e.Err }

// Refusal is one reason not to publish, found before anything was written.
type Refusal struct {
	Layer    string `json:"layer,omitempty"` // Lambda layer name
	Region   string `json:"region,omitempty"`
	Function string `json:"function,omitempty"`
	Reason   string `json:"reason"`
}

func (r Refusal) String() string {
	var where []string
	for _, s := range []string{r.Layer, r.Function, r.Region} {
		if s != "" {
			where = append(where, s)
		}
	}
	if len(where) == 0 {
		return r.Reason
	}
	return strings.Join(where, " ") + ": " + r.Reason
}

// RefusedError is a run refused as a whole: nothing was uploaded, published or changed.
type RefusedError struct {
	Refusals []Refusal
}

func (e *RefusedError) Error() string {
	lines := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		lines[i] = r.String()
	}
	return "refusing to publish anything:\n  " + strings.Join(lines, "\n  ")
}

// OptionsError is an invalid option: a usage error.
type OptionsError struct {
	Msg string
}

func (e *OptionsError) Error() string { return e.Msg }

func optErr(format string, a ...any) error { return &OptionsError{Msg: fmt.Sprintf(format, a...)} }

// awsErr wraps an SDK error with the IAM action and resource, and turns AWS's access-denied answers into
// an *AccessDeniedError naming the action to allow.
func awsErr(action, resource string, err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if isAccessDenied(err) && errors.As(err, &ae) {
		a := action
		// Lambda fetches a layer from S3 with the caller's credentials.
		if action == "lambda:PublishLayerVersion" && strings.Contains(ae.ErrorMessage(), "S3") {
			a = "s3:GetObject"
		}
		return &AccessDeniedError{Action: a, Resource: resource, Err: err}
	}
	return fmt.Errorf("%s %s: %w", action, resource, err)
}

// isAccessDenied reports whether err is AWS refusing for want of a permission.
func isAccessDenied(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "AccessDeniedException", "AccessDenied", "Forbidden", "UnauthorizedOperation", "AuthorizationError":
		return true
	}
	return false
}

// isNotFound reports whether err is AWS saying the resource does not exist.
func isNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ResourceNotFoundException", "NotFound", "NoSuchKey", "NoSuchUpload":
		return true
	}
	return false
}

func isConflict(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ResourceConflictException"
}
