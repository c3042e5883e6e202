package action

import (
	"fmt"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/github"
)

// actionInputs are the inputs action.yml declares, in its order; a test keeps the two (and the
// README) in step. GitHub enforces neither required inputs nor their values, so readInputs checks them.
var actionInputs = []string{
	"github-token", "config", "requirements", "runtimes", "architectures", "layer", "mode", "fail-on",
	"comment", "check-name", "status-check", "base-ref", "index-url", "aws-region", "dry-run", "out",
	"cache-dir", "refresh",
}

// actionOutputs are the outputs action.yml declares.
var actionOutputs = []string{"report-json", "layers", "matrix", "changed", "published", "images", "comment-body"}

// Modes of the action.
const (
	modeAuto    = "auto"
	modeBuild   = "build"
	modeReport  = "report"
	modePublish = "publish"
	modePlan    = "plan"
	modeComment = "comment"
)

var actionModes = []string{modeAuto, modeBuild, modeReport, modePublish, modePlan, modeComment}

// defaultOut is where the action writes zips and reports, relative to the workspace. Not hidden,
// so that actions/upload-artifact takes it as it is.
const defaultOut = "dist/lambda-layers"

// actionOptions are the inputs, read and checked.
type actionOptions struct {
	token, configPath, mode, failOn, baseRef, indexURL, awsRegion, out, cacheDir string
	requirements, runtimes, archs, layers                                        []string
	comment, dryRun, refresh                                                     bool
	// checkName names the status check; statusCheck is "" (the default: post from the job that
	// posts the report), "true" or "false".
	checkName, statusCheck string
}

// readInputs reads every input once (through get, which records what is asked for in tests).
func readInputs(get func(string) string) (actionOptions, config.Errors) {
	var errs config.Errors
	o := actionOptions{
		token:        get("github-token"),
		configPath:   get("config"),
		requirements: config.SplitList(get("requirements")),
		runtimes:     config.SplitList(get("runtimes")),
		archs:        config.SplitList(get("architectures")),
		layers:       config.SplitList(get("layer")),
		mode:         strings.ToLower(get("mode")),
		failOn:       get("fail-on"),
		baseRef:      get("base-ref"),
		indexURL:     get("index-url"),
		awsRegion:    get("aws-region"),
		out:          get("out"),
		checkName:    get("check-name"),
		statusCheck:  strings.ToLower(get("status-check")),
		cacheDir:     get("cache-dir"),
	}
	if o.mode == "" {
		o.mode = modeAuto
	}
	valid := false
	for _, m := range actionModes {
		valid = valid || m == o.mode
	}
	if !valid {
		errs = append(errs, &config.Error{Input: "mode", Message: fmt.Sprintf("%q is not one of %s", o.mode, strings.Join(actionModes, ", "))})
	}
	var err error
	if o.comment, err = boolInput(get("comment"), true); err != nil {
		errs = append(errs, &config.Error{Input: "comment", Message: err.Error()})
	}
	if _, err = boolInput(o.statusCheck, true); err != nil {
		errs = append(errs, &config.Error{Input: "status-check", Message: err.Error()})
	}
	if o.checkName == "" {
		o.checkName = github.DefaultCheckName
	}
	if strings.ContainsAny(o.checkName, "\r\n") || len(o.checkName) > 100 {
		errs = append(errs, &config.Error{Input: "check-name", Message: fmt.Sprintf("%q is not one line of at most 100 characters", o.checkName)})
	}
	if o.dryRun, err = boolInput(get("dry-run"), false); err != nil {
		errs = append(errs, &config.Error{Input: "dry-run", Message: err.Error()})
	}
	if o.refresh, err = boolInput(get("refresh"), false); err != nil {
		errs = append(errs, &config.Error{Input: "refresh", Message: err.Error()})
	}
	if o.out == "" {
		o.out = defaultOut
	}
	if strings.HasPrefix(o.baseRef, "-") {
		errs = append(errs, &config.Error{Input: "base-ref", Message: fmt.Sprintf("%q is not a git revision", o.baseRef)})
	}
	return o, errs
}

// boolInput reads a boolean as GitHub's toolkit does (YAML 1.2 core schema).
func boolInput(v string, def bool) (bool, error) {
	switch v {
	case "":
		return def, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}

// inputGetter reads inputs through go-githubactions, so the names are looked up as the runner
// passes them (INPUT_GITHUB-TOKEN).
func inputGetter(a *github.Actions) func(string) string { return a.Input }
