#!/bin/bash
# Issue 11 serving figures, one run: old (530d847), before today (79d1938), new (HEAD); server and load generator on
# the same 2 cores; nothing else running.
cd /work/runs/sb
start() { # SERVERDIR MODELDIR PORT: started from its own directory, as inference/serve does (older builds read
  # appsettings.json from the working directory)
  B=/work/runs/sb; rm -rf $B/state-$3
  (cd $B/$1 && exec dotnet HierTcn.Inference.Server.dll --Recommender:BundlesDirectory=$B/$2/bundles --Recommender:SnapshotsDirectory=$B/$2/snapshots \
    --Recommender:Models:0:Version=globo-v1 --StateStore:DataDirectory=$B/state-$3 --Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:$3 \
    --RecommenderServer:MetricsPort=$(($3+1000)) --RecommenderServer:MetricsHostname=127.0.0.1 --Recommender:Batching:QueueCapacity=64) > $B/server-$3.log 2>&1 &
  SP=$!
  for i in $(seq 60); do curl -s http://127.0.0.1:$(($3+1000))/metrics > /dev/null && break; sleep 0.5; done
}
closed() { dotnet loadgen/HierTcn.LoadGen.dll closed --server http://127.0.0.1:$1 --data /work/runs/globo --callers 64 --seconds 20 --warmup 5 --users 256 | tee closed-$1.txt; }
open() { dotnet loadgen/HierTcn.LoadGen.dll open --server http://127.0.0.1:$1 --data /work/runs/globo --rate $2 --seconds 15 --recover-rate $3 --users 256 --metrics http://127.0.0.1:$(($1+1000))/metrics; }
date -u; uptime; git -C /work/main log --oneline -1
echo "== old 530d847"; start server-530 model-530 5390; closed 5390; kill $SP; wait $SP 2>/dev/null
echo "== new HEAD"; start server-new model 5290; closed 5290
PEAK=$(grep -o '[0-9]* req/s' closed-5290.txt | head -1 | cut -d' ' -f1); HALF=$((PEAK / 2))
echo "half of the new peak: $HALF req/s"
open 5290 $HALF $((HALF / 2)); kill $SP; wait $SP 2>/dev/null
echo "== before today 79d1938"; start server-old model 5490; closed 5490; open 5490 $HALF $((HALF / 2)); kill $SP; wait $SP 2>/dev/null
echo "== in-process Recommend by session length (new)"
HIERTCN_BENCH_MODEL=/work/runs/sb/model dotnet bench/HierTcn.Benchmarks.dll alloc
date -u; uptime
echo "== training speed, HierTCN default (cli-X = HEAD)"
cd /work/runs && rm -rf /tmp/sf /tmp/sf2
/usr/bin/time -f "%e s wall, %P CPU" dotnet /work/runs/cli-X/hiertcn.dll train --data /work/runs/globo --model hiertcn --out /tmp/sf --epochs 1 --skip-validation --no-final-eval 2>&1 | grep -E "^epoch 1|wall"
yes > /dev/null & Y=$!
/usr/bin/time -f "%e s wall, %P CPU" dotnet /work/runs/cli-X/hiertcn.dll train --data /work/runs/globo --model hiertcn --out /tmp/sf2 --epochs 1 --skip-validation --no-final-eval 2>&1 | grep -E "^epoch 1|wall"
kill $Y
date -u; uptime
