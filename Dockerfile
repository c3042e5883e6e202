# syntax=docker/dockerfile:1
# The lambda-layers container action. Two stages: a Go toolchain builds one static binary, which then
# runs on a small base with CA certificates (for HTTPS to package indexes, GitHub and AWS) and git (the
# action compares with the base revision and finds changed layers). GitHub runs container actions as
# root with the workspace as the working directory, so this image sets neither USER nor WORKDIR.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-alpine AS build
ARG VERSION=dev
ENV CGO_ENABLED=0
COPY go.mod go.sum /src/
RUN cd /src && go mod download
COPY . /src
RUN cd /src && go build -trimpath -ldflags "-s -w -X github.com/lambda-layers/lambda-layers/internal/version.Version=${VERSION}" \
      -o /out/lambda-layers . && /out/lambda-layers version

FROM alpine:3.22
RUN apk add --no-cache ca-certificates git
COPY --from=build /out/lambda-layers /usr/local/bin/lambda-layers
ENTRYPOINT ["/usr/local/bin/lambda-layers"]
