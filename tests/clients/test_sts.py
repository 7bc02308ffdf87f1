"""STS and authorization through the real aws CLI and boto3.

The 004 tutorial ("Delegate access across AWS accounts using IAM roles") exactly as AWS writes it
with the aws CLI: Development (111111111111) holds David (group Developers) and Jane (group
Testers); Production (999999999999) holds the role UpdateApp with read-write access to the
productionapp bucket. Then the 001 blog flow (a role with AdministratorAccess trusting another
account, reached through an aws CLI profile with role_arn/source_profile), and each STS limit and
error through boto3.
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import struct
import time
import urllib.request

import botocore.config
import botocore.exceptions
import pytest

from conftest import create_account, make_server

DEV = "111111111111"
PROD = "999999999999"
UPDATE_APP = "arn:aws:iam::999999999999:role/UpdateApp"

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
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}],
}
ALLOW_ASSUME_UPDATE_APP = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": UPDATE_APP},
}
DENY_ASSUME_UPDATE_APP = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": UPDATE_APP},
}


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message", "")


def profile_env(s, profile, **extra):
    env = s.client_env()
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(k, None)
    env["AWS_PROFILE"] = profile
    # The CLI caches assumed-role credentials under ~/.aws/cli/cache: keep it per server.
    env["HOME"] = s.data_dir
    env.update(extra)
    return env


def creds_env(s, creds):
    env = s.client_env()
    env.update(
        AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
        AWS_SESSION_TOKEN=creds["SessionToken"],
    )
    return env


def move_clock(s, seconds):
    req = urllib.request.Request(
        s.endpoint + "/_xacct/clock",
        data=json.dumps({"advance_seconds": seconds}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        assert r.status == 200


def totp(seed_b32, at=None, step=30):
    """RFC 6238 code of a base32 seed (what an authenticator app shows)."""
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    counter = int((at if at is not None else time.time()) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


# ---------------------------------------------------------------- the 004 tutorial, aws CLI


@pytest.fixture(scope="module")
def tutorial(tmp_root):
    s = make_server(tmp_root, "--clock-admin").start()
    yield s
    s.stop()


def test_004_tutorial_delegate_access_across_accounts(tutorial):
    s = tutorial
    create_account(s, DEV, "Development", profile="development")
    create_account(s, PROD, "Production", profile="production")
    prod = profile_env(s, "production")
    dev = profile_env(s, "development")

    # Step 1: in Production, the policy, the role trusting Development, the attachment.
    policy = s.aws("iam", "create-policy", "--policy-name", "read-write-app-bucket",
                   "--policy-document", json.dumps(READ_WRITE_APP_BUCKET), env=prod)["Policy"]
    assert policy["Arn"] == "arn:aws:iam::999999999999:policy/read-write-app-bucket"
    role = s.aws("iam", "create-role", "--role-name", "UpdateApp",
                 "--assume-role-policy-document", json.dumps(TRUST_DEVELOPMENT), env=prod)["Role"]
    assert role["Arn"] == UPDATE_APP
    s.aws("iam", "attach-role-policy", "--role-name", "UpdateApp", "--policy-arn", policy["Arn"], env=prod)

    # Step 2: in Development, the groups, their policies, the users and their keys.
    s.aws("iam", "create-group", "--group-name", "Developers", env=dev)
    s.aws("iam", "create-group", "--group-name", "Testers", env=dev)
    s.aws("iam", "put-group-policy", "--group-name", "Developers", "--policy-name", "allow-assume-S3-role-in-production",
          "--policy-document", json.dumps(ALLOW_ASSUME_UPDATE_APP), env=dev)
    s.aws("iam", "attach-group-policy", "--group-name", "Testers", "--policy-arn", "arn:aws:iam::aws:policy/PowerUserAccess", env=dev)
    s.aws("iam", "put-group-policy", "--group-name", "Testers", "--policy-name", "deny-assume-S3-role-in-production",
          "--policy-document", json.dumps(DENY_ASSUME_UPDATE_APP), env=dev)
    keys = {}
    for user, group in (("David", "Developers"), ("Jane", "Testers")):
        s.aws("iam", "create-user", "--user-name", user, env=dev)
        s.aws("iam", "add-user-to-group", "--user-name", user, "--group-name", group, env=dev)
        key = s.aws("iam", "create-access-key", "--user-name", user, env=dev)["AccessKey"]
        keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])

    # Step 3: David switches to UpdateApp.
    out = s.aws("sts", "assume-role", "--role-arn", "arn:aws:iam::999999999999:role/UpdateApp",
                "--role-session-name", "David-ProdUpdate", key_id=keys["David"][0], secret=keys["David"][1])
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate"
    assert out["AssumedRoleUser"]["AssumedRoleId"] == role["RoleId"] + ":David-ProdUpdate"
    me = s.aws("sts", "get-caller-identity", env=creds_env(s, creds))
    assert me["Arn"] == "arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate"
    assert me["Account"] == PROD
    assert me["UserId"] == role["RoleId"] + ":David-ProdUpdate"

    # Jane's Testers group denies it explicitly, PowerUserAccess notwithstanding.
    denied = s.aws("sts", "assume-role", "--role-arn", UPDATE_APP, "--role-session-name", "Jane-ProdUpdate",
                   key_id=keys["Jane"][0], secret=keys["Jane"][1], check=False)
    assert denied.returncode != 0
    assert "AccessDenied" in denied.stderr
    assert ("User: arn:aws:iam::111111111111:user/Jane is not authorized to perform: sts:AssumeRole on resource: "
            "arn:aws:iam::999999999999:role/UpdateApp with an explicit deny in an identity-based policy") in denied.stderr

    # UpdateApp can use the bucket, not IAM: David's temporary credentials cannot call IAM in Production.
    iam_denied = s.aws("iam", "list-users", env=creds_env(s, creds), check=False)
    assert iam_denied.returncode != 0 and "AccessDenied" in iam_denied.stderr, iam_denied.stderr
    assert ("User: arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate is not authorized to perform: "
            "iam:ListUsers") in iam_denied.stderr
    created = s.aws("iam", "create-user", "--user-name", "Mallory", env=creds_env(s, creds), check=False)
    assert created.returncode != 0 and "AccessDenied" in created.stderr
    assert s.aws("iam", "list-users", env=prod)["Users"] == []  # the denied call changed nothing

    # The bucket itself: Production owns productionapp (and another bucket UpdateApp may not use).
    for bucket in ("productionapp", "productionapp-logs"):
        made = s.aws("s3", "mb", f"s3://{bucket}", env=prod, check=False)
        assert made.returncode == 0, made.stderr
    david = creds_env(s, creds)
    listing = s.aws("s3", "ls", "s3://productionapp", env=david, check=False)
    assert listing.returncode == 0, listing.stderr
    upload = os.path.join(s.data_dir, "release-notes.txt")
    with open(upload, "w") as f:
        f.write("UpdateApp 2.0\n")
    copied = s.aws("s3", "cp", upload, "s3://productionapp/release-notes.txt", env=david, check=False)
    assert copied.returncode == 0, copied.stderr
    listing = s.aws("s3", "ls", "s3://productionapp", env=david, check=False)
    assert "release-notes.txt" in listing.stdout, listing.stderr
    buckets = s.aws("s3", "ls", env=david, check=False)
    assert "productionapp-logs" in buckets.stdout  # s3:ListAllMyBuckets shows the account's buckets
    other = s.aws("s3", "ls", "s3://productionapp-logs", env=david, check=False)
    assert other.returncode != 0 and "AccessDenied" in other.stderr, other.stderr
    assert ("User: arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate is not authorized to perform: "
            "s3:ListBucket on resource: \"arn:aws:s3:::productionapp-logs\" because no identity-based policy allows "
            "the s3:ListBucket action") in other.stderr
    # David's own Development credentials reach neither bucket.
    direct = s.aws("s3", "ls", "s3://productionapp", key_id=keys["David"][0], secret=keys["David"][1], check=False)
    assert direct.returncode != 0 and "AccessDenied" in direct.stderr

    # The credentials stop working once the hour is over (the server clock moves, nobody sleeps).
    move_clock(s, 3700)
    try:
        expired = s.aws("sts", "get-caller-identity", env=creds_env(s, creds), check=False)
        assert expired.returncode != 0
        assert "ExpiredToken" in expired.stderr
        assert "The security token included in the request is expired" in expired.stderr
    finally:
        move_clock(s, -3700)
    assert s.aws("sts", "get-caller-identity", env=creds_env(s, creds))["Account"] == PROD


# ---------------------------------------------------------------- the 001 blog flow


def test_001_admin_role_trusting_another_account_through_a_cli_profile(fresh_server):
    s = fresh_server.start()
    create_account(s, "222222222222", "Identity", profile="identity")
    create_account(s, "333333333333", "Workload", profile="workload")
    identity = profile_env(s, "identity")
    workload = profile_env(s, "workload")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "sts:AssumeRole"}]}
    s.aws("iam", "create-role", "--role-name", "CrossAccountAdmin", "--assume-role-policy-document", json.dumps(trust), env=workload)
    s.aws("iam", "attach-role-policy", "--role-name", "CrossAccountAdmin",
          "--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess", env=workload)
    s.aws("iam", "create-user", "--user-name", "alice", env=identity)
    s.aws("iam", "put-user-policy", "--user-name", "alice", "--policy-name", "assume-workload-admin", "--policy-document", json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::333333333333:role/CrossAccountAdmin"}],
    }), env=identity)
    key = s.aws("iam", "create-access-key", "--user-name", "alice", env=identity)["AccessKey"]

    # alice's own profile, and a role profile the CLI turns into an AssumeRole call.
    with open(os.path.join(s.data_dir, "aws-credentials"), "a") as f:
        f.write(f"\n[alice]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n")
    with open(os.path.join(s.data_dir, "aws-config"), "a") as f:
        f.write("\n[profile workload-admin]\nrole_arn = arn:aws:iam::333333333333:role/CrossAccountAdmin\nsource_profile = alice\nrole_session_name = alice\n")
    admin = profile_env(s, "workload-admin")
    me = s.aws("sts", "get-caller-identity", env=admin)
    assert me["Arn"] == "arn:aws:sts::333333333333:assumed-role/CrossAccountAdmin/alice"
    # AdministratorAccess: the session administers the workload account's IAM.
    s.aws("iam", "create-user", "--user-name", "deployer", env=admin)
    assert [u["UserName"] for u in s.aws("iam", "list-users", env=workload)["Users"]] == ["deployer"]
    # alice herself has no IAM permission in the identity account.
    own = s.aws("iam", "list-users", env=profile_env(s, "alice"), check=False)
    assert own.returncode != 0 and "AccessDenied" in own.stderr
    # Without her sts:AssumeRole policy, the trust policy alone does not let her in.
    s.aws("iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "assume-workload-admin", env=identity)
    shutil.rmtree(os.path.join(s.data_dir, ".aws", "cli", "cache"), ignore_errors=True)
    again = s.aws("sts", "get-caller-identity", env=admin, check=False)
    assert again.returncode != 0 and "AccessDenied" in again.stderr
    assert "because no identity-based policy allows the sts:AssumeRole action" in again.stderr


# ---------------------------------------------------------------- STS limits and errors, boto3


@pytest.fixture(scope="module")
def world(tmp_root):
    """Development/Production with David (may assume anything), an MFA device, and roles."""
    s = make_server(tmp_root, "--clock-admin").start()
    dev_key = create_account(s, DEV, "Development")
    prod_key = create_account(s, PROD, "Production")
    dev_iam = s.client("iam", *dev_key)
    prod_iam = s.client("iam", *prod_key)
    prod_iam.create_role(RoleName="UpdateApp", AssumeRolePolicyDocument=json.dumps(TRUST_DEVELOPMENT))
    prod_iam.put_role_policy(RoleName="UpdateApp", PolicyName="chain", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }))
    prod_iam.create_role(RoleName="LongSessions", MaxSessionDuration=43200, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::999999999999:root"]},
                       "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}],
    }))
    prod_iam.create_role(RoleName="ThirdParty", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole",
                       "Condition": {"StringEquals": {"sts:ExternalId": "Unique-ID-1234"}}}],
    }))
    prod_iam.create_role(RoleName="MfaOnly", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole",
                       "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}],
    }))
    dev_iam.create_user(UserName="David")
    dev_iam.put_user_policy(UserName="David", PolicyName="assume-anything", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], "Resource": "*"}],
    }))
    key = dev_iam.create_access_key(UserName="David")["AccessKey"]
    device = dev_iam.create_virtual_mfa_device(VirtualMFADeviceName="David")["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    seed = seed.decode() if isinstance(seed, bytes) else seed
    now = time.time()
    dev_iam.enable_mfa_device(UserName="David", SerialNumber=device["SerialNumber"],
                              AuthenticationCode1=totp(seed, now - 30), AuthenticationCode2=totp(seed, now))
    w = {
        "server": s,
        "dev_root": dev_key,
        "prod_root": prod_key,
        "david": (key["AccessKeyId"], key["SecretAccessKey"]),
        "serial": device["SerialNumber"],
        "seed": seed,
    }
    yield w
    s.stop()


def sts(w, who="david", token=None, creds=None):
    s = w["server"]
    if creds is not None:
        return s.client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    return s.client("sts", *w[who])


def raw(w, who="david", service="sts"):
    import boto3

    s = w["server"]
    return boto3.session.Session(
        aws_access_key_id=w[who][0], aws_secret_access_key=w[who][1], region_name="us-east-1"
    ).client(service, endpoint_url=s.endpoint,
             config=botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=False))


def assume(w, role="UpdateApp", session="David-ProdUpdate", client=None, **kw):
    return (client or sts(w)).assume_role(RoleArn=f"arn:aws:iam::{PROD}:role/{role}", RoleSessionName=session, **kw)


def expect(fn, code, status=None, message=None):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn()
    got_code, got_status, got_message = error_of(e)
    assert got_code == code, (got_code, got_message)
    if status is not None:
        assert got_status == status
    if message is not None:
        assert got_message == message, got_message
    return got_message


def test_assume_role_response_shape(world):
    out = assume(world, "LongSessions", "shape-check", DurationSeconds=7200, SourceIdentity="david-src",
                 Tags=[{"Key": "Project", "Value": "unicorn"}], TransitiveTagKeys=["Project"])
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) == 20
    assert len(c["SecretAccessKey"]) == 40 and c["SessionToken"]
    lifetime = c["Expiration"].timestamp() - time.time()
    assert 7100 < lifetime <= 7200
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::999999999999:assumed-role/LongSessions/shape-check"
    assert out["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert out["AssumedRoleUser"]["AssumedRoleId"].endswith(":shape-check")
    assert 0 < out["PackedPolicySize"] <= 100
    assert out["SourceIdentity"] == "david-src"
    me = sts(world, creds=c).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"] and me["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]


def test_role_session_name_rules(world):
    for bad in ("a", "x" * 65, "has space", "semi;colon"):
        expect(lambda: assume(world, session=bad, client=raw(world)), "ValidationError", 400)
    assert assume(world, session="ok+=,.@-_1")["AssumedRoleUser"]["Arn"].endswith("/ok+=,.@-_1")


def test_duration_limits(world):
    expect(lambda: assume(world, DurationSeconds=899, client=raw(world)), "ValidationError", 400)
    expect(lambda: assume(world, DurationSeconds=43201, client=raw(world)), "ValidationError", 400)
    expect(lambda: assume(world, DurationSeconds=3601), "ValidationError", 400,
           "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    assert assume(world, "LongSessions", DurationSeconds=43200)["Credentials"]


def test_role_chaining_is_capped_at_one_hour(world):
    first = assume(world)["Credentials"]
    chained_client = sts(world, creds=first)
    expect(lambda: assume(world, "LongSessions", "chained", client=chained_client, DurationSeconds=3601),
           "ValidationError", 400, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
    out = assume(world, "LongSessions", "chained", client=chained_client, DurationSeconds=3600)
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::999999999999:assumed-role/LongSessions/chained"


def test_external_id(world):
    expect(lambda: assume(world, "ThirdParty"), "AccessDenied", 403)
    expect(lambda: assume(world, "ThirdParty", ExternalId="Wrong-ID-1234"), "AccessDenied", 403)
    expect(lambda: assume(world, "ThirdParty", ExternalId="x", client=raw(world)), "ValidationError", 400)
    assert assume(world, "ThirdParty", ExternalId="Unique-ID-1234")["Credentials"]
    # An ExternalId the trust policy does not ask for is accepted.
    assert assume(world, ExternalId="Unused-ID-1234")["Credentials"]


def test_mfa_serial_number_and_token_code(world):
    expect(lambda: assume(world, "MfaOnly"), "AccessDenied", 403)
    expect(lambda: assume(world, "MfaOnly", SerialNumber=world["serial"]), "AccessDenied", 403,
           "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.")
    good = totp(world["seed"])
    wrong = "%06d" % ((int(good) + 500000) % 1_000_000)
    expect(lambda: assume(world, "MfaOnly", SerialNumber=world["serial"], TokenCode=wrong), "AccessDenied", 403,
           "MultiFactorAuthentication failed with invalid MFA one time pass code.")
    expect(lambda: assume(world, "MfaOnly", SerialNumber=world["serial"], TokenCode="12345", client=raw(world)), "ValidationError", 400)
    assert assume(world, "MfaOnly", SerialNumber=world["serial"], TokenCode=good)["Credentials"]


def test_session_token_with_mfa_satisfies_an_mfa_trust_policy(world):
    creds = sts(world).get_session_token(SerialNumber=world["serial"], TokenCode=totp(world["seed"]))["Credentials"]
    out = assume(world, "MfaOnly", "via-session", client=sts(world, creds=creds))
    assert out["AssumedRoleUser"]["Arn"].endswith("/MfaOnly/via-session")


def test_session_policies(world):
    expect(lambda: assume(world, Policy="{not json"), "MalformedPolicyDocument", 400)
    expect(lambda: assume(world, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]})),
           "MalformedPolicyDocument", 400)
    expect(lambda: assume(world, PolicyArns=[{"arn": "arn:aws:iam::999999999999:policy/DoesNotExist"}]), "MalformedPolicyDocument", 400)
    long_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i}/*"} for i in range(40)]}
    assert len(json.dumps(long_policy)) > 2048
    msg = expect(lambda: assume(world, Policy=json.dumps(long_policy)), "ValidationError", 400)
    assert msg.endswith("Member must have length less than or equal to 2048")
    too_many = [{"arn": f"arn:aws:iam::aws:policy/ReadOnlyAccess{i}"} for i in range(11)]
    expect(lambda: assume(world, PolicyArns=too_many), "ValidationError", 400)
    scoped = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}
    out = assume(world, "LongSessions", Policy=json.dumps(scoped), PolicyArns=[{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}])
    assert 0 < out["PackedPolicySize"] <= 100
    # Managed session policies travel by ARN: the token stays small and works.
    assert len(out["Credentials"]["SessionToken"]) < 4096
    assert sts(world, creds=out["Credentials"]).get_caller_identity()["Arn"].endswith("/LongSessions/David-ProdUpdate")


def test_session_tags_limits_and_packed_size(world):
    expect(lambda: assume(world, "LongSessions", client=raw(world), Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]), "ValidationError", 400)
    expect(lambda: assume(world, "LongSessions", client=raw(world), Tags=[{"Key": "k" * 129, "Value": "v"}]), "ValidationError", 400)
    expect(lambda: assume(world, "LongSessions", client=raw(world), Tags=[{"Key": "k", "Value": "v" * 257}]), "ValidationError", 400)
    # UpdateApp's trust policy does not allow sts:TagSession.
    msg = expect(lambda: assume(world, Tags=[{"Key": "Project", "Value": "x"}]), "AccessDenied", 403)
    assert "sts:TagSession" in msg
    big = [{"Key": f"k{i:02d}" + os.urandom(40).hex()[:120], "Value": os.urandom(128).hex()} for i in range(50)]
    msg = expect(lambda: assume(world, "LongSessions", Tags=big), "PackedPolicyTooLarge", 400)
    assert msg.startswith("Packed size of session tags consumes ") and msg.endswith("% of allotted space.")


def test_root_cannot_assume_a_role(world):
    expect(lambda: assume(world, client=sts(world, "dev_root")), "AccessDenied", 403, "Roles may not be assumed by root accounts.")


def test_missing_role_is_access_denied(world):
    expect(lambda: assume(world, "Nope"), "AccessDenied", 403,
           "User: arn:aws:iam::111111111111:user/David is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::999999999999:role/Nope")


def test_get_session_token(world):
    out = sts(world).get_session_token()
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    assert 43100 < c["Expiration"].timestamp() - time.time() <= 43200
    me = sts(world, creds=c).get_caller_identity()
    assert me["Arn"] == "arn:aws:iam::111111111111:user/David"
    expect(lambda: sts(world, creds=c).get_session_token(), "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
    # Without MFA these credentials cannot call IAM.
    iam = world["server"].client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    expect(lambda: iam.list_users(), "InvalidClientTokenId", 403)
    expect(lambda: raw(world).get_session_token(DurationSeconds=899), "ValidationError", 400)
    expect(lambda: raw(world).get_session_token(DurationSeconds=129601), "ValidationError", 400)
    long = sts(world).get_session_token(DurationSeconds=129600)["Credentials"]
    assert 129500 < long["Expiration"].timestamp() - time.time() <= 129600
    # The root user's sessions last at most an hour.
    root = sts(world, "dev_root").get_session_token(DurationSeconds=7200)["Credentials"]
    assert 3500 < root["Expiration"].timestamp() - time.time() <= 3600
    assert sts(world, creds=root).get_caller_identity()["Arn"] == "arn:aws:iam::111111111111:root"
    role_session = assume(world)["Credentials"]
    expect(lambda: sts(world, creds=role_session).get_session_token(), "AccessDenied", 403)


def test_get_access_key_info(world):
    temp = assume(world)["Credentials"]
    root_sts = sts(world, "dev_root")
    assert root_sts.get_access_key_info(AccessKeyId=temp["AccessKeyId"])["Account"] == PROD
    assert root_sts.get_access_key_info(AccessKeyId=world["david"][0])["Account"] == DEV
    assert root_sts.get_access_key_info(AccessKeyId=world["prod_root"][0])["Account"] == PROD
    # David's policy does not grant sts:GetAccessKeyInfo.
    expect(lambda: sts(world).get_access_key_info(AccessKeyId=temp["AccessKeyId"]), "AccessDenied", 403)


def test_forged_tokens_and_secrets(world):
    c = assume(world)["Credentials"]
    s = world["server"]
    token = c["SessionToken"]
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    expect(lambda: s.client("sts", c["AccessKeyId"], c["SecretAccessKey"], tampered).get_caller_identity(),
           "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
    other = assume(world, session="other-session")["Credentials"]
    expect(lambda: s.client("sts", other["AccessKeyId"], other["SecretAccessKey"], token).get_caller_identity(),
           "InvalidClientTokenId", 403)
    expect(lambda: s.client("sts", c["AccessKeyId"], "x" * 40, token).get_caller_identity(), "SignatureDoesNotMatch", 403)
    expect(lambda: s.client("sts", c["AccessKeyId"], c["SecretAccessKey"]).get_caller_identity(), "InvalidClientTokenId", 403)


def test_expired_token_via_the_test_clock(world):
    c = assume(world, DurationSeconds=900)["Credentials"]
    s = world["server"]
    move_clock(s, 901)
    try:
        expect(lambda: sts(world, creds=c).get_caller_identity(), "ExpiredToken", 403,
               "The security token included in the request is expired")
        # Organizations (json) words it its own way.
        org = s.client("organizations", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        expect(lambda: org.describe_organization(), "ExpiredTokenException", 400)
    finally:
        move_clock(s, -901)
    assert sts(world, creds=c).get_caller_identity()["Account"] == PROD


def test_organizations_permissions_for_sessions(world):
    s = world["server"]
    c = assume(world)["Credentials"]
    org = s.client("organizations", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    code, status, msg = None, None, None
    with pytest.raises(botocore.exceptions.ClientError) as e:
        org.describe_organization()
    code, status, msg = error_of(e)
    assert (code, status) == ("AccessDeniedException", 400)
    assert msg == ("User: arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate is not authorized to perform: "
                   "organizations:DescribeOrganization on resource: * because no identity-based policy allows the "
                   "organizations:DescribeOrganization action")


# ---------------------------------------------------------------- mock mode (--auth off)


def test_mock_mode_assume_role_keeps_the_session_identity(mock_server):
    s = mock_server
    iam = s.client("iam", "FOOBARKEY", "whatever")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="mock-role", AssumeRolePolicyDocument=json.dumps(trust))
    out = s.client("sts", "FOOBARKEY", "whatever").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/mock-role", RoleSessionName="mock-session")
    c = out["Credentials"]
    me = s.client("sts", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).get_caller_identity()
    assert me["Arn"] == "arn:aws:sts::123456789012:assumed-role/mock-role/mock-session"
    # Nothing is authorized in mock mode: the role session (no policies) may call IAM.
    s.client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).list_roles()
    # An IAM user's key stands for the user (no signature is checked in mock mode).
    iam.create_user(UserName="mock-user")
    k = iam.create_access_key(UserName="mock-user")["AccessKey"]
    me = s.client("sts", k["AccessKeyId"], "not-the-secret").get_caller_identity()
    assert me["Arn"] == "arn:aws:iam::123456789012:user/mock-user"
    # The role must still exist, as in AWS.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s.client("sts", "FOOBARKEY", "whatever").assume_role(
            RoleArn="arn:aws:iam::123456789012:role/nope", RoleSessionName="mock-session")
    assert error_of(e)[0] == "AccessDenied"


# ---------------------------------------------------------------- SCPs on member accounts


def test_service_control_policies_limit_member_accounts_not_the_management_account(fresh_server):
    s = fresh_server.start()
    dev_key = create_account(s, DEV, "Development")
    org = s.client("organizations")
    root_id = org.list_roots()["Roots"][0]["Id"]
    # SCPs are enabled with the organization, FullAWSAccess attached everywhere.
    assert org.list_roots()["Roots"][0]["PolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
    dev_iam = s.client("iam", *dev_key)
    dev_iam.create_user(UserName="before-scp")  # FullAWSAccess everywhere: allowed

    deny = org.create_policy(Name="DenyIamUsers", Type="SERVICE_CONTROL_POLICY", Description="no new users", Content=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}],
    }))["Policy"]["PolicySummary"]
    ou = org.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]
    org.move_account(AccountId=DEV, SourceParentId=root_id, DestinationParentId=ou["Id"])
    org.attach_policy(PolicyId=deny["Id"], TargetId=ou["Id"])

    # The member account's root user is limited by its OU's SCP.
    code, status, msg = expect_error(lambda: dev_iam.create_user(UserName="after-scp"))
    assert (code, status) == ("AccessDenied", 403)
    assert msg == ("User: arn:aws:iam::111111111111:root is not authorized to perform: iam:CreateUser on resource: "
                   "arn:aws:iam::111111111111:user/after-scp with an explicit deny in a service control policy")
    assert "after-scp" not in [u["UserName"] for u in dev_iam.list_users()["Users"]]
    # The management account is never limited by SCPs.
    s.client("iam").create_user(UserName="management-user")

    # Detaching FullAWSAccess from the account leaves no allow at that level.
    org.detach_policy(PolicyId=deny["Id"], TargetId=ou["Id"])
    dev_iam.create_user(UserName="after-detach")
    # An allow-list SCP on the account (each target keeps at least one SCP, as AWS requires).
    s3_only = org.create_policy(Name="S3Only", Type="SERVICE_CONTROL_POLICY", Description="s3 only", Content=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }))["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=s3_only["Id"], TargetId=DEV)
    org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=DEV)
    code, _, msg = expect_error(lambda: dev_iam.list_users())
    assert code == "AccessDenied"
    assert msg.endswith("because no service control policy allows the iam:ListUsers action")
    org.attach_policy(PolicyId="p-FullAWSAccess", TargetId=DEV)
    assert dev_iam.list_users()["Users"]


def expect_error(fn):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn()
    return error_of(e)


def test_get_federation_token(world):
    """A federated user: the federating user's policies intersected with the session policy."""
    s = world["server"]
    dev_iam = s.client("iam", *world["dev_root"])
    dev_iam.create_user(UserName="Proxy")
    dev_iam.put_user_policy(UserName="Proxy", PolicyName="federate", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sts:GetFederationToken", "iam:ListUsers"], "Resource": "*"}],
    }))
    key = dev_iam.create_access_key(UserName="Proxy")["AccessKey"]
    proxy = s.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    out = proxy.get_federation_token(Name="Bob", DurationSeconds=900, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
    }))
    assert out["FederatedUser"] == {"FederatedUserId": f"{DEV}:Bob", "Arn": f"arn:aws:sts::{DEV}:federated-user/Bob"}
    assert 0 <= out["PackedPolicySize"] <= 100
    c = out["Credentials"]
    assert 800 < c["Expiration"].timestamp() - time.time() <= 900
    fed = sts(world, creds=c)
    assert fed.get_caller_identity()["Arn"] == f"arn:aws:sts::{DEV}:federated-user/Bob"
    # No IAM for federated users, even when both policies allow it; no STS but GetCallerIdentity.
    iam = s.client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    expect(lambda: iam.list_users(), "AccessDenied", 403)
    expect(lambda: fed.get_session_token(), "AccessDenied", 403)
    # Limits (sent past botocore's own checks) and permission.
    world["proxy"] = (key["AccessKeyId"], key["SecretAccessKey"])
    unchecked = raw(world, "proxy")
    expect(lambda: unchecked.get_federation_token(Name="B"), "ValidationError", 400)
    expect(lambda: unchecked.get_federation_token(Name="Bob", DurationSeconds=129601), "ValidationError", 400)
    expect(lambda: sts(world).get_federation_token(Name="Bob"), "AccessDenied", 403)
