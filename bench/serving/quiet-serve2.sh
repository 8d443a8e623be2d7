#!/bin/bash
# Issue 11, one run: old (530d847) and new (HEAD) closed loop back to back, then the new server's open loop at half its
# peak three times with the embedded store's default index (2^20 buckets) and three times with it sized by
# state-store/README's rule for the bench's users (2^16); then the in-process allocation/latency benchmark.
cd /work/runs/sb
start() { # SERVERDIR MODELDIR PORT [server args]: started from its own directory
  B=/work/runs/sb; rm -rf $B/state-$3; D=$1; M=$2; P=$3; shift 3
  (cd $B/$D && exec dotnet HierTcn.Inference.Server.dll --Recommender:BundlesDirectory=$B/$M/bundles --Recommender:SnapshotsDirectory=$B/$M/snapshots \
    --Recommender:Models:0:Version=globo-v1 --StateStore:DataDirectory=$B/state-$P --Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:$P \
    --RecommenderServer:MetricsPort=$((P+1000)) --RecommenderServer:MetricsHostname=127.0.0.1 --Recommender:Batching:QueueCapacity=64 \
    --Logging:LogLevel:HierTcn=Debug "--Logging:Console:TimestampFormat=HH:mm:ss.fff " "$@") > $B/server-$P.log 2>&1 &
  SP=$!
  for i in $(seq 60); do curl -s http://127.0.0.1:$((P+1000))/metrics > /dev/null && break; sleep 0.5; done
}
closed() { dotnet loadgen/HierTcn.LoadGen.dll closed --server http://127.0.0.1:$1 --data /work/runs/globo --callers 64 --seconds 20 --warmup 5 --users 256 | tee closed-$1.txt; }
open() { dotnet loadgen/HierTcn.LoadGen.dll open --server http://127.0.0.1:$1 --data /work/runs/globo --rate $2 --seconds 15 --warmup 3 --recover-rate $3 --users 256 --metrics http://127.0.0.1:$(($1+1000))/metrics; }
date -u; uptime; git -C /work/main log --oneline -1
echo "== old 530d847"; start server-530 model-530 5390; closed 5390; kill $SP; wait $SP 2>/dev/null
echo "== new HEAD"; start server-head model 5290; closed 5290; kill $SP; wait $SP 2>/dev/null
PEAK=$(grep -o '[0-9]* req/s' closed-5290.txt | head -1 | cut -d' ' -f1); HALF=$((PEAK / 2))
echo "half of the new peak: $HALF req/s"
for buckets in 1048576 65536; do for run in 1 2 3; do
  echo "== new HEAD, open loop, IndexBuckets $buckets, run $run"; start server-head model 5290 --StateStore:IndexBuckets=$buckets
  sleep 15; open 5290 $HALF $((HALF / 2)); grep -A1 "taken" server-5290.log | grep -v "^--" | paste - - | sed 's/ \+/ /g'; kill $SP; wait $SP 2>/dev/null
done; done
echo "== in-process Recommend by session length (new)"
HIERTCN_BENCH_MODEL=/work/runs/sb/model dotnet bench/HierTcn.Benchmarks.dll alloc
date -u; uptime
