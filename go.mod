module github.com/lambda-layers/lambda-layers

go 1.26.8

require (
	golang.org/x/net v0.62.0
	golang.org/x/sync v0.25.0
)

require github.com/klauspost/compress v1.20.4 // indirect
