#!/bin/bash
# Issue 11, one run: old (530d847) and new (server-warm) closed loop back to back; then, on the new server still warm
# from its closed loop, the open loop at half its peak three times; then a fresh new server offered the same rate.
cd /work/runs/sb
start() { # SERVERDIR MODELDIR PORT [server args]: started from its own directory, load once it listens
  B=/work/runs/sb; rm -rf $B/state-$3; D=$1; M=$2; P=$3; shift 3
  (cd $B/$D && exec dotnet HierTcn.Inference.Server.dll --Recommender:BundlesDirectory=$B/$M/bundles --Recommender:SnapshotsDirectory=$B/$M/snapshots \
    --Recommender:Models:0:Version=globo-v1 --StateStore:DataDirectory=$B/state-$P --Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:$P \
    --RecommenderServer:MetricsPort=$((P+1000)) --RecommenderServer:MetricsHostname=127.0.0.1 --Recommender:Batching:QueueCapacity=64 "$@") > $B/server-$P.log 2>&1 &
  SP=$!
  for i in $(seq 120); do grep -q "Now listening" $B/server-$P.log && curl -s http://127.0.0.1:$((P+1000))/metrics > /dev/null && break; sleep 0.25; done
}
closed() { dotnet loadgen/HierTcn.LoadGen.dll closed --server http://127.0.0.1:$1 --data /work/runs/globo --callers 64 --seconds 20 --warmup 5 --users 256 | tee closed-$1.txt; }
open() { dotnet loadgen/HierTcn.LoadGen.dll open --server http://127.0.0.1:$1 --data /work/runs/globo --rate $2 --seconds 15 --warmup 3 --recover-rate $3 --users 256 --metrics http://127.0.0.1:$(($1+1000))/metrics | grep -E "warm-up|overload|slow"; }
date -u; uptime; git -C /work/main log --oneline -1
echo "== old 530d847"; start server-530 model-530 5390; closed 5390; kill $SP; wait $SP 2>/dev/null
echo "== new (server-warm)"; start server-warm model 5290; closed 5290
PEAK=$(grep -o '[0-9]* req/s' closed-5290.txt | head -1 | cut -d' ' -f1); HALF=$((PEAK / 2))
echo "half of the new peak: $HALF req/s"
for run in 1 2 3; do echo "== new, warm, open loop run $run"; open 5290 $HALF $((HALF / 2)); done
kill $SP; wait $SP 2>/dev/null
echo "== new, fresh server, open loop"; start server-warm model 5290; open 5290 $HALF $((HALF / 2)); kill $SP; wait $SP 2>/dev/null
date -u; uptime
