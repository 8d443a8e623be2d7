#!/usr/bin/env bash
# Table 2 of the paper on a prepared dataset: the baselines pop, recentpop, cooc and sknn and the five neural models (trained with
# the given options), each evaluated on validation and test, and HierTCN and HierGRU reading recentpop's counts as a prior
# (NAME+prior: --recent-pop-prior true); prints one Markdown table from the JSON reports.
# Usage: bench/trainer/table2.sh DATA OUT [train options, e.g. --epochs 1]
set -euo pipefail
data="$1"; out="$2"; shift 2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cli="${HIERTCN_CLI:-$root/hiertcn}"   # e.g. "dotnet /path/hiertcn.dll": a build that source edits do not rebuild mid-run
models="${MODELS:-hiertcn hiergru hrnn tcn gru hiertcn+prior hiergru+prior}"   # BASELINES="" leaves the baselines out
mkdir -p "$out"
reports=()
for b in ${BASELINES-pop recentpop cooc sknn}; do
  for s in validation test; do
    $cli baseline --data "$data" --model "$b" --split "$s" --report "$out/$b.$s.json" > "$out/$b.$s.log" 2>&1
    reports+=("$out/$b.$s.json")
  done
done
for m in $models; do
  prior=(); [[ "$m" == *+prior ]] && prior=(--recent-pop-prior true)
  rm -rf "$out/$m"
  $cli train --data "$data" --model "${m%+prior}" "${prior[@]}" --out "$out/$m" "$@" > "$out/$m.log" 2>&1
  reports+=("$out/$m/report.validation.json" "$out/$m/report.test.json")
done
$cli report-table "${reports[@]}"
