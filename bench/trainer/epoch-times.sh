#!/usr/bin/env bash
# Table 4 of the paper and its section 4.3.4: one training epoch of each of the five models on the same data, one
# after the other in one invocation, no validation; prints epoch time, events/s and input-data memory per batch
# (from each run's epochs.json). Usage: bench/trainer/epoch-times.sh DATA OUT [extra train options...]
set -euo pipefail
data="$1"; out="$2"; shift 2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cli="${HIERTCN_CLI:-$root/hiertcn}"   # e.g. "dotnet /path/hiertcn.dll": a build that source edits do not rebuild mid-run
mkdir -p "$out"
field() { grep -o "\"$2\": [0-9.e+-]*" "$1" | head -1 | sed 's/.*: //'; }
printf '| model | parameters | train events | epoch (s) | events/s | padded positions / batch | input bytes / batch (mean) | max |\n|---|---|---|---|---|---|---|---|\n'
for model in hiertcn hiergru hrnn tcn gru; do
  rm -rf "$out/$model"
  $cli train --data "$data" --model "$model" --out "$out/$model" --epochs 1 --skip-validation --no-final-eval "$@" > "$out/$model.log" 2>&1
  e="$out/$model/epochs.json"; c="$out/$model/config.json"
  printf '| %s | %s | %s | %.1f | %.0f | %.0f | %.0f | %s |\n' "$model" "$(field "$c" parameters)" "$(field "$e" train_events)" \
    "$(field "$e" train_seconds)" "$(field "$e" events_per_s)" "$(field "$e" padded_positions_per_batch)" \
    "$(field "$e" input_bytes_per_batch)" "$(field "$e" max_input_bytes)"
done
