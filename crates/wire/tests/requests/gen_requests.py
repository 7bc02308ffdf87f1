#!/usr/bin/env python3
"""Serializes sample requests with botocore's own serializers into fixture files.

Each fixture (`<service>-<Operation>.json`) holds the HTTP request botocore would send
(method, path, query, headers, body) and `expect`: the input Value xacct-wire must decode it to
(member names as keys, timestamps as epoch seconds, blobs as base64), derived from the params by
walking the botocore model, independently of the Rust decoder.

Run from anywhere: python3 gen_requests.py  (rewrites the fixtures next to this file).
"""
import base64
import datetime
import json
import os
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


def main():
    session = botocore.session.get_session()
    for svc, op, params in CASES:
        sm = session.get_service_model(svc)
        om = sm.operation_model(op)
        protocol = sm.metadata["protocol"]
        ser = create_serializer(protocol, include_validation=True)
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
        with open(os.path.join(HERE, "%s-%s.json" % (svc, op)), "w") as f:
            json.dump(fixture, f, indent=1, sort_keys=True)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
