#!/usr/bin/env python3
"""Parses every golden REST response (tests/golden/rest_xml/*.response, rest_json/*.response)
with botocore's own response parsers and compares the result with <case>.expect.json.

<case>.expect.json is derived from the case's input (<case>.case.json: the output Value given
to our encoder, plus `expect_extra` for what botocore adds, e.g. an empty streaming `Body`), never
from botocore's parse, so the comparison checks our bytes against botocore's reading of them.
XACCT_BLESS=1 rewrites the expect files from the cases. Exits non-zero on any mismatch.

Run: python3 crates/wire/tests/golden/check_botocore_rest.py
"""
import base64
import datetime
import json
import os
import sys

import botocore.session
from botocore import handlers, parsers
from botocore.awsrequest import HeadersDict

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOLS = {"rest_xml": "rest-xml", "rest_json": "rest-json"}


def normalize(value):
    """botocore's parsed types in our Value conventions (timestamps → epoch seconds)."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, datetime.datetime):
        ts = value.timestamp()
        return int(ts) if ts == int(ts) else ts
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, float) and value == int(value):
        return int(value)
    return value


def expectation(case):
    if "error" in case:
        err = case["error"]
        out = {"Error": {"Code": err["code"], "Message": err["message"]}}
        for k, v in err.get("extra", []):
            out["Error"][k] = v
        return out
    out = dict(case["output"])
    out.update(case.get("expect_extra", {}))
    return normalize(out)


def read_response(path):
    raw = open(path, "rb").read()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = HeadersDict()
    for line in lines[1:]:
        k, _, v = line.partition(": ")
        headers[k] = v
    return {"status_code": status, "headers": headers, "body": body}


class _HttpResponse:
    def __init__(self, body):
        self.content = body
        self.raw = body


def parse(session, protocol, case, response):
    parser = parsers.create_parser(protocol)
    if "error" in case:
        parsed = parser.parse(response, None)
        return {"Error": parsed.get("Error", {})}, parsed.get("ResponseMetadata", {})
    model = session.get_service_model(case["service"])
    op = model.operation_model(case["operation"])
    parsed = parser.parse(response, op.output_shape)
    if case["service"] == "s3" and case["operation"] == "GetBucketLocation":
        # botocore's client applies this S3 customization after parsing (handlers.py).
        handlers.parse_get_bucket_location(parsed, _HttpResponse(response["body"]))
    if case.get("botocore_handler"):
        # S3 listing customizations the client runs after parsing; encoding-type=url is what
        # the aws CLI and boto3 ask for by default.
        handler = getattr(handlers, case["botocore_handler"])
        handler(parsed, context={"encoding_type_auto_set": True})
    meta = parsed.pop("ResponseMetadata", {})
    return normalize(parsed), meta


def main():
    bless = bool(os.environ.get("XACCT_BLESS"))
    session = botocore.session.get_session()
    failures = []
    checked = 0
    for folder, protocol in PROTOCOLS.items():
        base = os.path.join(HERE, folder)
        for name in sorted(os.listdir(base)):
            if not name.endswith(".case.json"):
                continue
            case_name = name[: -len(".case.json")]
            case = json.load(open(os.path.join(base, name)))
            expect_path = os.path.join(base, case_name + ".expect.json")
            if bless:
                with open(expect_path, "w") as f:
                    json.dump(expectation(case), f, indent=1, sort_keys=True)
                    f.write("\n")
            response = read_response(os.path.join(base, case_name + ".response"))
            got, meta = parse(session, protocol, case, response)
            want = json.load(open(expect_path))
            if got != want:
                failures.append(f"{folder}/{case_name}:\n  botocore: {json.dumps(got, sort_keys=True)}\n  expected: {json.dumps(want, sort_keys=True)}")
            request_id = meta.get("RequestId")
            if request_id != f"REQ-{case_name}":
                failures.append(f"{folder}/{case_name}: botocore read RequestId {request_id!r}")
            checked += 1
    for f in failures:
        print("MISMATCH", f)
    print(f"{checked} golden responses parsed with botocore {botocore.__version__}; {len(failures)} mismatches")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
