"""Load benchmark: STS AssumeRole with SigV4 verified and policies evaluated, xacct vs moto, same run.

usage: python3 bench/assumerole.py [SECONDS] [CONNECTIONS]

xacct runs the 004 tutorial's cross-account case: David (IAM user in Development 111111111111,
group Developers whose inline policy allows sts:AssumeRole on UpdateApp) assumes UpdateApp in
Production 999999999999, whose trust policy names Development; every request verifies the
signature, evaluates David's identity policies and the role's trust policy, and seals a session.
moto runs with its request authentication on (POST /moto-api/reset-auth 0 after set-up): it
verifies the signature and evaluates David's identity policy; it keeps one account, so its role
lives in David's account, and its trust check matches principals by exact ARN, so its trust policy
names David rather than his account.

Needs wrk (apt-get install -y wrk), boto3 and moto[server] (python3 -m moto.server). Both servers
listen on loopback only; each wrk run is bounded by SECONDS (default 10).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV, PROD = "111111111111", "999999999999"
ROOT_KEY, ROOT_SECRET = "AKIABENCHROOT0000001", "benchSecretKey000000000000000000000000000"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url):
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


def client(endpoint, service, key, secret):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def trust(account):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})


def allow_assume(role_arn):
    return json.dumps({"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}})


def setup_xacct(binary, data, port):
    env = dict(os.environ, XACCT_ROOT_ACCESS_KEY_ID=ROOT_KEY, XACCT_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET,
               RUST_LOG="warn")
    log = open(os.path.join(data, "xacct.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data", data],
                            env=env, stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(endpoint + "/_xacct/health")
    keys = {}
    cli_env = dict(env, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID=ROOT_KEY, AWS_SECRET_ACCESS_KEY=ROOT_SECRET)
    for account, name in ((DEV, "Development"), (PROD, "Production")):
        out = subprocess.run([binary, "accounts", "create", "--id", account, "--name", name],
                             env=cli_env, check=True, capture_output=True, text=True).stdout
        # `export AWS_ACCESS_KEY_ID=...` lines
        creds = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines() if "=" in line)
        keys[account] = (creds["AWS_ACCESS_KEY_ID"].strip("'\""), creds["AWS_SECRET_ACCESS_KEY"].strip("'\""))
    role_arn = f"arn:aws:iam::{PROD}:role/UpdateApp"
    prod = client(endpoint, "iam", *keys[PROD])
    prod.create_role(RoleName="UpdateApp", AssumeRolePolicyDocument=trust(DEV))
    dev = client(endpoint, "iam", *keys[DEV])
    dev.create_group(GroupName="Developers")
    dev.put_group_policy(GroupName="Developers", PolicyName="allow-assume-S3-role-in-production",
                         PolicyDocument=allow_assume(role_arn))
    dev.create_user(UserName="David")
    dev.add_user_to_group(GroupName="Developers", UserName="David")
    k = dev.create_access_key(UserName="David")["AccessKey"]
    return proc, endpoint, (k["AccessKeyId"], k["SecretAccessKey"]), role_arn


def setup_moto(data, port):
    log = open(os.path.join(data, "moto.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(endpoint + "/moto-api/")
    account = "123456789012"
    iam = client(endpoint, "iam", "testing", "testing")
    user_arn = iam.create_user(UserName="David")["User"]["Arn"]
    # moto's trust check compares the caller's ARN with the trust policy's principals (an
    # account-root principal does not match a user of the account), so the trust names David.
    trust_david = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}]})
    role_arn = iam.create_role(RoleName="UpdateApp", AssumeRolePolicyDocument=trust_david)["Role"]["Arn"]
    iam.create_group(GroupName="Developers")
    iam.put_group_policy(GroupName="Developers", PolicyName="allow-assume-S3-role-in-production",
                         PolicyDocument=allow_assume(role_arn))
    iam.add_user_to_group(GroupName="Developers", UserName="David")
    k = iam.create_access_key(UserName="David")["AccessKey"]
    # From here on moto authenticates and authorizes every request.
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                                  headers={"Content-Type": "text/plain"})).read()
    return proc, endpoint, (k["AccessKeyId"], k["SecretAccessKey"]), role_arn


def signed_post(endpoint, key, role_arn):
    """AssumeRole as botocore sends it: a form-encoded POST, signed now."""
    body = urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role_arn,
                                   "RoleSessionName": "David-ProdUpdate"})
    req = botocore.awsrequest.AWSRequest(method="POST", url=endpoint + "/", data=body,
                                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(*key), "sts", "us-east-1").add_auth(req)
    p = req.prepare()
    return p.url, dict(p.headers.items()), body


def check(url, headers, body, name):
    try:
        out = urllib.request.urlopen(urllib.request.Request(url, data=body.encode(), headers=headers)).read().decode()
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{name}: {e.code} {e.read().decode()[:500]}")
    assert "<AccessKeyId>" in out, f"{name}: {out[:300]}"
    # A bad signature must be refused, or the run would not measure authentication.
    bad = dict(headers, Authorization=headers["Authorization"].replace("Signature=", "Signature=0"))
    try:
        urllib.request.urlopen(urllib.request.Request(url, data=body.encode(), headers=bad)).read()
        raise SystemExit(f"{name} accepted a bad signature: authentication is off")
    except urllib.error.HTTPError as e:
        assert e.code == 403, f"{name}: {e.code}"


def ms(v):
    if v.endswith("us"):
        return float(v[:-2]) / 1000
    if v.endswith("ms"):
        return float(v[:-2])
    return float(v[:-1]) * 1000


def run_wrk(url, headers, body, secs, conns, scratch):
    script = os.path.join(scratch, "assumerole.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write(f"wrk.body = {json.dumps(body)}\n")
        for k, v in headers.items():
            f.write(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n")
    args = ["wrk", "-t2", f"-c{conns}", f"-d{secs}s", "--latency", "-s", script, url]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rps = p99 = None
    non2xx = 0
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec"):
            rps = float(parts[1])
        elif parts and parts[0] == "99%":
            p99 = ms(parts[1])
        elif "Non-2xx" in line:
            non2xx = int(parts[-1])
    return rps, p99, non2xx


def main():
    secs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    conns = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "xacct"], cwd=ROOT, check=True)
    binary = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "xacct")
    data = tempfile.mkdtemp()
    procs = []
    try:
        xproc, xend, xkey, xrole = setup_xacct(binary, data, free_port())
        procs.append(xproc)
        mproc, mend, mkey, mrole = setup_moto(data, free_port())
        procs.append(mproc)
        rows = []
        for name, end, key, role in (("xacct", xend, xkey, xrole), ("moto", mend, mkey, mrole)):
            url, headers, body = signed_post(end, key, role)
            check(url, headers, body, name)
            rows.append((name, *run_wrk(url, headers, body, secs, conns, data)))
        print(f"AssumeRole (SigV4 verified, policies evaluated), wrk -t2 -c{conns} -d{secs}s, same machine, same run")
        print(f"{'server':<8}{'req/s':>12}{'p99 ms':>10}{'non-2xx':>10}")
        for name, rps, p99, non2xx in rows:
            print(f"{name:<8}{rps:>12.0f}{p99:>10.2f}{non2xx:>10}")
        print(f"ratio xacct/moto req/s: {rows[0][1] / rows[1][1]:.1f}x")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=15)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
