#!/bin/bash
# usage: open.sh SERVERDIR PORT "RATE:RECOVER ..." [extra server args]
cd /work/runs/sb
S=$1; P=$2; RATES=$3; shift 3
rm -rf state-$P
dotnet $S/HierTcn.Inference.Server.dll --Recommender:BundlesDirectory=$PWD/model/bundles --Recommender:SnapshotsDirectory=$PWD/model/snapshots \
  --Recommender:Models:0:Version=globo-v1 --StateStore:DataDirectory=$PWD/state-$P --Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:$P \
  --RecommenderServer:MetricsPort=$((P+1000)) --RecommenderServer:MetricsHostname=127.0.0.1 --Recommender:Batching:QueueCapacity=64 "$@" > server-$P.log 2>&1 &
SP=$!
for i in $(seq 60); do curl -s http://127.0.0.1:$((P+1000))/metrics > /dev/null && break; sleep 0.5; done
dotnet loadgen/HierTcn.LoadGen.dll closed --server http://127.0.0.1:$P --data /work/runs/globo --callers 64 --seconds ${CLOSED:-10} --warmup 5 --users 256
for rr in $RATES; do
  dotnet loadgen/HierTcn.LoadGen.dll open --server http://127.0.0.1:$P --data /work/runs/globo --rate ${rr%%:*} --seconds 15 --recover-rate ${rr##*:} --users 256 --metrics http://127.0.0.1:$((P+1000))/metrics
done
kill $SP; wait $SP 2>/dev/null
