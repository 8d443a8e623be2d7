#!/usr/bin/env python3
"""Compares a prepared dataset and `hiertcn baseline --model pop` reports with protocol_ref.py's output.

  compare.py REF.json DATASET_DIR SPLIT=REPORT.json [SPLIT=REPORT.json ...]

Prints every count and metric side by side with the largest absolute difference; exits 1 on any count mismatch or a
metric difference above 1e-9.
"""
import json
import os
import sys


def main(argv):
    ref = json.load(open(argv[0]))
    header = json.load(open(os.path.join(argv[1], "header.json")))
    bad = 0
    print("sha256 %s %s" % (ref["sha256"] == header["input_sha256"] and "equal" or "DIFFER", ref["sha256"]))
    bad += ref["sha256"] != header["input_sha256"]
    pairs = [("all", ref["counts"], header["counts"])]
    pairs += [(s, ref["split_counts"][s], header["split_counts"][s]) for s in ("train", "validation", "test")]
    for name, r, c in pairs:
        for key in ("users", "items", "events", "sessions"):
            ok = r[key] == c[key]
            bad += not ok
            print("counts %-10s %-8s python %9d  C# %9d %s" % (name, key, r[key], c[key], "" if ok else "MISMATCH"))
    worst = 0.0
    for arg in argv[2:]:
        split, path = arg.split("=", 1)
        report = json.load(open(path))
        for group in ("event", "user", "new_session", "within_session"):
            want, got = ref["pop"][split][group], report["metrics"][group]
            bad += want["n"] != got["n"]
            for key in ("recall@1", "recall@5", "recall@10", "recall@20", "mrr", "mrp"):
                diff = abs(want[key] - got[key])
                worst = max(worst, diff)
                print("pop %-10s %-14s %-9s python %.12f  C# %.12f  |diff| %.1e" % (split, group, key, want[key], got[key], diff))
    print("largest metric difference %.3e; %s" % (worst, "AGREE" if bad == 0 and worst <= 1e-9 else "DISAGREE"))
    return 0 if bad == 0 and worst <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
