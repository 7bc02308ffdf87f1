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
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_servers

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
  bench_wrk "$name" "$url" "${args[@]}"
}
x=$(run xacct "http://127.0.0.1:$xport")
m=$(run moto "http://127.0.0.1:$mport")
bench_report "S3 GetObject 1 KiB" "$x" "$m"
