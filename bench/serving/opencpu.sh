#!/bin/bash
# usage: opencpu.sh SERVERDIR RATE: a warm server (10 s closed loop first), then an open loop at RATE for 15 s;
# prints the CPU seconds the server and the load generator each used during the open loop.
cd /work/runs/sb
S=$1; RATE=$2; P=5590; shift 2
rm -rf state-$P
dotnet $S/HierTcn.Inference.Server.dll --Recommender:BundlesDirectory=$PWD/model/bundles --Recommender:SnapshotsDirectory=$PWD/model/snapshots \
  --Recommender:Models:0:Version=globo-v1 --StateStore:DataDirectory=$PWD/state-$P --Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:$P \
  --RecommenderServer:MetricsPort=$((P+1000)) --RecommenderServer:MetricsHostname=127.0.0.1 --Recommender:Batching:QueueCapacity=64 "$@" > server-$P.log 2>&1 &
SP=$!
for i in $(seq 120); do grep -q "Now listening" server-$P.log && break; sleep 0.25; done
dotnet loadgen/HierTcn.LoadGen.dll closed --server http://127.0.0.1:$P --data /work/runs/globo --callers 64 --seconds 10 --warmup 5 --users 256 | tail -2
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
dotnet loadgen/HierTcn.LoadGen.dll open --server http://127.0.0.1:$P --data /work/runs/globo --rate $RATE --seconds 15 --warmup 3 --recover-rate $((RATE/2)) --users 256 --metrics http://127.0.0.1:$((P+1000))/metrics > open-cpu.out 2>&1 &
LP=$!
sleep 4.5; s0=$(cpu $SP); l0=$(cpu $LP); t0=$(date +%s.%N)
sleep 10; s1=$(cpu $SP); l1=$(cpu $LP); t1=$(date +%s.%N)
wait $LP
grep -E "warm-up|overload" open-cpu.out | cut -c1-300
python3 -c "t=$t1-$t0; hz=100; print(f'open loop {t:.1f} s: server {($s1-$s0)/hz/t:.2f} cores, load generator {($l1-$l0)/hz/t:.2f} cores')"
kill $SP; wait $SP 2>/dev/null
