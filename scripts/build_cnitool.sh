#!/usr/bin/env bash
# Prints the path of a Go test tool built against Debian's libcni source (package
# golang-github-appc-cni-dev), building it when it is missing or older than its source.
# Usage: build_cnitool.sh [NAME]  builds tests/NAME/main.go into .tools/NAME; NAME defaults to
# cnitool (the libcni-driven test runtime); "oracle" is the Go sample of tests/oracle_test.ts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gopath=/usr/share/gocode
libcni_src=$gopath/src/github.com/containernetworking/cni
name=${1:-cnitool}
src=$root/tests/$name/main.go
out=$root/.tools/$name

fail() { echo "build_cnitool: $*" >&2; exit 1; }
command -v go >/dev/null || fail "go is missing (apt-get install golang-go)"
[ -d "$libcni_src/libcni" ] ||
  fail "libcni source is missing at $libcni_src (apt-get install golang-github-appc-cni-dev)"
[ -f "$src" ] || fail "no such tool: $src"

if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p "$(dirname "$out")"
  # Go needs a build cache; use one under .tools/ when there is no HOME (e.g. a bare CI env).
  if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
    export GOCACHE=$root/.tools/go-build-cache
  fi
  (cd "$root" && GO111MODULE=off GOPATH=$gopath GOFLAGS= go build -o "$out.tmp" "./tests/$name") >&2
  mv "$out.tmp" "$out"
fi
echo "$out"
