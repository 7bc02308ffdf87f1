#!/usr/bin/env bash
# Load benchmark: STS GetCallerIdentity, xacct (SigV4 verified) vs moto_server, same run.
#
# usage: bench/getcalleridentity.sh [SECONDS] [CONNECTIONS]
# Needs wrk (apt-get install -y wrk) and moto (pip install 'moto[server]'). Both servers listen on
# loopback only; each wrk run is bounded by SECONDS (default 10).
set -euo pipefail
secs=${1:-10}
conns=${2:-32}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
py=${PYTHON:-python3}
cargo build --release -q -p xacct

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
data=$(mktemp -d)
xport=$(free_port); mport=$(free_port)
key=AKIABENCHROOT0000001; secret=benchSecretKey000000000000000000000000000
XACCT_ROOT_ACCESS_KEY_ID=$key XACCT_ROOT_SECRET_ACCESS_KEY=$secret RUST_LOG=warn \
  target/release/xacct serve --listen 127.0.0.1:$xport --data "$data" >"$data/xacct.log" 2>&1 &
xpid=$!
"$py" -m moto.server -H 127.0.0.1 -p "$mport" >"$data/moto.log" 2>&1 &
mpid=$!
trap 'kill $xpid $mpid 2>/dev/null; wait 2>/dev/null; rm -rf "$data"' EXIT
for url in "http://127.0.0.1:$xport/_xacct/health" "http://127.0.0.1:$mport/moto-api/"; do
  for _ in $(seq 100); do curl -sf -o /dev/null "$url" && break; sleep 0.1; done
done

run() { # name endpoint -> prints "req/s p99_ms"
  local name=$1 endpoint=$2
  local signed; signed=$("$py" bench/sign_request.py "$endpoint" sts "/?Action=GetCallerIdentity&Version=2011-06-15" "$key" "$secret")
  local url; url=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$signed")
  mapfile -t hdrs < <("$py" -c 'import json,sys; [print(f"{k}: {v}") for k,v in json.loads(sys.argv[1])["headers"].items()]' "$signed")
  local args=(); for h in "${hdrs[@]}"; do args+=(-H "$h"); done
  # Check the request succeeds before timing it.
  curl -sf -o /dev/null "${args[@]/#/}" "$url" 2>/dev/null || true
  local out; out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "${args[@]}" "$url")
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local p99; p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "$name $rps $p99 ${non2xx:-0}"
}
x=$(run xacct "http://127.0.0.1:$xport")
m=$(run moto "http://127.0.0.1:$mport")
"$py" - "$x" "$m" "$secs" "$conns" <<'PY'
import sys
def ms(v):
    return float(v[:-2]) if v.endswith("ms") else float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-1]) * 1000
x, m, secs, conns = sys.argv[1].split(), sys.argv[2].split(), sys.argv[3], sys.argv[4]
print(f"GetCallerIdentity, wrk -t2 -c{conns} -d{secs}s, same machine, same run")
print(f"{'server':<8}{'req/s':>12}{'p99 ms':>10}{'non-2xx':>10}")
for row in (x, m):
    print(f"{row[0]:<8}{float(row[1]):>12.0f}{ms(row[2]):>10.2f}{row[3]:>10}")
print(f"ratio xacct/moto req/s: {float(x[1]) / float(m[1]):.1f}x")
PY
