import csv, collections, sys
# gap_buckets.py A B: test Recall@10 of run A and run B at the events that open a session (not a user's first),
# by the time since the user's previous event (events.test.csv of each run).
A = list(csv.DictReader(open(sys.argv[1] + '/events.test.csv'))); B = list(csv.DictReader(open(sys.argv[2] + '/events.test.csv')))
agg = collections.defaultdict(lambda: [0, 0, 0])
for a, b in zip(A, B):
    assert a['event'] == b['event']
    if a['session_position'] != '0':
        continue
    g = int(a['gap_ms']) / 60000
    k = '30-60m' if g < 60 else '1-3h' if g < 180 else '3-12h' if g < 720 else '12-24h' if g < 1440 else '1-3d' if g < 4320 else '>3d'
    x = agg[k]; x[0] += 1; x[1] += int(a['rank']) <= 10; x[2] += int(b['rank']) <= 10
for k in ['30-60m', '1-3h', '3-12h', '12-24h', '1-3d', '>3d']:
    n, a, b = agg[k]
    print(f'{k:7s} n {n:6d}  R@10 {a / n:.4f} {b / n:.4f} ({(a - b) / n:+.4f})')
