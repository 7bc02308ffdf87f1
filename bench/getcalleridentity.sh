#!/usr/bin/env bash
# Load benchmark: STS GetCallerIdentity, xacct (SigV4 verified) vs moto_server, same run.
#
# usage: bench/getcalleridentity.sh [SECONDS] [CONNECTIONS]
# Needs wrk (apt-get install -y wrk) and moto (pip install 'moto[server]'). Both servers listen on
# loopback only; each wrk run is bounded by SECONDS (default 10).
set -euo pipefail
secs=${1:-10}
conns=${2:-32}
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_servers

run() { # name endpoint -> prints "req/s p99_ms"
  local name=$1 endpoint=$2
  local signed; signed=$("$py" bench/sign_request.py "$endpoint" sts "/?Action=GetCallerIdentity&Version=2011-06-15" "$key" "$secret")
  local url; url=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$signed")
  mapfile -t hdrs < <("$py" -c 'import json,sys; [print(f"{k}: {v}") for k,v in json.loads(sys.argv[1])["headers"].items()]' "$signed")
  local args=(); for h in "${hdrs[@]}"; do args+=(-H "$h"); done
  # Check the request succeeds before timing it.
  curl -sf -o /dev/null "${args[@]/#/}" "$url" 2>/dev/null || true
  bench_wrk "$name" "$url" "${args[@]}"
}
x=$(run xacct "http://127.0.0.1:$xport")
m=$(run moto "http://127.0.0.1:$mport")
bench_report "GetCallerIdentity" "$x" "$m"
