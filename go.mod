module github.com/lambda-layers/lambda-layers

go 1.26.8

require (
	deps.dev/util/pypi v0.0.0-20260727054525-2946ae4a6141 // indirect
	deps.dev/util/semver v0.0.0-20260727054525-2946ae4a6141 // indirect
	golang.org/x/sync v0.25.0 // indirect
)
