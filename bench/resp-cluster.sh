#!/usr/bin/env bash
# Starts (or stops) a local RESP cluster for the state store benchmark, with the durability settings of
# state-store/README.md ("RESP cluster"): one background process per node on 127.0.0.1, ports BASE, BASE+1, ...
#   bench/resp-cluster.sh start redis|garnet DIR PRIMARIES REPLICAS_EACH BASE_PORT   # prints the endpoints
#   bench/resp-cluster.sh stop DIR                                                   # kills the nodes it started
# Garnet comes from state-store/tools/get-garnet.sh; Redis from Debian redis-server and redis-tools.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
  stop)
    dir="$2"
    for pidfile in "$dir"/node*/pid; do [[ -f "$pidfile" ]] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true; done
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 start redis|garnet DIR PRIMARIES REPLICAS_EACH BASE_PORT | stop DIR" >&2; exit 2 ;;
esac
engine="$2" dir="$3" primaries="$4" replicas="$5" base="$6"
[[ "$engine" == garnet ]] && garnet="$("$root/state-store/tools/get-garnet.sh")"
endpoints=()
for ((i = 0; i < primaries * (1 + replicas); i++)); do
  port=$((base + i)) node="$dir/node$i"
  mkdir -p "$node"
  if [[ "$engine" == redis ]]; then
    redis-server --port "$port" --bind 127.0.0.1 --protected-mode no --dir "$node" --cluster-enabled yes \
      --cluster-config-file nodes.conf --appendonly yes --appendfsync always --save "" --daemonize no \
      --loglevel warning --repl-diskless-sync-delay 0 > "$node/log" 2>&1 &
  else
    "$garnet" --port "$port" --bind 127.0.0.1 --cluster --lua --lua-transaction-mode --aof --aof-commit-wait \
      --storage-tier --device-type RandomAccess -l "$node" -c "$node" --logger-level Warning > "$node/log" 2>&1 &
  fi
  echo $! > "$node/pid"
  endpoints+=("127.0.0.1:$port")
done
for endpoint in "${endpoints[@]}"; do
  for _ in $(seq 300); do redis-cli -p "${endpoint#*:}" ping >/dev/null 2>&1 && break; sleep 0.2; done
done
redis-cli --cluster create "${endpoints[@]}" --cluster-replicas "$replicas" --cluster-yes >/dev/null
for endpoint in "${endpoints[@]}"; do
  for _ in $(seq 300); do redis-cli -p "${endpoint#*:}" cluster info | grep -q cluster_state:ok && break; sleep 0.2; done
done
for _ in $(seq 300); do
  (( $(redis-cli -p "$base" cluster nodes | grep -cE 'slave|replica') >= primaries * replicas )) && break; sleep 0.2
done
(IFS=,; echo "${endpoints[*]}")
