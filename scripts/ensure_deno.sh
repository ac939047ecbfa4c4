#!/usr/bin/env bash
# Prints the path of a Deno binary of the pinned version, installing it from the npm registry into
# .tools/ when neither $DENO nor PATH has that version. Everything else reads the version from here.
set -euo pipefail
version=2.9.6
root=$(cd "$(dirname "$0")/.." && pwd)
local_bin="$root/.tools/deno-$version/deno"

matches() { [ -x "$1" ] && "$1" --version 2>/dev/null | head -1 | grep -qx "deno $version (.*"; }

for candidate in "${DENO:-}" "$local_bin" "$(command -v deno || true)"; do
  if [ -n "$candidate" ] && matches "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

command -v npm >/dev/null || { echo "ensure_deno: npm is needed to install deno $version" >&2; exit 1; }
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
echo "ensure_deno: installing deno $version from the npm registry into .tools/" >&2
npm install --silent --no-save --no-audit --no-fund --ignore-scripts --prefix "$staging" \
  "@deno/linux-x64-glibc@$version" >&2
mkdir -p "$(dirname "$local_bin")"
install -m 0755 "$staging/node_modules/@deno/linux-x64-glibc/deno" "$local_bin.tmp"
mv "$local_bin.tmp" "$local_bin"
matches "$local_bin" || { echo "ensure_deno: the installed binary is not deno $version" >&2; exit 1; }
echo "$local_bin"
