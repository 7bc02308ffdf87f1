#!/usr/bin/env python3
"""Serializes sample requests with botocore's own serializers into fixture files.

Each fixture (`<service>-<Operation>.json`) holds the HTTP request botocore would send
(method, path, query, headers, body) and `expect`: the input Value xacct-wire must decode it to
(member names as keys, timestamps as epoch seconds, blobs as base64), derived from the params by
walking the botocore model, independently of the Rust decoder.

Run from anywhere: python3 gen_requests.py  (rewrites the fixtures next to this file).
`python3 gen_requests.py --all-operations DIR` instead writes one request per operation of every
non-REST service, with parameters synthesized from the model, for
`XACCT_REQUESTS_DIR=DIR cargo test -p xacct-wire --test requests_botocore`.
"""
import base64
import datetime
import json
import os
import re
import sys

import botocore.session
from botocore.awsrequest import prepare_request_dict, create_request_object
from botocore.serialize import create_serializer

HERE = os.path.dirname(os.path.abspath(__file__))
TS = datetime.datetime(2026, 11, 23, 8, 56, 26, tzinfo=datetime.timezone.utc)

CASES = [
    ("iam", "CreateRole", {
        "Path": "/app/",
        "RoleName": "productionapp",
        "AssumeRolePolicyDocument": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                           "Action": "sts:AssumeRole"}]}),
        "Description": "Jane's role & <friends>",
        "MaxSessionDuration": 7200,
        "Tags": [{"Key": "team", "Value": "dev"}, {"Key": "cost center", "Value": "a=b+c"}],
    }),
    ("iam", "ListRoles", {"PathPrefix": "/", "MaxItems": 50, "Marker": "abc+/="}),
    ("iam", "PutRolePolicy", {"RoleName": "r", "PolicyName": "p", "PolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}),
    ("sts", "GetCallerIdentity", {}),
    ("sts", "AssumeRole", {
        "RoleArn": "arn:aws:iam::111122223333:role/UpdateApp",
        "RoleSessionName": "David",
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
        "DurationSeconds": 3600,
        "Tags": [{"Key": "Project", "Value": "Unicorn"}],
        "TransitiveTagKeys": ["Project"],
        "ExternalId": "ext-1",
    }),
    ("organizations", "CreateAccount", {
        "Email": "dev@example.com", "AccountName": "Development", "RoleName": "OrganizationAccountAccessRole",
        "IamUserAccessToBilling": "ALLOW", "Tags": [{"Key": "env", "Value": "dev"}]}),
    ("kms", "Encrypt", {
        "KeyId": "alias/app", "Plaintext": b"secret \x00\xff bytes",
        "EncryptionContext": {"purpose": "test", "who": "jane"}, "GrantTokens": ["t1", "t2"]}),
    ("cloudtrail", "LookupEvents", {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}],
        "StartTime": TS, "EndTime": TS + datetime.timedelta(hours=1), "MaxResults": 10}),
    ("proton", "CreateEnvironmentAccountConnection", {
        "clientToken": "tok", "environmentName": "prod", "managementAccountId": "111122223333",
        "roleArn": "arn:aws:iam::444455556666:role/proton", "tags": [{"key": "k", "value": "v"}]}),
    ("ecs", "CreateCluster", {
        "clusterName": "c1", "tags": [{"key": "k", "value": "v"}],
        "settings": [{"name": "containerInsights", "value": "enabled"}]}),
    ("ec2", "DescribeImages", {
        "ImageIds": ["ami-1", "ami-2"], "Owners": ["self"], "IncludeDeprecated": True,
        "Filters": [{"Name": "name", "Values": ["golden-*", "base"]}, {"Name": "state", "Values": ["available"]}],
        "MaxResults": 6}),
    ("ec2", "RunInstances", {
        "ImageId": "ami-1", "MinCount": 1, "MaxCount": 2, "InstanceType": "t3.micro",
        "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": "subnet-1", "Ipv6Addresses": [{"Ipv6Address": "::1"}],
                               "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.5", "Primary": True}]}],
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
        "UserData": "IyEvYmluL2Jhc2g="}),
]


def to_value(model, shape, v):
    """The Value xacct-wire promises for botocore input `v` of `shape`."""
    t = shape.type_name
    if t == "structure":
        return {k: to_value(model, shape.members[k], x) for k, x in v.items()}
    if t == "list":
        return [to_value(model, shape.member, x) for x in v]
    if t == "map":
        return {k: to_value(model, shape.value, x) for k, x in v.items()}
    if t == "timestamp":
        secs = v.timestamp()
        return int(secs) if secs == int(secs) else secs
    if t == "blob":
        return base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode()
    return v


# Strings tried, in order, for a string member with a `pattern`: the first that matches (after
# trimming to the member's min/max length) is used.
CANDIDATES = [
    "abcdefghijklmnopqrstuvwxyz0123", "0123456789abcdef0123456789abcdef", "123456789012",
    "arn:aws:iam::123456789012:role/abc", "/", "/path/", "o-abcdefghij", "r-abcd",
    "ou-abcd-abcdefgh", "p-abcdefghij", "h-abcdefghij", "car-abcdefghij", "rp-abcdefghij",
    "rt-abcdefghij", "a@example.com", "https://example.com", "v1", "alias/abc",
    "arn:aws:organizations::123456789012:account/o-abcdefghij/123456789012",
    "us-east-1", "ABCDEFGHIJKLMNOP", "{}",
]


def pattern_matches(java, text):
    """Java pattern (whole-string match) approximated with Python's re."""
    py = java.replace("\\p{L}", "a-zA-Z").replace("\\p{Z}", " ").replace("\\p{N}", "0-9")
    try:
        return re.fullmatch(py, text) is not None
    except re.error:
        return True


def synthesize(shape, depth=0):
    """Params for `shape` that satisfy simple constraints (enum, min/max), one list element."""
    t = shape.type_name
    md = shape.metadata
    if t == "structure":
        if depth > 12:
            return None
        out = {}
        for name, m in shape.members.items():
            if m.serialization.get("location") or getattr(m, "is_document_type", False):
                continue
            v = synthesize(m, depth + 1)
            if v is not None:
                out[name] = v
            if shape.is_tagged_union and out:
                break
        return out
    if t == "list":
        v = synthesize(shape.member, depth + 1)
        return [] if v is None else [v] * max(1, int(md.get("min", 1)))
    if t == "map":
        v = synthesize(shape.value, depth + 1)
        k = shape.key.enum[0] if shape.key.enum else "key1"
        return {} if v is None else {k: v}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        lo, hi = int(md.get("min", 0)), int(md.get("max", 64))
        pattern = md.get("pattern")
        for cand in CANDIDATES:
            text = (cand * (lo // len(cand) + 2))[: max(lo, min(hi, len(cand)))]
            if pattern is None or pattern_matches(pattern, text):
                return text
        return ("abcdefghijklmnopqrstuvwxyz0123" * (lo // 30 + 2))[: max(lo, min(hi, 30))]
    if t in ("integer", "long"):
        return int(md.get("min", 1)) if md.get("min", 1) <= md.get("max", 10**9) else 1
    if t in ("float", "double"):
        return float(md.get("min", 1.5))
    if t == "boolean":
        return True
    if t == "timestamp":
        return TS
    if t == "blob":
        n = max(1, int(md.get("min", 1)))
        return b"x" * n
    return None


def write_fixture(session, out_dir, svc, op, params, validate=False):
    sm = session.get_service_model(svc)
    om = sm.operation_model(op)
    protocol = sm.metadata["protocol"]
    ser = create_serializer(protocol, include_validation=validate)
    rd = ser.serialize_to_request(params, om)
    prepare_request_dict(rd, endpoint_url="https://%s.us-east-1.amazonaws.com" % svc)
    req = create_request_object(rd).prepare()
    url = req.url.split("amazonaws.com", 1)[1]
    path, _, query = url.partition("?")
    body = req.body or b""
    if isinstance(body, str):
        body = body.encode()
    fixture = {
        "service": svc,
        "operation": op,
        "protocol": protocol,
        "method": req.method,
        "path": path,
        "query": query,
        "headers": [[k, v.decode() if isinstance(v, bytes) else v] for k, v in req.headers.items()],
        "body": body.decode(),
        "expect": to_value(sm, om.input_shape, params) if om.input_shape else {},
    }
    with open(os.path.join(out_dir, "%s-%s.json" % (svc, op)), "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True)
        f.write("\n")


def all_operations(out_dir):
    """One synthesized request per operation of every non-REST service."""
    session = botocore.session.get_session()
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    for svc in ("iam", "sts", "organizations", "kms", "cloudtrail", "proton", "ec2", "ecs"):
        sm = session.get_service_model(svc)
        for op in sm.operation_names:
            om = sm.operation_model(op)
            params = synthesize(om.input_shape) if om.input_shape else {}
            write_fixture(session, out_dir, svc, op, params)
            n += 1
    print("wrote %d request fixtures to %s" % (n, out_dir))
    return 0


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--all-operations":
        return all_operations(sys.argv[2])
    session = botocore.session.get_session()
    for svc, op, params in CASES:
        write_fixture(session, HERE, svc, op, params, validate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
