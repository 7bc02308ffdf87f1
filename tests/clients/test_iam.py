"""IAM through the real aws CLI and boto3: the IAM part of the 004 tutorial ("Delegate access
across AWS accounts using IAM roles") as AWS writes it, then AWS's errors, quotas and paging.

Production (999999999999) gets the ReadWriteAppBucket policy and the UpdateApp role trusting
Development (111111111111); Development gets the Developers and Testers groups, David and Jane.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import time

import botocore.exceptions
import pytest

from conftest import create_account, make_server

DEV = "111111111111"
PROD = "999999999999"

READ_WRITE_APP_BUCKET = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": "arn:aws:s3:::productionapp"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::productionapp/*"},
    ],
}
TRUST_DEVELOPMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"}, "Action": "sts:AssumeRole"}],
}
ALLOW_ASSUME_UPDATE_APP = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{PROD}:role/UpdateApp"},
}


@pytest.fixture(scope="module")
def world(tmp_root):
    s = make_server(tmp_root, "--clock-admin").start()
    dev = create_account(s, DEV, "Development")
    prod = create_account(s, PROD, "Production")
    yield s, dev, prod
    s.stop()


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message", "")


def write_json(s, name, doc):
    path = os.path.join(s.data_dir, name)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
    return f"file://{path}"


def totp(seed, counter):
    digest = hmac.new(seed, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def test_tutorial_iam_part_with_the_aws_cli(world):
    s, dev, prod = world
    P = dict(key_id=prod[0], secret=prod[1])
    D = dict(key_id=dev[0], secret=dev[1])
    # Production: the policy and the role David will assume.
    policy = s.aws("iam", "create-policy", "--policy-name", "ReadWriteAppBucket",
                   "--policy-document", write_json(s, "rw.json", READ_WRITE_APP_BUCKET), **P)["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{PROD}:policy/ReadWriteAppBucket"
    assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0
    role = s.aws("iam", "create-role", "--role-name", "UpdateApp",
                 "--assume-role-policy-document", write_json(s, "trust.json", TRUST_DEVELOPMENT), **P)["Role"]
    assert role["Arn"] == f"arn:aws:iam::{PROD}:role/UpdateApp"
    assert role["RoleId"].startswith("AROA")
    # botocore URL-decodes and parses policy documents: the round trip gives the dict back.
    assert role["AssumeRolePolicyDocument"] == TRUST_DEVELOPMENT
    s.aws("iam", "attach-role-policy", "--role-name", "UpdateApp", "--policy-arn", policy["Arn"], **P)
    attached = s.aws("iam", "list-attached-role-policies", "--role-name", "UpdateApp", **P)
    assert attached["AttachedPolicies"] == [{"PolicyName": "ReadWriteAppBucket", "PolicyArn": policy["Arn"]}]
    assert s.aws("iam", "get-policy", "--policy-arn", policy["Arn"], **P)["Policy"]["AttachmentCount"] == 1
    version = s.aws("iam", "get-policy-version", "--policy-arn", policy["Arn"], "--version-id", "v1", **P)
    assert version["PolicyVersion"]["Document"] == READ_WRITE_APP_BUCKET
    # Development: groups, their policies, users.
    for group in ("Developers", "Testers"):
        g = s.aws("iam", "create-group", "--group-name", group, **D)["Group"]
        assert g["Arn"] == f"arn:aws:iam::{DEV}:group/{group}"
    s.aws("iam", "put-group-policy", "--group-name", "Developers", "--policy-name", "allow-assume-UpdateApp",
          "--policy-document", write_json(s, "assume.json", ALLOW_ASSUME_UPDATE_APP), **D)
    got = s.aws("iam", "get-group-policy", "--group-name", "Developers", "--policy-name", "allow-assume-UpdateApp", **D)
    assert got["PolicyDocument"] == ALLOW_ASSUME_UPDATE_APP
    s.aws("iam", "attach-group-policy", "--group-name", "Testers", "--policy-arn", "arn:aws:iam::aws:policy/PowerUserAccess", **D)
    for user, group in (("David", "Developers"), ("Jane", "Testers")):
        u = s.aws("iam", "create-user", "--user-name", user, **D)["User"]
        assert u["Arn"] == f"arn:aws:iam::{DEV}:user/{user}" and u["UserId"].startswith("AIDA")
        s.aws("iam", "add-user-to-group", "--user-name", user, "--group-name", group, **D)
    members = s.aws("iam", "get-group", "--group-name", "Developers", **D)
    assert [u["UserName"] for u in members["Users"]] == ["David"]
    key = s.aws("iam", "create-access-key", "--user-name", "David", **D)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    # David's new key signs requests at once.
    me = s.aws("sts", "get-caller-identity", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert me["Arn"] == f"arn:aws:iam::{DEV}:user/David"
    assert me["Account"] == DEV
    listed = s.aws("iam", "list-access-keys", "--user-name", "David", **D)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    # An invalid principal in a trust policy is refused, as IAM does.
    bad = s.aws("iam", "create-role", "--role-name", "Nope", "--assume-role-policy-document",
                write_json(s, "bad-trust.json", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{DEV}:user/Nobody"}, "Action": "sts:AssumeRole"}]}),
                check=False, **P)
    assert bad.returncode != 0
    assert "MalformedPolicyDocument" in bad.stderr and "Invalid principal in policy" in bad.stderr


def test_errors_statuses_and_quotas_through_boto3(world):
    s, dev, _ = world
    iam = s.client("iam", key_id=dev[0], secret=dev[1])
    iam.create_user(UserName="errors-user")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_user(UserName="ERRORS-USER")
    assert error_of(e)[:2] == ("EntityAlreadyExists", 409)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_user(UserName="ghost")
    assert error_of(e) == ("NoSuchEntity", 404, "The user with name ghost cannot be found.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_user(UserName="bad name")
    assert error_of(e)[:2] == ("ValidationError", 400)
    iam.create_access_key(UserName="errors-user")
    iam.create_access_key(UserName="errors-user")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_access_key(UserName="errors-user")
    assert error_of(e) == ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_user(UserName="errors-user")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.put_user_policy(UserName="errors-user", PolicyName="p", PolicyDocument="{not json")
    assert error_of(e)[:2] == ("MalformedPolicyDocument", 400)
    arn = iam.create_policy(PolicyName="errors-policy", PolicyDocument=json.dumps(READ_WRITE_APP_BUCKET))["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(READ_WRITE_APP_BUCKET))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(READ_WRITE_APP_BUCKET))
    assert error_of(e)[:2] == ("LimitExceeded", 409)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    iam.attach_user_policy(UserName="errors-user", PolicyArn=arn)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(e) == ("DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.attach_user_policy(UserName="errors-user", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyAtAll")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    iam.create_role(RoleName="errors-role", AssumeRolePolicyDocument=json.dumps(TRUST_DEVELOPMENT))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.update_role(RoleName="errors-role", MaxSessionDuration=43201)
    assert error_of(e)[:2] == ("ValidationError", 400)
    iam.update_role(RoleName="errors-role", MaxSessionDuration=43200)
    assert iam.get_role(RoleName="errors-role")["Role"]["MaxSessionDuration"] == 43200


def test_paging_with_the_boto3_paginator(world):
    s, dev, _ = world
    iam = s.client("iam", key_id=dev[0], secret=dev[1])
    for i in range(7):
        iam.create_user(UserName=f"page-user-{i}", Path="/paging/")
    first = iam.list_users(PathPrefix="/paging/", MaxItems=3)
    assert len(first["Users"]) == 3 and first["IsTruncated"] is True and first["Marker"]
    names = []
    for page in iam.get_paginator("list_users").paginate(PathPrefix="/paging/", PaginationConfig={"PageSize": 2}):
        names += [u["UserName"] for u in page["Users"]]
    assert names == [f"page-user-{i}" for i in range(7)]


def test_inactive_key_stops_signing(world):
    s, dev, _ = world
    iam = s.client("iam", key_id=dev[0], secret=dev[1])
    iam.create_user(UserName="key-user")
    key = iam.create_access_key(UserName="key-user")["AccessKey"]
    sts = s.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"].endswith(":user/key-user")
    iam.update_access_key(UserName="key-user", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_caller_identity()
    assert error_of(e)[1] == 403
    iam.delete_access_key(UserName="key-user", AccessKeyId=key["AccessKeyId"])
    assert iam.list_access_keys(UserName="key-user")["AccessKeyMetadata"] == []


def test_virtual_mfa_with_the_cli_seed_file(world):
    s, dev, _ = world
    D = dict(key_id=dev[0], secret=dev[1])
    s.aws("iam", "create-user", "--user-name", "mfa-user", **D)
    seed_file = os.path.join(s.data_dir, "seed.txt")
    out = s.aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "mfa-user-phone",
                "--outfile", seed_file, "--bootstrap-method", "Base32StringSeed", **D)
    serial = out["VirtualMFADevice"]["SerialNumber"]
    assert serial == f"arn:aws:iam::{DEV}:mfa/mfa-user-phone"
    with open(seed_file) as f:
        text = f.read().strip()
    seed = base64.b32decode(text + "=" * (-len(text) % 8))
    assert len(seed) == 20
    t = int(time.time()) // 30
    s.aws("iam", "enable-mfa-device", "--user-name", "mfa-user", "--serial-number", serial,
          "--authentication-code1", totp(seed, t - 1), "--authentication-code2", totp(seed, t), **D)
    devices = s.aws("iam", "list-mfa-devices", "--user-name", "mfa-user", **D)["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [serial]
    bad = s.aws("iam", "enable-mfa-device", "--user-name", "mfa-user", "--serial-number", serial,
                "--authentication-code1", "123456", "--authentication-code2", "654321", check=False, **D)
    assert bad.returncode != 0
    s.aws("iam", "deactivate-mfa-device", "--user-name", "mfa-user", "--serial-number", serial, **D)
    s.aws("iam", "delete-virtual-mfa-device", "--serial-number", serial, **D)


def test_simulator_and_account_details(world):
    s, dev, _ = world
    iam = s.client("iam", key_id=dev[0], secret=dev[1])
    iam.create_group(GroupName="sim-testers")
    iam.create_user(UserName="sim-jane")
    iam.add_user_to_group(GroupName="sim-testers", UserName="sim-jane")
    iam.attach_group_policy(GroupName="sim-testers", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    iam.put_group_policy(GroupName="sim-testers", PolicyName="deny-assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}}))
    results = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{DEV}:user/sim-jane",
        ActionNames=["sts:AssumeRole", "s3:ListBucket", "iam:CreateUser"],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["explicitDeny", "allowed", "implicitDeny"]
    assert results[0]["MatchedStatements"][0]["SourcePolicyId"] == "deny-assume"
    details = iam.get_account_authorization_details(Filter=["Group"])
    group = next(g for g in details["GroupDetailList"] if g["GroupName"] == "sim-testers")
    assert group["GroupPolicyList"][0]["PolicyDocument"]["Statement"]["Effect"] == "Deny"
    assert group["AttachedManagedPolicies"][0]["PolicyName"] == "PowerUserAccess"
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] >= 1 and summary["AccessKeysPerUserQuota"] == 2
