#!/bin/bash
# Cold server offered RATE from its first seconds (3 s load-generator warm-up, then 15 s), one build (server-warm),
# with the model warm-up on (default) and off (--Recommender:WarmupMilliseconds=0). The load starts once the server
# logs that it is ready (after the warm-up when there is one), not when its metrics port answers.
cd /work/runs/sb
RATE=${1:-9260}
for w in ${WARMUPS:-1000 0 1000 0}; do
  echo "== cold server, $RATE req/s, WarmupMilliseconds=$w"
  rm -rf state-5290
  (cd server-warm && exec dotnet HierTcn.Inference.Server.dll --Recommender:BundlesDirectory=/work/runs/sb/model/bundles --Recommender:SnapshotsDirectory=/work/runs/sb/model/snapshots \
    --Recommender:Models:0:Version=globo-v1 --StateStore:DataDirectory=/work/runs/sb/state-5290 --Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:5290 \
    --RecommenderServer:MetricsPort=6290 --RecommenderServer:MetricsHostname=127.0.0.1 --Recommender:Batching:QueueCapacity=64 \
    --Recommender:WarmupMilliseconds=$w) > server-cold-$w.log 2>&1 &
  SP=$!
  for i in $(seq 120); do grep -q "Now listening" server-cold-$w.log && break; sleep 0.25; done
  grep -hE "warmed up|Ready|ready" server-cold-$w.log | cut -c1-200
  dotnet loadgen/HierTcn.LoadGen.dll open --server http://127.0.0.1:5290 --data /work/runs/globo --rate $RATE --seconds 15 --warmup 3 --recover-rate $((RATE / 2)) --users 256 --metrics http://127.0.0.1:6290/metrics | grep -E "warm-up|overload" | cut -c1-260
  kill $SP; wait $SP 2>/dev/null
done
