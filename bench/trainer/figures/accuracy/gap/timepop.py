# Diagnostic: R@10 / MRR of "popularity among training users' clicks in the W before the event" at the test events
# that open a session (not a user's first), from a prepared dataset (PROTOCOL v1 cold split).
import struct, sys, bisect, array
path = sys.argv[1]; MODE = sys.argv[2]; SPLIT = int(sys.argv[3]); sys.argv = sys.argv[:1] + sys.argv[1:3] + sys.argv[4:]; sys.argv = sys.argv[:2] + sys.argv[3:]
raw = open(path + '/dataset.bin', 'rb').read()
count = struct.unpack_from('<i', raw, 12)[0]
sec = {}
for i in range(count):
    off = 16 + 32 * i
    name = raw[off:off+16].rstrip(b'\0').decode()
    o, n = struct.unpack_from('<qq', raw, off + 16)
    sec[name] = (o, n)
def arr(name, code):
    o, n = sec[name]; a = array.array(code); a.frombytes(raw[o:o + n * a.itemsize]); return a
us, se, items, ts, esplit, usplit = arr('user_sessions','i'), arr('session_events','i'), arr('event_items','i'), arr('event_ts','q'), arr('event_split','B'), arr('user_split','B')
N = len(arr('item_ids','q'))
train = sorted((ts[e], items[e]) for e in range(len(items)) if esplit[e] == 0)
tt = [t for t, _ in train]
queries = []
for u in range(len(usplit)):
    if usplit[u] != SPLIT: continue
    for s in range(us[u], us[u+1]):
        for e in range(se[s], se[s+1]):
            if e == se[us[u]]: continue           # the user's first event is never scored
            if MODE == 'starts' and e != se[s]: continue
            queries.append((ts[e], items[e]))
queries.sort()
print(f'{len(queries)} test events ({MODE}); {len(train)} training events; {N} items')
for W in [int(x) for x in sys.argv[2:]]:
    counts = [0] * N; lo = hi = 0; hit = 0; rr = 0.0
    for t, target in queries:
        while hi < len(tt) and tt[hi] < t: counts[train[hi][1]] += 1; hi += 1
        while lo < hi and tt[lo] < t - W: counts[train[lo][1]] -= 1; lo += 1
        c = counts[target]
        rank = 1 + sum(1 for i, v in enumerate(counts) if v >= c and i != target)
        hit += rank <= 10; rr += 1 / rank
    print(f'window {W/3600000:g} h: R@10 {hit/len(queries):.4f}  MRR {rr/len(queries):.4f}')
