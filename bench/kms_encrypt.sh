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
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_servers

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
  bench_wrk "$name" "$url" -s "$lua"
}
read -r xarn xkey xsecret < <(setup "http://127.0.0.1:$xport" "$key" "$secret" 1)
read -r marn mkey msecret < <(setup "http://127.0.0.1:$mport" testing testing 0)
x=$(run xacct "http://127.0.0.1:$xport" "$xarn" "$xkey" "$xsecret")
m=$(run moto "http://127.0.0.1:$mport" "$marn" "$mkey" "$msecret")
bench_report "KMS Encrypt" "$x" "$m"
