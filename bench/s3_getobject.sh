#!/usr/bin/env bash
# Load benchmark: S3 GetObject of a 1 KiB object, xacct (SigV4 verified, bucket policy path,
# body streamed from the blob store) vs moto_server, same run.
#
# usage: bench/s3_getobject.sh [SECONDS] [CONNECTIONS]
# Needs wrk (apt-get install -y wrk) and a Python with boto3 and moto[server] (PYTHON, default
# .cache/moto-5.2.1/venv/bin/python as tests/conformance/run_moto_suites.sh makes it, else
# python3). Both servers listen on loopback only; each wrk run is bounded by SECONDS (default 10).
set -euo pipefail
secs=${1:-10}
conns=${2:-32}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
default_py=python3
[ -x .cache/moto-5.2.1/venv/bin/python ] && default_py=.cache/moto-5.2.1/venv/bin/python
py=${PYTHON:-$default_py}
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

# The bucket and a 1 KiB object on each server.
for endpoint in "http://127.0.0.1:$xport" "http://127.0.0.1:$mport"; do
  "$py" - "$endpoint" "$key" "$secret" <<'PY'
import sys, boto3, botocore.config
endpoint, key, secret = sys.argv[1:4]
c = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                 region_name="us-east-1", config=botocore.config.Config(s3={"addressing_style": "path"}))
c.create_bucket(Bucket="productionapp")
c.put_object(Bucket="productionapp", Key="index.html", Body=bytes(range(256)) * 4)
PY
done

run() { # name endpoint -> prints "name req/s p99 non2xx"
  local name=$1 endpoint=$2
  local signed; signed=$("$py" bench/sign_request.py "$endpoint" s3 "/productionapp/index.html" "$key" "$secret")
  local url; url=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$signed")
  mapfile -t hdrs < <("$py" -c 'import json,sys; [print(f"{k}: {v}") for k,v in json.loads(sys.argv[1])["headers"].items()]' "$signed")
  local args=(); for h in "${hdrs[@]}"; do args+=(-H "$h"); done
  local size; size=$(curl -sf "${args[@]}" "$url" | wc -c)
  [ "$size" = 1024 ] || { echo "$name: GetObject did not return the 1 KiB object ($size bytes)" >&2; exit 1; }
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
print(f"S3 GetObject 1 KiB, wrk -t2 -c{conns} -d{secs}s, same machine, same run")
print(f"{'server':<8}{'req/s':>12}{'p99 ms':>10}{'non-2xx':>10}")
for row in (x, m):
    print(f"{row[0]:<8}{float(row[1]):>12.0f}{ms(row[2]):>10.2f}{row[3]:>10}")
print(f"ratio xacct/moto req/s: {float(x[1]) / float(m[1]):.1f}x")
PY
