#!/usr/bin/env bash
# Items the model never saw (issue 21): synthetic data on which a share of the items is published over time
# (`generate --new-items`), prepared with the warm (time) split, then the same model trained on item ids and on item
# features. Each test report splits the test period's events by whether the true item has a training event (known
# items) or not (new items: published after the training period); prints one Markdown table of the two reports, each
# with its known-item and new-item rows. The feature model scores every catalogue item by its projected features, the
# vectors a fresh `snapshot build --bundle --features` serves (FeatureSnapshotTests: equal within 1e-5). Both train
# with `--sampled-softmax`: each event's negatives are the items shown with it (its impressions), not the whole
# catalogue; with the full-catalogue softmax the feature model learns the known items' exposure-driven popularity and
# ranks new items just below the top ten (bench/RESULTS.md, issue 21). LOSS="" trains with the full softmax instead.
# Usage: bench/trainer/new-items.sh OUT [train options, e.g. --epochs 3]
# Sizes from the environment: USERS (3000), ITEMS (1000), TOPICS (40), DIM (64), NEW_ITEMS (0.3), SEED (1), MODEL
# (hiertcn). Keep USERS / TOPICS near 75 or above: with fewer users a topic the late items get under the protocol's
# 50 events and are dropped, and no new item is left.
set -euo pipefail
out="$1"; shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cli="${HIERTCN_CLI:-$root/hiertcn}"   # e.g. "dotnet /path/hiertcn.dll": a build that source edits do not rebuild mid-run
mkdir -p "$out"
rm -rf "$out/gen" "$out/data"
$cli generate --out "$out/gen" --users "${USERS:-3000}" --items "${ITEMS:-1000}" --topics "${TOPICS:-40}" --dim "${DIM:-64}" \
  --new-items "${NEW_ITEMS:-0.3}" --seed "${SEED:-1}" > "$out/generate.log" 2>&1
$cli prepare --input "$out/gen/events.csv.gz" --impressions-col impressions --items "$out/gen/items.csv.gz" \
  --split warm --out "$out/data" > "$out/prepare.log" 2>&1
for items in ids features; do
  rm -rf "${out:?}/$items"
  # shellcheck disable=SC2086  # LOSS is a list of options
  $cli train --data "$out/data" --model "${MODEL:-hiertcn}" --items "$items" ${LOSS---sampled-softmax} --out "$out/$items" "$@" > "$out/$items.log" 2>&1
done
$cli report-table "$out/ids/report.test.json" "$out/features/report.test.json"
