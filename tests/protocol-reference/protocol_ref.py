#!/usr/bin/env python3
"""Independent reference implementation of PROTOCOL.md v1 (plain Python 3, standard library only).

Reads an events file the way the protocol describes it and prints, as JSON, the counts after filtering (overall and
per split) and the popularity baseline's metrics (event, user, new_session, within_session) on the validation and
test splits. It shares no code with the C# implementation; the C# test ProtocolCrossCheckTests compares the two.

  protocol_ref.py cold  EVENTS                   cold-start split (section 4)
  protocol_ref.py warm  EVENTS                   warm-start split (section 5)
  protocol_ref.py score PARENT EVENTS [--parent-split cold|warm]
                                                 section 9: the users of EVENTS against PARENT's catalogue; popularity
                                                 is counted on PARENT's training split

Counting conventions (the ones the prepared dataset's header uses): a user counts in every split it has an event in;
a session counts in the split of its first event; a split's items are the distinct items of its events; the overall
item count is the catalogue size N (for section 9, the parent's).
"""
import argparse
import csv
import gzip
import hashlib
import io
import json
import math
import sys

MASK = (1 << 64) - 1
SESSION_GAP_MS = 30 * 60 * 1000
SPLITS = ("train", "validation", "test")


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def cold_split(user):
    f = (splitmix64(user & MASK) >> 11) / float(1 << 53)
    if f < 0.8:
        return "train"
    return "validation" if f < 0.9 else "test"


def read_events(path, user_col, item_col, time_col):
    """Rows as (user, item, ts) in file order, and the sha256 of the file's bytes."""
    with open(path, "rb") as f:
        raw = f.read()
    sha = hashlib.sha256(raw).hexdigest()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = io.StringIO(raw.decode("utf-8"))
    first = text.readline()
    text.seek(0)
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(text, delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    ui, ii, ti = header.index(user_col), header.index(item_col), header.index(time_col)
    rows = []
    for rec in reader:
        if not rec:
            continue
        rows.append((int(rec[ui]), int(rec[ii]), int(rec[ti])))
    return rows, sha


def group_users(rows):
    """Section 1: sort by user, then timestamp, then input order; returns {user: [(item, ts), ...]} in user order."""
    order = sorted(range(len(rows)), key=lambda k: (rows[k][0], rows[k][2], k))
    users = {}
    for k in order:
        u, i, t = rows[k]
        users.setdefault(u, []).append((i, t))
    return users


def keep_users(users):
    """Rule 2.2."""
    return {u: ev for u, ev in users.items() if 10 <= len(ev) <= 1000}


def session_flags(events):
    """Section 3: True where an event opens a session."""
    return [k == 0 or events[k][1] - events[k - 1][1] > SESSION_GAP_MS for k in range(len(events))]


def prepare(rows, kind, catalogue=None):
    """Filters, sessions and splits. Returns users, their per-event splits, session flags, catalogue, T1, T2."""
    if catalogue is None:
        item_events = {}
        for _, i, _ in rows:
            item_events[i] = item_events.get(i, 0) + 1
        rows = [r for r in rows if item_events[r[1]] >= 50]
    else:
        rows = [r for r in rows if r[1] in catalogue]
    users = keep_users(group_users(rows))
    if catalogue is None:
        catalogue = sorted({i for ev in users.values() for i, _ in ev})
    t1 = t2 = None
    if kind == "warm":
        ts = sorted(t for ev in users.values() for _, t in ev)
        t1 = ts[math.floor(0.8 * (len(ts) - 1))]
        t2 = ts[math.floor(0.9 * (len(ts) - 1))]
    splits = {}
    for u, ev in users.items():
        if kind == "cold":
            splits[u] = [cold_split(u)] * len(ev)
        elif kind == "score":
            splits[u] = ["test"] * len(ev)
        else:
            splits[u] = ["train" if t < t1 else "validation" if t < t2 else "test" for _, t in ev]
    flags = {u: session_flags(ev) for u, ev in users.items()}
    return {"users": users, "splits": splits, "flags": flags, "catalogue": catalogue, "t1": t1, "t2": t2, "kind": kind}


def counts(p):
    users, splits, flags = p["users"], p["splits"], p["flags"]
    total = {
        "users": len(users),
        "items": len(p["catalogue"]),
        "events": sum(len(ev) for ev in users.values()),
        "sessions": sum(sum(f) for f in flags.values()),
    }
    per = {s: {"users": 0, "items": set(), "events": 0, "sessions": 0} for s in SPLITS}
    for u, ev in users.items():
        seen = set()
        for k, (i, _) in enumerate(ev):
            s = splits[u][k]
            seen.add(s)
            per[s]["events"] += 1
            per[s]["items"].add(i)
            if flags[u][k]:
                per[s]["sessions"] += 1
        for s in seen:
            per[s]["users"] += 1
    for s in SPLITS:
        per[s]["items"] = len(per[s]["items"])
    return total, per


def training_item_counts(p):
    """Training events per item: every event of a cold training user, every event before T1 in the warm split."""
    c = {i: 0 for i in p["catalogue"]}
    for u, ev in p["users"].items():
        for k, (i, _) in enumerate(ev):
            if p["splits"][u][k] == "train":
                c[i] += 1
    return c


def scored_events(p, split):
    """Section 6 (and 5 for warm): (user, index of the event in the user's list) of every scored event."""
    out = []
    for u in sorted(p["users"]):
        ev, sp = p["users"][u], p["splits"][u]
        if p["kind"] == "warm":
            start = p["t1"] if split == "validation" else p["t2"]
            if not any(t < start for _, t in ev):
                continue
            out.extend((u, k) for k in range(1, len(ev)) if sp[k] == split)
        elif sp[0] == split:
            out.extend((u, k) for k in range(1, len(ev)))
    return out


def metric_set(ranks, n_items):
    if not ranks:
        return {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "recall@20": 0.0, "mrr": 0.0, "mrp": 0.0, "n": 0}
    m = len(ranks)
    out = {"recall@%d" % k: sum(1 for r in ranks if r <= k) / m for k in (1, 5, 10, 20)}
    out["mrr"] = sum(1.0 / r for r in ranks) / m
    out["mrp"] = sum(r / n_items for r in ranks) / m
    out["n"] = m
    return out


def popularity_metrics(p, pop, n_items, split):
    # Rank = 1 + #{other items with count >= the true item's count} = #{items with count >= it}.
    values = sorted(pop.values(), reverse=True)
    at_least = {}
    for k, v in enumerate(values):
        at_least[v] = k + 1
    scored = scored_events(p, split)
    ranks, opening, inside, by_user = [], [], [], {}
    for u, k in scored:
        item = p["users"][u][k][0]
        r = at_least[pop[item]]
        ranks.append(r)
        (opening if p["flags"][u][k] else inside).append(r)
        by_user.setdefault(u, []).append(r)
    per_user = [metric_set(rs, n_items) for rs in by_user.values()]
    user = {key: (sum(m[key] for m in per_user) / len(per_user) if per_user else 0.0)
            for key in ("recall@1", "recall@5", "recall@10", "recall@20", "mrr", "mrp")}
    user["n"] = len(per_user)
    return {
        "event": metric_set(ranks, n_items),
        "user": user,
        "new_session": metric_set(opening, n_items),
        "within_session": metric_set(inside, n_items),
    }


def report(p, sha, pop, splits_scored):
    total, per = counts(p)
    n_items = len(pop)
    return {
        "protocol": "v1",
        "split_kind": p["kind"],
        "sha256": sha,
        "counts": total,
        "split_counts": per,
        "t1_ms": p["t1"],
        "t2_ms": p["t2"],
        "pop": {s: popularity_metrics(p, pop, n_items, s) for s in splits_scored},
    }


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["cold", "warm", "score"])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--parent-split", choices=["cold", "warm"], default="cold")
    ap.add_argument("--user-col", default="user_id")
    ap.add_argument("--item-col", default="item_id")
    ap.add_argument("--time-col", default="timestamp_ms")
    a = ap.parse_args(argv)
    cols = (a.user_col.lower(), a.item_col.lower(), a.time_col.lower())
    if a.mode in ("cold", "warm"):
        if len(a.files) != 1:
            ap.error("cold and warm take one events file")
        rows, sha = read_events(a.files[0], *cols)
        p = prepare(rows, a.mode)
        out = report(p, sha, training_item_counts(p), ("validation", "test"))
    else:
        if len(a.files) != 2:
            ap.error("score takes PARENT and EVENTS")
        parent_rows, _ = read_events(a.files[0], *cols)
        parent = prepare(parent_rows, a.parent_split)
        rows, sha = read_events(a.files[1], *cols)
        p = prepare(rows, "score", catalogue=set(parent["catalogue"]))
        p["catalogue"] = parent["catalogue"]
        out = report(p, sha, training_item_counts(parent), ("test",))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
