#!/bin/bash
# Cold server offered RATE from its first seconds (3 s warm-up, then 15 s): the default runtime, then tiered
# compilation off (everything compiled fully on first call), then ReadyToRun-less quick JIT off for loops.
cd /work/runs/sb
RATE=${1:-9260}
for env in ${ENVS:-"" "DOTNET_TieredCompilation=0" "DOTNET_TieredPGO=0"}; do
  echo "== cold server, $RATE req/s, env: ${env:-default}"
  rm -rf state-5290
  (cd ${SERVER:-server-warm} && exec env $env dotnet HierTcn.Inference.Server.dll --Recommender:BundlesDirectory=/work/runs/sb/model/bundles --Recommender:SnapshotsDirectory=/work/runs/sb/model/snapshots \
    --Recommender:Models:0:Version=globo-v1 --StateStore:DataDirectory=/work/runs/sb/state-5290 --Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:5290 \
    --RecommenderServer:MetricsPort=6290 --RecommenderServer:MetricsHostname=127.0.0.1 --Recommender:Batching:QueueCapacity=64) > server-cold3.log 2>&1 &
  SP=$!
  for i in $(seq 120); do grep -q "Now listening" server-cold3.log && break; sleep 0.25; done
  dotnet loadgen/HierTcn.LoadGen.dll open --server http://127.0.0.1:5290 --data /work/runs/globo --rate $RATE --seconds 15 --warmup 3 --recover-rate $((RATE / 2)) --users 256 --metrics http://127.0.0.1:6290/metrics | grep -E "warm-up|overload" | cut -c1-260
  kill $SP; wait $SP 2>/dev/null
done
