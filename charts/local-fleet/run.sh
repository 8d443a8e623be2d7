#!/usr/bin/env bash
# The local fleet: 2 state-store shards (each told its index and the count) and 2 inference processes on 127.0.0.1,
# configured with the same keys the Helm chart gives its pods (one shard list in jump-hash order, one A/B split, one
# experiment salt). Serves for --duration seconds after every process listens, or until SIGINT/SIGTERM, then stops all.
#
#   charts/local-fleet/run.sh --bundles BUNDLES --snapshots SNAPSHOTS [--models v1=90,v2=10] [--salt SALT]
#       [--ports SHARD0,SHARD1,INFERENCE_A,INFERENCE_B] [--duration SECONDS] [--work DIR]
#       [--configuration Release|Debug] [--no-build] [--log-level Warning|Information|Debug] [--tls]
#
# BUNDLES holds one bundle directory per model version, SNAPSHOTS the item snapshots and CURRENT (exporter/README.md;
# `./hiertcn export ... --out BUNDLES --snapshots SNAPSHOTS` writes both). When every process listens, WORK/fleet.env
# lists the addresses and process ids; logs are WORK/*.log. The shards' data stays in WORK (a temporary directory
# unless --work is given).
#
# --tls secures the fleet as the chart's secure install does, with certificates made for loopback by openssl in
# WORK/tls (a CA valid 2 days; one server certificate for 127.0.0.1 and localhost; the client certificate
# hiertcn-inference): every gRPC port speaks TLS, the shards accept only inference's client certificate (mutual
# TLS), and inference accepts only callers with the bearer token in WORK/tls/token (read and write). fleet.env then
# gives https:// addresses, CA_FILE (what callers trust) and TOKEN_FILE.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

bundles="" snapshots="" models="v1=90,v2=10" salt="local-fleet" ports="5181,5182,5191,5192"
duration=600 work="" configuration="Release" build=1 log_level="Warning" tls=0
die() { echo "local-fleet: $*" >&2; exit 2; }
while (( $# )); do
  case "$1" in
    --bundles) bundles="${2:?--bundles needs a directory}"; shift 2 ;;
    --snapshots) snapshots="${2:?--snapshots needs a directory}"; shift 2 ;;
    --models) models="${2:?--models needs VERSION=WEIGHT,...}"; shift 2 ;;
    --salt) salt="${2:?--salt needs a value}"; shift 2 ;;
    --ports) ports="${2:?--ports needs four ports}"; shift 2 ;;
    --duration) duration="${2:?--duration needs seconds}"; shift 2 ;;
    --work) work="${2:?--work needs a directory}"; shift 2 ;;
    --configuration) configuration="${2:?--configuration needs Release or Debug}"; shift 2 ;;
    --no-build) build=0; shift ;;
    --log-level) log_level="${2:?--log-level needs a level}"; shift 2 ;;
    --tls) tls=1; shift ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

[[ -n "$bundles" && -d "$bundles" ]] || die "--bundles '$bundles' is not a directory"
[[ -n "$snapshots" && -f "$snapshots/CURRENT" ]] || die "--snapshots '$snapshots' has no CURRENT pointer"
[[ "$duration" =~ ^[0-9]+$ && "$duration" -ge 1 ]] || die "--duration '$duration' is not a positive number of seconds"
IFS=, read -r -a port_list <<<"$ports"
(( ${#port_list[@]} == 4 )) || die "--ports '$ports': give four ports (shard 0, shard 1, inference A, inference B)"
for p in "${port_list[@]}"; do [[ "$p" =~ ^[0-9]+$ && "$p" -ge 1024 && "$p" -le 65535 ]] || die "--ports: '$p' is not a port in 1024..65535"; done
model_args=()
IFS=, read -r -a arms <<<"$models"
for i in "${!arms[@]}"; do
  version="${arms[$i]%%=*}" weight="${arms[$i]#*=}"
  [[ "${arms[$i]}" == *=* && -n "$version" && "$weight" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--models: '${arms[$i]}' is not VERSION=WEIGHT"
  [[ -f "$bundles/$version/manifest.json" ]] || die "--models: no bundle $bundles/$version/manifest.json"
  model_args+=("--Recommender:Models:$i:Version=$version" "--Recommender:Models:$i:Weight=$weight")
done
bundles="$(cd "$bundles" && pwd)" snapshots="$(cd "$snapshots" && pwd)"
if [[ -z "$work" ]]; then work="$(mktemp -d -t hiertcn-local-fleet.XXXXXX)"; fi
mkdir -p "$work"; work="$(cd "$work" && pwd)"
rm -f "$work/fleet.env"

store_project="$root/state-store/HierTcn.StateStore.Server/HierTcn.StateStore.Server.csproj"
inference_project="$root/inference/HierTcn.Inference.Server/HierTcn.Inference.Server.csproj"
if (( build )); then
  dotnet build "$store_project" -c "$configuration" -nologo -v q -clp:ErrorsOnly >&2
  dotnet build "$inference_project" -c "$configuration" -nologo -v q -clp:ErrorsOnly >&2
fi
store_dll="$root/state-store/HierTcn.StateStore.Server/bin/$configuration/net10.0/HierTcn.StateStore.Server.dll"
inference_dll="$root/inference/HierTcn.Inference.Server/bin/$configuration/net10.0/HierTcn.Inference.Server.dll"
[[ -f "$store_dll" && -f "$inference_dll" ]] || die "the servers are not built in $configuration (run without --no-build)"

scheme="http" store_security=() inference_security=()
if (( tls )); then
  command -v openssl >/dev/null || die "--tls needs openssl (Debian package openssl)"
  pki="$work/tls"
  rm -rf "$pki"; mkdir -p "$pki/server" "$pki/hiertcn-inference"
  # issue NAME EXTENDED_USAGE [SUBJECT_ALT_NAMES]: an ECDSA P-256 certificate signed by the fleet's CA, as
  # NAME/tls.crt and NAME/tls.key (the names of a kubernetes.io/tls Secret).
  issue() {
    local extensions="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=$2\n"
    [[ -z "${3:-}" ]] || extensions+="subjectAltName=$3\n"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
      -keyout "$pki/$1/tls.key" -out "$pki/$1.csr" 2>/dev/null
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days 2 -sha256 -extfile <(printf "$extensions") -out "$pki/$1/tls.crt" 2>/dev/null
    rm -f "$pki/$1.csr"
  }
  (
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=hiertcn-local-fleet-ca" -days 2 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
    issue server serverAuth "IP:127.0.0.1,DNS:localhost"
    issue hiertcn-inference clientAuth
    openssl rand -hex 24 >"$pki/token"
  ) || true    # what is missing is named below
  for file in ca.crt server/tls.crt server/tls.key hiertcn-inference/tls.crt hiertcn-inference/tls.key token; do
    [[ -s "$pki/$file" ]] || die "--tls: openssl could not make $pki/$file"
  done
  scheme="https"
  server_tls=("--Tls:CertificateFile=$pki/server/tls.crt" "--Tls:KeyFile=$pki/server/tls.key" --Auth:Enabled=true)
  store_security=("${server_tls[@]}" "--Tls:ClientCaFile=$pki/ca.crt" --Auth:ReadClients:0=hiertcn-inference --Auth:WriteClients:0=hiertcn-inference)
  inference_security=("${server_tls[@]}" "--Auth:ReadTokensFile=$pki/token" "--Auth:WriteTokensFile=$pki/token"
    "--StateStoreClient:Security:CaFile=$pki/ca.crt" "--StateStoreClient:Security:CertificateFile=$pki/hiertcn-inference/tls.crt"
    "--StateStoreClient:Security:KeyFile=$pki/hiertcn-inference/tls.key")
fi

pids=() sleeper=""
stop() {
  trap - EXIT INT TERM
  [[ -z "$sleeper" ]] || kill "$sleeper" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "local-fleet: stopped" >&2
}
trap stop EXIT
trap 'exit 0' INT TERM

export DOTNET_gcServer=0
shards=()
for i in 0 1; do
  port="${port_list[$i]}"
  shards+=("$scheme://127.0.0.1:$port")
  # Each server runs in its own build folder: the content root, whose appsettings.json (if any) is the server's own.
  (cd "$(dirname "$store_dll")" && exec dotnet "$store_dll" --urls "$scheme://127.0.0.1:$port" "--StateStore:DataDirectory=$work/shard-$i" \
    --StateStore:IndexBuckets=65536 --StateStore:StoreMemorySizeBits=26 --StateStoreServer:MetricsPort=0 \
    "--StateStoreServer:ShardIndex=$i" --StateStoreServer:ShardCount=2 \
    ${store_security[@]+"${store_security[@]}"} "--Logging:LogLevel:Default=$log_level") >"$work/shard-$i.log" 2>&1 &
  pids+=($!)
done
shard_args=()
for i in 0 1; do shard_args+=("--StateStoreClient:Shards:$i=${shards[$i]}"); done
for i in 0 1; do
  port="${port_list[$((i + 2))]}" name="AB"; name="${name:$i:1}"
  (cd "$(dirname "$inference_dll")" && exec dotnet "$inference_dll" "--Kestrel:Endpoints:Grpc:Url=$scheme://127.0.0.1:$port" \
    "--Recommender:BundlesDirectory=$bundles" "--Recommender:SnapshotsDirectory=$snapshots" "--Recommender:ExperimentSalt=$salt" \
    "${model_args[@]}" --RecommenderServer:StateStoreMode=Remote --RecommenderServer:MetricsPort=0 "${shard_args[@]}" \
    ${inference_security[@]+"${inference_security[@]}"} "--Logging:LogLevel:Default=$log_level") >"$work/inference-$name.log" 2>&1 &
  pids+=($!)
done

names=(shard-0 shard-1 inference-A inference-B)
deadline=$((SECONDS + 120))
for i in 0 1 2 3; do
  until (exec 3<>"/dev/tcp/127.0.0.1/${port_list[$i]}") 2>/dev/null; do
    kill -0 "${pids[$i]}" 2>/dev/null || die "${names[$i]} exited during start; see $work/${names[$i]}.log: $(tail -n 5 "$work/${names[$i]}.log")"
    (( SECONDS < deadline )) || die "${names[$i]} did not listen on 127.0.0.1:${port_list[$i]} within 120 s"
    sleep 0.2
  done
done
cat >"$work/fleet.env.tmp" <<EOF
SHARD_0=${shards[0]}
SHARD_1=${shards[1]}
INFERENCE_A=$scheme://127.0.0.1:${port_list[2]}
INFERENCE_B=$scheme://127.0.0.1:${port_list[3]}
PIDS="${pids[*]}"
EOF
(( ! tls )) || printf 'CA_FILE=%s\nTOKEN_FILE=%s\n' "$pki/ca.crt" "$pki/token" >>"$work/fleet.env.tmp"
mv "$work/fleet.env.tmp" "$work/fleet.env"
echo "local-fleet: serving for $duration s: inference $scheme://127.0.0.1:${port_list[2]} and :${port_list[3]}, shards :${port_list[0]} and :${port_list[1]}; work $work" >&2
sleep "$duration" &
sleeper=$!
wait "$sleeper" || true
