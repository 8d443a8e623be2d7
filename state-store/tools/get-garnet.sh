#!/usr/bin/env bash
# Puts the pinned Garnet server (the garnet-server dotnet tool, from NuGet) under .build/garnet/ and prints its path.
# Runs again in a moment once it is there. Used by .ci/run; tests/HierTcn.StateStore.Tests looks for
# .build/garnet/garnet-server and reports the Garnet tests Skipped without it.
set -euo pipefail
version="2.2.12"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/.build/garnet"
garnet="$dir/garnet-server"
if [[ -x "$garnet" ]] && dotnet tool list --tool-path "$dir" | grep -q "garnet-server *$version"; then
  echo "$garnet"
  exit 0
fi
rm -rf "$dir"
dotnet tool install --tool-path "$dir" garnet-server --version "$version" >/dev/null \
  || { echo "get-garnet.sh: dotnet tool install garnet-server $version failed" >&2; exit 1; }
echo "$garnet"
