#!/usr/bin/env python3
"""Parses xacct-wire's golden responses with botocore's own parsers and checks the result.

For every `<protocol>/<case>.case.json` under this directory (protocol dirs: query, ec2, json)
with a golden body `<case>.xml` / `<case>.json` beside it (written by the Rust test
`tests/golden.rs`, `XACCT_BLESS=1` to regenerate), this script:

1. parses the body with `botocore.parsers.create_parser(<protocol>)`, using the operation's
   output shape from the installed botocore model (error cases: no shape, their HTTP status);
2. normalizes the parsed dict (datetimes → ISO 8601 UTC strings, bytes → base64, drops
   HTTPStatusCode/HTTPHeaders);
3. compares it with `<case>.expect.json`, exiting non-zero on any difference.

`--derive-expect` (re)writes the expect files from the cases' *input* Values (never from the
golden output), by walking the botocore output shape: what botocore must read back is exactly
what the service handed the encoder, with timestamps as datetimes. Self-contained: needs only
botocore. Usage: python3 check_botocore.py [--derive-expect] [dir]

Whole-model check (every operation of iam, sts, ec2, organizations, kms, cloudtrail, proton, ecs):
  XACCT_SAMPLES_DIR=/tmp/s cargo test -p xacct-wire --test all_operations
  python3 check_botocore.py --derive-expect /tmp/s
"""
import base64
import datetime
import json
import os
import sys

import botocore.session
from botocore.parsers import create_parser

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOL_DIRS = {"query": ("query", ".xml"), "ec2": ("ec2", ".xml"), "json": ("json", ".json")}
SESSION = botocore.session.get_session()


def iso(dt):
    dt = dt.astimezone(datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (".%03dZ" % (dt.microsecond // 1000) if dt.microsecond else "Z")


def normalize(v):
    if isinstance(v, dict):
        return {k: normalize(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normalize(x) for x in v]
    if isinstance(v, datetime.datetime):
        return iso(v)
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode()
    return v


def to_datetime(v):
    if isinstance(v, (int, float)):
        return datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))


def expected_from_value(shape, v):
    """What botocore must parse back for input Value `v` of `shape` (members not in the shape
    are dropped by the encoder, so they are dropped here too)."""
    if v is None:
        return None
    t = shape.type_name
    if getattr(shape, "is_document_type", False):
        return v
    if t == "structure":
        return {k: expected_from_value(shape.members[k], x) for k, x in v.items()
                if k in shape.members and x is not None}
    if t == "list":
        return [expected_from_value(shape.member, x) for x in v if x is not None]
    if t == "map":
        return {k: expected_from_value(shape.value, x) for k, x in v.items() if x is not None}
    if t == "timestamp":
        return iso(to_datetime(v))
    return v


def derive_expect(case):
    rid = case["request_id"]
    if "output" in case:
        sm = SESSION.get_service_model(case["service"])
        shape = sm.operation_model(case["operation"]).output_shape
        out = expected_from_value(shape, case["output"]) if shape is not None else {}
        out["ResponseMetadata"] = {"RequestId": rid}
        return out
    err = case.get("error")
    if err is None:
        return None  # rejection cases: checked by code only (see check_case)
    return {"Error": {"Code": err["code"], "Message": err["message"]}, "ResponseMetadata": {"RequestId": rid}}


def parse_golden(protocol, case, body):
    sm = SESSION.get_service_model(case["service"])
    status = case.get("status") or (case.get("error") or {}).get("status") or 200
    headers = {"x-amzn-requestid": case["request_id"]}
    shape = None
    if status < 300:
        shape = sm.operation_model(case["operation"]).output_shape
    parser = create_parser(protocol)
    parsed = parser.parse({"body": body, "headers": headers, "status_code": status}, shape)
    md = parsed.get("ResponseMetadata", {})
    for k in ("HTTPStatusCode", "HTTPHeaders", "RetryAttempts", "HostId"):
        md.pop(k, None)
    return normalize(parsed)


def check_case(protocol, ext, case_path, derive):
    with open(case_path) as f:
        case = json.load(f)
    base = case_path[: -len(".case.json")]
    golden = base + ext
    with open(golden, "rb") as f:
        body = f.read()
    parsed = parse_golden(protocol, case, body)
    name = os.path.relpath(base, HERE)
    errors = []
    if "request" in case:
        # Rejections: botocore must find the code AWS answers, and a message.
        code = parsed.get("Error", {}).get("Code")
        if code != case["expect_code"]:
            errors.append("%s: botocore read code %r, want %r" % (name, code, case["expect_code"]))
        if parsed.get("ResponseMetadata", {}).get("RequestId") != case["request_id"]:
            errors.append("%s: request id not read back" % name)
        return errors
    if "error" in case and protocol == "query":
        want_type = "Sender" if case["error"]["sender_fault"] else "Receiver"
        got_type = parsed["Error"].pop("Type", None)
        if got_type != want_type:
            errors.append("%s: Type %r, want %r" % (name, got_type, want_type))
    expect_path = base + ".expect.json"
    if derive:
        with open(expect_path, "w") as f:
            json.dump(derive_expect(case), f, indent=1, sort_keys=True, ensure_ascii=False)
            f.write("\n")
    with open(expect_path) as f:
        expect = json.load(f)
    if parsed != expect:
        errors.append("%s: botocore parsed\n  %s\nexpected\n  %s" % (
            name, json.dumps(parsed, sort_keys=True), json.dumps(expect, sort_keys=True)))
    return errors


def main(argv):
    derive = "--derive-expect" in argv
    root = next((a for a in argv[1:] if not a.startswith("--")), HERE)
    errors, checked = [], 0
    for d, (protocol, ext) in PROTOCOL_DIRS.items():
        pdir = os.path.join(root, d)
        if not os.path.isdir(pdir):
            continue
        for fn in sorted(os.listdir(pdir)):
            if fn.endswith(".case.json"):
                errors += check_case(protocol, ext, os.path.join(pdir, fn), derive)
                checked += 1
    for e in errors:
        print("FAIL", e)
    print("checked %d golden responses with botocore, %d failures" % (checked, len(errors)))
    if checked == 0:
        return 2
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
