"""KMS through the real aws CLI and boto3.

The acceptance story: Security (222222222222) owns a key whose key policy names the Workload
account (333333333333). In Workload, the role KeyUser (assumed by the user ops through STS)
encrypts and decrypts by key ARN once Workload's IAM allows it; without that identity policy it is
AccessDenied; a grant made in Security for the role lets it in again. Then the key lifecycle,
aliases, encryption context binding and AWS's errors through boto3.
"""

import base64
import json
import os

import botocore.exceptions
import pytest

from conftest import create_account, make_server

SECURITY = "222222222222"
WORKLOAD = "333333333333"
KEY_USER = f"arn:aws:iam::{WORKLOAD}:role/KeyUser"


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message", "")


def env_of(s, key_id, secret, token=None):
    return s.client_env(key_id, secret, token=token)


@pytest.fixture(scope="module")
def world(tmp_root):
    s = make_server(tmp_root).start()
    security = create_account(s, SECURITY, "Security")
    workload = create_account(s, WORKLOAD, "Workload")
    yield s, security, workload
    s.stop()


def key_policy_naming_workload():
    return {
        "Version": "2012-10-17",
        "Id": "key-consolepolicy-3",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{SECURITY}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "Allow use of the key by the Workload account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{WORKLOAD}:root"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
            },
        ],
    }


def test_cross_account_key_use_by_an_assumed_role(world):
    s, (sec_id, sec_secret), (wl_id, wl_secret) = world
    sec = env_of(s, sec_id, sec_secret)
    wl = env_of(s, wl_id, wl_secret)

    # Security: the key, with a key policy naming Workload (aws CLI).
    key = s.aws("kms", "create-key", "--description", "shared with Workload",
                "--policy", json.dumps(key_policy_naming_workload()), env=sec)["KeyMetadata"]
    key_arn = key["Arn"]
    assert key_arn == f"arn:aws:kms:us-east-1:{SECURITY}:key/{key['KeyId']}"
    assert key["KeyState"] == "Enabled" and key["KeySpec"] == "SYMMETRIC_DEFAULT"

    # Workload: the role KeyUser, trusting the user ops, who may assume it (aws CLI).
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{WORKLOAD}:user/ops"}, "Action": "sts:AssumeRole"}]}
    s.aws("iam", "create-user", "--user-name", "ops", env=wl)
    s.aws("iam", "create-role", "--role-name", "KeyUser", "--assume-role-policy-document", json.dumps(trust), env=wl)
    s.aws("iam", "put-user-policy", "--user-name", "ops", "--policy-name", "assume-key-user", "--policy-document", json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": KEY_USER}]}), env=wl)
    ops_key = s.aws("iam", "create-access-key", "--user-name", "ops", env=wl)["AccessKey"]
    creds = s.aws("sts", "assume-role", "--role-arn", KEY_USER, "--role-session-name", "encryptor",
                  key_id=ops_key["AccessKeyId"], secret=ops_key["SecretAccessKey"])["Credentials"]
    role_env = env_of(s, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    role_kms = s.client("kms", key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    session_arn = f"arn:aws:sts::{WORKLOAD}:assumed-role/KeyUser/encryptor"

    # No identity policy in Workload yet: AccessDenied, in AWS's words.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        role_kms.encrypt(KeyId=key_arn, Plaintext=b"payroll")
    code, status, message = error_of(e)
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (f"User: {session_arn} is not authorized to perform: kms:Encrypt on resource: {key_arn} "
                       "because no identity-based policy allows the kms:Encrypt action")
    denied = s.aws("kms", "encrypt", "--key-id", key_arn, "--plaintext", "payroll", env=role_env, check=False)
    assert denied.returncode != 0 and "AccessDeniedException" in denied.stderr

    # Workload's IAM allows the role to use the key: both sides allow now.
    s.aws("iam", "put-role-policy", "--role-name", "KeyUser", "--policy-name", "use-security-key", "--policy-document", json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": key_arn}]}), env=wl)
    # aws CLI v1 sends a text blob argument as its bytes, and reads binary blobs with fileb://.
    out = s.aws("kms", "encrypt", "--key-id", key_arn, "--plaintext", "payroll",
                "--encryption-context", "dept=finance", env=role_env)
    assert out["KeyId"] == key_arn
    blob_path = os.path.join(s.data_dir, "payroll.bin")
    with open(blob_path, "wb") as f:
        f.write(base64.b64decode(out["CiphertextBlob"]))
    back = s.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob_path}",
                 "--encryption-context", "dept=finance", env=role_env)
    assert base64.b64decode(back["Plaintext"]) == b"payroll"
    blob = role_kms.encrypt(KeyId=key_arn, Plaintext=b"payroll")["CiphertextBlob"]
    assert role_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"payroll"

    # Another account's key must be named by its ARN: the bare key id means Workload's own key.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        role_kms.encrypt(KeyId=key["KeyId"], Plaintext=b"payroll")
    code, _, message = error_of(e)
    assert code == "NotFoundException"
    assert message == f"Key 'arn:aws:kms:us-east-1:{WORKLOAD}:key/{key['KeyId']}' does not exist"

    # Not in the key policy for Workload: administration stays in Security.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        role_kms.disable_key(KeyId=key_arn)
    assert error_of(e)[0] == "AccessDeniedException"

    # Without the identity policy again, then with a grant made in Security for the role.
    s.aws("iam", "delete-role-policy", "--role-name", "KeyUser", "--policy-name", "use-security-key", env=wl)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        role_kms.encrypt(KeyId=key_arn, Plaintext=b"payroll")
    assert error_of(e)[0] == "AccessDeniedException"
    sec_kms = s.client("kms", key_id=sec_id, secret=sec_secret)
    grant = sec_kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=KEY_USER,
                                 Operations=["Encrypt", "Decrypt"], Name="key-user")
    blob = role_kms.encrypt(KeyId=key_arn, Plaintext=b"payroll")["CiphertextBlob"]
    assert role_kms.decrypt(CiphertextBlob=blob, KeyId=key_arn)["Plaintext"] == b"payroll"
    out = s.aws("kms", "encrypt", "--key-id", key_arn, "--plaintext", "payroll", env=role_env)
    assert out["KeyId"] == key_arn
    grants = s.aws("kms", "list-grants", "--key-id", key["KeyId"], env=sec)["Grants"]
    assert [(g["GrantId"], g["GranteePrincipal"], g["Operations"]) for g in grants] == [
        (grant["GrantId"], KEY_USER, ["Encrypt", "Decrypt"])]
    # The grant does not cover GenerateDataKey.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        role_kms.generate_data_key(KeyId=key_arn, KeySpec="AES_256")
    assert error_of(e)[0] == "AccessDeniedException"
    # Revoked, it is gone.
    sec_kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant["GrantId"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        role_kms.encrypt(KeyId=key_arn, Plaintext=b"payroll")
    assert error_of(e)[0] == "AccessDeniedException"


def test_key_lifecycle_aliases_and_context_binding(world):
    s, (sec_id, sec_secret), _ = world
    kms = s.client("kms", key_id=sec_id, secret=sec_secret)
    key = kms.create_key(Description="lifecycle", Tags=[{"TagKey": "team", "TagValue": "security"}])["KeyMetadata"]
    key_id, arn = key["KeyId"], key["Arn"]

    # The default key policy delegates to IAM in the account.
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Sid"] == "Enable IAM User Permissions"
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{SECURITY}:root"}
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "security"}]

    kms.create_alias(AliasName="alias/payroll", TargetKeyId=key_id)
    out = kms.encrypt(KeyId="alias/payroll", Plaintext=b"salary", EncryptionContext={"dept": "finance"})
    assert out["KeyId"] == arn
    blob = out["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"dept": "finance"})["Plaintext"] == b"salary"
    for wrong in ({"dept": "sales"}, {}):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=wrong)
        assert error_of(e)[0] == "InvalidCiphertextException"
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"dept": "finance"}, KeyId=other)
    assert error_of(e)[0] == "IncorrectKeyException"
    aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/payroll"]
    assert aliases[0]["AliasArn"] == f"arn:aws:kms:us-east-1:{SECURITY}:alias/payroll"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.create_alias(AliasName="alias/payroll", TargetKeyId=key_id)
    assert error_of(e)[0] == "AlreadyExistsException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.create_alias(AliasName="alias/aws/s3", TargetKeyId=key_id)
    assert error_of(e)[0] == "NotAuthorizedException"
    kms.update_alias(AliasName="alias/payroll", TargetKeyId=other)
    assert kms.describe_key(KeyId="alias/payroll")["KeyMetadata"]["KeyId"] == other

    # Keys are per region.
    west = s.client("kms", key_id=sec_id, secret=sec_secret, region="us-west-2")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        west.describe_key(KeyId=key_id)
    assert error_of(e)[0] == "NotFoundException"
    assert key_id not in [k["KeyId"] for k in west.list_keys()["Keys"]]
    assert key_id in [k["KeyId"] for k in kms.list_keys()["Keys"]]

    # Disabled, then pending deletion: neither encrypts.
    kms.disable_key(KeyId=key_id)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert error_of(e) == ("DisabledException", 400, f"{arn} is disabled.")
    kms.enable_key(KeyId=key_id)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=6)
    assert error_of(e)[0] == "ValidationException"
    out = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert error_of(e) == ("KMSInvalidStateException", 400, f"{arn} is pending deletion.")
    kms.cancel_key_deletion(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"

    # Data keys and random bytes.
    kms.enable_key(KeyId=key_id)
    dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    assert len(kms.generate_random(NumberOfBytes=64)["Plaintext"]) == 64

    # Rotation: older ciphertexts still decrypt.
    kms.enable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    before = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key_id)
    assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 1
    assert kms.decrypt(CiphertextBlob=before)["Plaintext"] == b"old"


def test_malformed_key_policy_and_lockout(world):
    s, (sec_id, sec_secret), _ = world
    kms = s.client("kms", key_id=sec_id, secret=sec_secret)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.create_key(Policy="my policy")
    assert error_of(e)[0] == "MalformedPolicyDocumentException"
    nobody = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SECURITY}:user/nobody"}, "Action": "kms:*", "Resource": "*"}]}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.create_key(Policy=json.dumps(nobody))
    assert error_of(e) == ("MalformedPolicyDocumentException", 400,
                           "Policy contains a statement with one or more invalid principals.")
    # Workload's root exists, but the policy does not let Security's root manage the key.
    locked_out = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{WORKLOAD}:root"}, "Action": "kms:*", "Resource": "*"}]}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.create_key(Policy=json.dumps(locked_out))
    code, _, message = error_of(e)
    assert code == "MalformedPolicyDocumentException"
    assert "will not allow you to update the key policy in the future" in message


def test_deny_all_key_policy_fails_the_lockout_check(world):
    """A policy that denies kms:* to everyone would lock the caller out: PutKeyPolicy refuses it."""
    s, (sec_id, sec_secret), _ = world
    kms = s.client("kms", key_id=sec_id, secret=sec_secret)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    deny_all = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": ["kms:*"], "Resource": "*"}]}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(deny_all))
    code, _, message = error_of(e)
    assert code == "MalformedPolicyDocumentException"
    assert "will not allow you to update the key policy in the future" in message
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id


def test_sign_and_verify_validation_messages(world):
    """AWS's request-validation wording: lowerCamelCase members, no value for a sensitive blob,
    a Java buffer for another blob, the model's enum values unquoted."""
    s, (sec_id, sec_secret), _ = world
    kms = s.client("kms", key_id=sec_id, secret=sec_secret)
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["KeyId"]

    def refused(call, **kwargs):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call(KeyId=key_id, **kwargs)
        code, status, message = error_of(e)
        assert (code, status) == ("ValidationException", 400)
        return message

    assert refused(kms.verify, Message=b"m", Signature=b"", SigningAlgorithm="RSASSA_PSS_SHA_256") == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'signature' "
        "failed to satisfy constraint: Member must have length greater than or equal to 1")
    assert refused(kms.sign, Message=b"", SigningAlgorithm="RSASSA_PSS_SHA_256") == (
        "1 validation error detected: Value at 'message' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1")
    message = refused(kms.sign, Message=b"m", SigningAlgorithm="INVALID")
    assert message.startswith(
        "1 validation error detected: Value 'INVALID' at 'signingAlgorithm' failed to satisfy constraint: "
        "Member must satisfy enum value set: [RSASSA_PSS_SHA_256, RSASSA_PSS_SHA_384, RSASSA_PSS_SHA_512, "
        "RSASSA_PKCS1_V1_5_SHA_256, "), message
    assert message.endswith("]"), message


def test_mock_mode_kms(tmp_root):
    s = make_server(tmp_root, "--auth", "off").start()
    try:
        kms = s.client("kms", key_id="123456789012", secret="anything")
        key = kms.create_key()["KeyMetadata"]
        assert key["AWSAccountId"] == "123456789012"
        blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    finally:
        s.stop()
