#!/usr/bin/env bash
# Load benchmark: KMS Encrypt, xacct (SigV4 verified, key policy + the caller's IAM policy
# evaluated, AES-256-GCM) vs moto_server, same run.
#
# usage: bench/kms_encrypt.sh [SECONDS] [CONNECTIONS]
# Needs wrk (apt-get install -y wrk), boto3 and moto (pip install 'moto[server]'). Both servers
# listen on loopback only; each wrk run is bounded by SECONDS (default 5).
#
# On xacct the caller is the IAM user `bench` (inline policy allowing kms:Encrypt) and the key has
# AWS's default key policy (the account root delegates to IAM), so every request is a full
# decision: identity policy, required key policy, SCP lookup.
set -euo pipefail
secs=${1:-5}
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

# setup ENDPOINT KEY SECRET WITH_USER -> prints "KEY_ARN CALLER_KEY CALLER_SECRET"
setup() {
  "$py" - "$@" <<'PY'
import json, sys
import boto3
endpoint, key, secret, with_user = sys.argv[1:5]
s = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1")
arn = s.client("kms", endpoint_url=endpoint).create_key(Description="bench")["KeyMetadata"]["Arn"]
if with_user == "1":
    iam = s.client("iam", endpoint_url=endpoint)
    iam.create_user(UserName="bench")
    iam.put_user_policy(UserName="bench", PolicyName="encrypt", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": arn}],
    }))
    k = iam.create_access_key(UserName="bench")["AccessKey"]
    key, secret = k["AccessKeyId"], k["SecretAccessKey"]
print(arn, key, secret)
PY
}

run() { # name endpoint key_arn key secret -> prints "name req/s p99 non2xx"
  local name=$1 endpoint=$2 arn=$3 k=$4 s=$5
  local body="{\"KeyId\":\"$arn\",\"Plaintext\":\"aGVsbG8gd29ybGQ=\"}"
  local signed; signed=$("$py" bench/sign_request.py "$endpoint" kms "/" "$k" "$s" POST "$body" \
    "Content-Type:application/x-amz-json-1.1" "X-Amz-Target:TrentService.Encrypt")
  local lua="$data/$name.lua"
  "$py" - "$signed" >"$lua" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f'wrk.method = "{r["method"]}"')
print(f"wrk.body = {json.dumps(r['body'])}")
for k, v in r["headers"].items():
    if k.lower() != "content-length":
        print(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}")
PY
  local url; url=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$signed")
  # The request must succeed before it is timed.
  local check; check=$("$py" - "$signed" <<'PY'
import json, sys, urllib.request
r = json.loads(sys.argv[1])
req = urllib.request.Request(r["url"], data=r["body"].encode(), headers=r["headers"], method=r["method"])
with urllib.request.urlopen(req) as resp:
    out = json.loads(resp.read())
print("ok" if out.get("CiphertextBlob") else "no ciphertext")
PY
)
  [ "$check" = ok ] || { echo "$name: Encrypt check failed: $check" >&2; exit 1; }
  local out; out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$lua" "$url")
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local p99; p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "$name $rps $p99 ${non2xx:-0}"
}
read -r xarn xkey xsecret < <(setup "http://127.0.0.1:$xport" "$key" "$secret" 1)
read -r marn mkey msecret < <(setup "http://127.0.0.1:$mport" testing testing 0)
x=$(run xacct "http://127.0.0.1:$xport" "$xarn" "$xkey" "$xsecret")
m=$(run moto "http://127.0.0.1:$mport" "$marn" "$mkey" "$msecret")
"$py" - "$x" "$m" "$secs" "$conns" <<'PY'
import sys
def ms(v):
    return float(v[:-2]) if v.endswith("ms") else float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-1]) * 1000
x, m, secs, conns = sys.argv[1].split(), sys.argv[2].split(), sys.argv[3], sys.argv[4]
print(f"KMS Encrypt, wrk -t2 -c{conns} -d{secs}s, same machine, same run")
print(f"{'server':<8}{'req/s':>12}{'p99 ms':>10}{'non-2xx':>10}")
for row in (x, m):
    print(f"{row[0]:<8}{float(row[1]):>12.0f}{ms(row[2]):>10.2f}{row[3]:>10}")
print(f"ratio xacct/moto req/s: {float(x[1]) / float(m[1]):.1f}x")
PY
