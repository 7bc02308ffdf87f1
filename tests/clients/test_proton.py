"""AWS Proton through the aws CLI and boto3: environment account connections between a management
account (111111111111) and an environment account (222222222222), as AWS's Proton user guide
walks through them, and environments created in the management account whose infrastructure
is provisioned in the environment account through the connection's role."""

import io
import json
import tarfile
import time
import uuid

import botocore.exceptions
import pytest

from conftest import make_server

MGMT = "111111111111"
ENV = "222222222222"
OTHER = "333333333333"
REGION = "us-east-1"
ROLE_NAME = "env-account-proton-service-role"
ROLE_ARN = f"arn:aws:iam::{ENV}:role/service-role/{ROLE_NAME}"


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message", "")


def proton_trust(source_account=MGMT):
    """The trust policy AWS's Proton guide gives a connection role (confused-deputy conditions)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "proton.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": source_account},
            "ArnLike": {"aws:SourceArn": f"arn:aws:proton:*:{source_account}:environment/*"},
        },
    }]})


def provisioning_policy(actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})


@pytest.fixture(scope="module")
def world(tmp_root):
    s = make_server(tmp_root).start()
    creds = {}
    for account, name in ((MGMT, "Management"), (ENV, "Environment"), (OTHER, "Other")):
        proc = s.xacct("accounts", "create", "--id", account, "--name", name)
        found = dict(l[len("export "):].split("=", 1) for l in proc.stdout.splitlines() if l.startswith("export "))
        creds[account] = (found["AWS_ACCESS_KEY_ID"], found["AWS_SECRET_ACCESS_KEY"])
    iam = s.client("iam", *creds[ENV])
    iam.create_role(RoleName=ROLE_NAME, Path="/service-role/", AssumeRolePolicyDocument=proton_trust())
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="provision", PolicyDocument=provisioning_policy(["cloudformation:*", "s3:*"]))
    yield s, creds
    s.stop()


def client(world, account, service, region=REGION):
    s, creds = world
    return s.client(service, *creds[account], region=region)


def cli(world, account, *args, check=True):
    s, creds = world
    key, secret = creds[account]
    return s.aws(*args, key_id=key, secret=secret, check=check)


def connection_ids(world, account, requested_by):
    out = client(world, account, "proton").list_environment_account_connections(requestedBy=requested_by)
    return {c["id"] for c in out["environmentAccountConnections"]}


def delete_all_connections(world):
    proton = client(world, ENV, "proton")
    for cid in connection_ids(world, ENV, "ENVIRONMENT_ACCOUNT"):
        proton.delete_environment_account_connection(id=cid)


def connected(world, environment_name, role_arn=ROLE_ARN):
    env = client(world, ENV, "proton")
    cid = env.create_environment_account_connection(
        managementAccountId=MGMT, environmentName=environment_name, roleArn=role_arn)["environmentAccountConnection"]["id"]
    client(world, MGMT, "proton").accept_environment_account_connection(id=cid)
    return cid


# ---------------------------------------------------------------- connections


def test_the_seed_sequence_with_the_aws_cli(world):
    created = cli(world, ENV, "proton", "create-environment-account-connection",
                  "--environment-name", "simple-env-connected", "--role-arn", ROLE_ARN,
                  "--management-account-id", MGMT)["environmentAccountConnection"]
    cid = created["id"]
    assert created["arn"] == f"arn:aws:proton:{REGION}:{ENV}:environment-account-connection/{cid}"
    assert created["status"] == "PENDING"
    assert (created["environmentAccountId"], created["managementAccountId"]) == (ENV, MGMT)
    assert created["environmentName"] == "simple-env-connected" and created["roleArn"] == ROLE_ARN
    assert {"requestedAt", "lastModifiedAt"} <= created.keys()
    assert str(uuid.UUID(cid)) == cid

    accepted = cli(world, MGMT, "proton", "accept-environment-account-connection", "--id", cid)["environmentAccountConnection"]
    assert accepted["status"] == "CONNECTED" and accepted["id"] == cid and accepted["arn"] == created["arn"]
    assert accepted["requestedAt"] == created["requestedAt"]

    second = cli(world, ENV, "proton", "create-environment-account-connection",
                 "--environment-name", "simple-env-rejected", "--role-arn", ROLE_ARN,
                 "--management-account-id", MGMT)["environmentAccountConnection"]
    rejected = cli(world, MGMT, "proton", "reject-environment-account-connection", "--id", second["id"])["environmentAccountConnection"]
    assert rejected["status"] == "REJECTED"

    got = cli(world, ENV, "proton", "get-environment-account-connection", "--id", cid)["environmentAccountConnection"]
    assert {k: got[k] for k in ("arn", "id", "status", "environmentAccountId", "managementAccountId", "environmentName", "roleArn")} == {
        "arn": created["arn"], "id": cid, "status": "CONNECTED", "environmentAccountId": ENV,
        "managementAccountId": MGMT, "environmentName": "simple-env-connected", "roleArn": ROLE_ARN}

    deleted = cli(world, ENV, "proton", "delete-environment-account-connection", "--id", cid)["environmentAccountConnection"]
    assert deleted["id"] == cid and deleted["status"] == "CONNECTED"
    proc = cli(world, ENV, "proton", "get-environment-account-connection", "--id", cid, check=False)
    assert proc.returncode != 0 and "ResourceNotFoundException" in proc.stderr
    cli(world, ENV, "proton", "delete-environment-account-connection", "--id", second["id"])


def test_each_side_may_only_do_its_part(world):
    env, mgmt = client(world, ENV, "proton"), client(world, MGMT, "proton")
    cid = env.create_environment_account_connection(
        managementAccountId=MGMT, environmentName="sides", roleArn=ROLE_ARN)["environmentAccountConnection"]["id"]
    for call in (env.accept_environment_account_connection, env.reject_environment_account_connection):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call(id=cid)
        assert error_of(e)[:2] == ("AccessDeniedException", 400)
    for call in (mgmt.delete_environment_account_connection, mgmt.update_environment_account_connection):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call(id=cid)
        assert error_of(e)[:2] == ("AccessDeniedException", 400)
    assert env.get_environment_account_connection(id=cid)["environmentAccountConnection"]["status"] == "PENDING"
    # Both accounts see it; a third account and another region do not.
    assert mgmt.get_environment_account_connection(id=cid)["environmentAccountConnection"]["id"] == cid
    for other in (client(world, OTHER, "proton"), client(world, ENV, "proton", region="eu-west-1"), client(world, MGMT, "proton", region="eu-west-1")):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            other.get_environment_account_connection(id=cid)
        assert error_of(e)[0] == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(world, OTHER, "proton").accept_environment_account_connection(id=cid)
    assert error_of(e)[0] == "ResourceNotFoundException"
    assert cid not in connection_ids(world, OTHER, "MANAGEMENT_ACCOUNT")
    env.delete_environment_account_connection(id=cid)


def test_a_rejected_connection_can_never_be_accepted(world):
    env, mgmt = client(world, ENV, "proton"), client(world, MGMT, "proton")
    cid = env.create_environment_account_connection(
        managementAccountId=MGMT, environmentName="rejected", roleArn=ROLE_ARN)["environmentAccountConnection"]["id"]
    mgmt.reject_environment_account_connection(id=cid)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        mgmt.accept_environment_account_connection(id=cid)
    assert error_of(e)[:2] == ("ConflictException", 400)
    assert env.get_environment_account_connection(id=cid)["environmentAccountConnection"]["status"] == "REJECTED"
    # Rejecting again changes nothing.
    assert mgmt.reject_environment_account_connection(id=cid)["environmentAccountConnection"]["status"] == "REJECTED"
    env.delete_environment_account_connection(id=cid)


def test_one_connection_per_management_account_and_environment_and_five_per_account(world):
    env = client(world, ENV, "proton")
    first = env.create_environment_account_connection(
        managementAccountId=MGMT, environmentName="dup", roleArn=ROLE_ARN)["environmentAccountConnection"]["id"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.create_environment_account_connection(managementAccountId=MGMT, environmentName="dup", roleArn=ROLE_ARN)
    assert error_of(e)[:2] == ("ConflictException", 400)
    for i in range(4):
        env.create_environment_account_connection(managementAccountId=MGMT, environmentName=f"quota{i}", roleArn=ROLE_ARN)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.create_environment_account_connection(managementAccountId=MGMT, environmentName="sixth", roleArn=ROLE_ARN)
    assert error_of(e)[:2] == ("ServiceQuotaExceededException", 400)
    names = {c["environmentName"] for c in env.list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")["environmentAccountConnections"]}
    assert names == {"dup", "quota0", "quota1", "quota2", "quota3"}
    delete_all_connections(world)
    assert first not in connection_ids(world, MGMT, "MANAGEMENT_ACCOUNT")


def test_the_role_must_be_an_environment_account_role_that_trusts_proton(world):
    s, creds = world
    iam = client(world, ENV, "iam")
    iam.create_role(RoleName="ec2-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.create_role(RoleName="other-mgmt-role", AssumeRolePolicyDocument=proton_trust("999999999999"))
    client(world, MGMT, "iam").create_role(RoleName="mgmt-role", AssumeRolePolicyDocument=proton_trust())
    env = client(world, ENV, "proton")
    for role in (f"arn:aws:iam::{ENV}:role/ec2-role", f"arn:aws:iam::{ENV}:role/other-mgmt-role",
                 f"arn:aws:iam::{ENV}:role/no-such-role", f"arn:aws:iam::{MGMT}:role/mgmt-role",
                 "arn:aws:iam::222222222222:user/not-a-role"):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            env.create_environment_account_connection(managementAccountId=MGMT, environmentName="roles", roleArn=role)
        assert error_of(e)[:2] == ("ValidationException", 400), role
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.create_environment_account_connection(managementAccountId=MGMT, environmentName="roles", roleArn=ROLE_ARN,
                                                  componentRoleArn=f"arn:aws:iam::{ENV}:role/ec2-role")
    assert error_of(e)[0] == "ValidationException"
    assert connection_ids(world, ENV, "ENVIRONMENT_ACCOUNT") == set()
    # Updating to a role that does not trust Proton is refused and changes nothing.
    cid = env.create_environment_account_connection(
        managementAccountId=MGMT, environmentName="roles", roleArn=ROLE_ARN)["environmentAccountConnection"]["id"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.update_environment_account_connection(id=cid, roleArn=f"arn:aws:iam::{ENV}:role/ec2-role")
    assert error_of(e)[0] == "ValidationException"
    assert env.get_environment_account_connection(id=cid)["environmentAccountConnection"]["roleArn"] == ROLE_ARN
    iam.create_role(RoleName="second-proton-role", AssumeRolePolicyDocument=proton_trust())
    updated = env.update_environment_account_connection(id=cid, roleArn=f"arn:aws:iam::{ENV}:role/second-proton-role")
    assert updated["environmentAccountConnection"]["roleArn"] == f"arn:aws:iam::{ENV}:role/second-proton-role"
    env.delete_environment_account_connection(id=cid)


def test_bad_ids_and_inputs(world):
    env, mgmt = client(world, ENV, "proton"), client(world, MGMT, "proton")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        mgmt.accept_environment_account_connection(id="not-an-id")
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        mgmt.accept_environment_account_connection(id=str(uuid.uuid4()))
    assert error_of(e)[:2] == ("ResourceNotFoundException", 400)
    for bad in ({"managementAccountId": "12345"}, {"managementAccountId": ENV}, {"roleArn": "arn:aws:iam::222222222222:role"}):
        args = {"managementAccountId": MGMT, "environmentName": "bad", "roleArn": ROLE_ARN, **bad}
        with pytest.raises(botocore.exceptions.ClientError) as e:
            env.create_environment_account_connection(**args)
        assert error_of(e)[0] == "ValidationException", bad
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.list_environment_account_connections(requestedBy="SOMEONE")
    assert error_of(e)[0] == "ValidationException"
    assert connection_ids(world, ENV, "ENVIRONMENT_ACCOUNT") == set()


def test_client_tokens_listing_paging_and_tags(world):
    env, mgmt = client(world, ENV, "proton"), client(world, MGMT, "proton")
    token = str(uuid.uuid4())
    a = env.create_environment_account_connection(managementAccountId=MGMT, environmentName="alpha", roleArn=ROLE_ARN,
                                                  clientToken=token, tags=[{"key": "team", "value": "blue"}])["environmentAccountConnection"]
    again = env.create_environment_account_connection(managementAccountId=MGMT, environmentName="alpha", roleArn=ROLE_ARN,
                                                      clientToken=token)["environmentAccountConnection"]
    assert again["id"] == a["id"]
    b = env.create_environment_account_connection(managementAccountId=MGMT, environmentName="beta", roleArn=ROLE_ARN)["environmentAccountConnection"]
    mgmt.accept_environment_account_connection(id=b["id"])

    page1 = mgmt.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT", maxResults=1)
    assert len(page1["environmentAccountConnections"]) == 1 and "nextToken" in page1
    page2 = mgmt.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT", maxResults=1, nextToken=page1["nextToken"])
    assert {page1["environmentAccountConnections"][0]["id"], page2["environmentAccountConnections"][0]["id"]} == {a["id"], b["id"]}
    assert "nextToken" not in page2
    summary = page1["environmentAccountConnections"][0]
    assert {"arn", "id", "status", "requestedAt", "lastModifiedAt", "environmentAccountId", "managementAccountId", "environmentName", "roleArn"} <= summary.keys()
    assert connection_ids(world, MGMT, "ENVIRONMENT_ACCOUNT") == set()
    connected_only = mgmt.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT", statuses=["CONNECTED"])
    assert [c["id"] for c in connected_only["environmentAccountConnections"]] == [b["id"]]
    named = env.list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT", environmentName="alpha")
    assert [c["id"] for c in named["environmentAccountConnections"]] == [a["id"]]

    assert env.list_tags_for_resource(resourceArn=a["arn"])["tags"] == [{"key": "team", "value": "blue"}]
    env.tag_resource(resourceArn=a["arn"], tags=[{"key": "stage", "value": "dev"}])
    env.untag_resource(resourceArn=a["arn"], tagKeys=["team"])
    assert env.list_tags_for_resource(resourceArn=a["arn"])["tags"] == [{"key": "stage", "value": "dev"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client(world, OTHER, "proton").list_tags_for_resource(resourceArn=a["arn"])
    assert error_of(e)[0] == "ResourceNotFoundException"
    delete_all_connections(world)


def test_proton_actions_are_authorized_by_iam(world):
    s, creds = world
    iam = client(world, ENV, "iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=provisioning_policy(["proton:Get*", "proton:List*"]))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = s.client("proton", key["AccessKeyId"], key["SecretAccessKey"])
    reader.list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        reader.create_environment_account_connection(managementAccountId=MGMT, environmentName="denied", roleArn=ROLE_ARN)
    code, status, message = error_of(e)
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"is not authorized to perform: proton:CreateEnvironmentAccountConnection on resource: arn:aws:proton:{REGION}:{ENV}:environment-account-connection/*" in message
    assert connection_ids(world, ENV, "ENVIRONMENT_ACCOUNT") == set()


# ---------------------------------------------------------------- templates and environments

SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "BucketEnvironmentInput"
  types:
    BucketEnvironmentInput:
      type: object
      description: "A shared bucket"
      properties:
        bucket_name:
          type: string
          minLength: 3
        team:
          type: string
          default: platform
      required:
        - bucket_name
"""

MANIFEST = """infrastructure:
  templates:
    - file: "cloudformation.yaml"
      rendering_engine: jinja
      template_language: cloudformation
"""

CLOUDFORMATION = """Resources:
  SharedBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: "{{ environment.inputs.bucket_name }}"
      Tags:
        - Key: team
          Value: "{{ environment.inputs.team }}"
Outputs:
  BucketArn:
    Value: !GetAtt SharedBucket.Arn
"""


def bundle(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture(scope="module")
def template(world):
    """A published environment template `shared-bucket` 1.0 in the management account."""
    s3 = client(world, MGMT, "s3")
    s3.create_bucket(Bucket="mgmt-proton-templates")
    s3.put_object(Bucket="mgmt-proton-templates", Key="env.tar.gz", Body=bundle({
        "schema/schema.yaml": SCHEMA, "infrastructure/manifest.yaml": MANIFEST, "infrastructure/cloudformation.yaml": CLOUDFORMATION}))
    proton = client(world, MGMT, "proton")
    proton.create_environment_template(name="shared-bucket", displayName="Shared bucket")
    version = proton.create_environment_template_version(
        templateName="shared-bucket", source={"s3": {"bucket": "mgmt-proton-templates", "key": "env.tar.gz"}})["environmentTemplateVersion"]
    assert (version["majorVersion"], version["minorVersion"], version["status"]) == ("1", "0", "DRAFT")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_environment(world, "draft-env", str(uuid.uuid4()), "draft-bucket-222")
    assert error_of(e)[0] in ("ValidationException", "ResourceNotFoundException")
    published = proton.update_environment_template_version(templateName="shared-bucket", majorVersion="1", minorVersion="0", status="PUBLISHED")
    assert published["environmentTemplateVersion"]["status"] == "PUBLISHED"
    assert published["environmentTemplateVersion"]["schema"] == SCHEMA
    assert proton.get_environment_template(name="shared-bucket")["environmentTemplate"]["recommendedVersion"] == "1.0"
    return "shared-bucket"


def create_environment(world, name, connection_id, bucket, **extra):
    spec = f"proton: EnvironmentSpec\nspec:\n  bucket_name: {bucket}\n"
    return client(world, MGMT, "proton").create_environment(
        name=name, templateName="shared-bucket", templateMajorVersion="1", spec=spec,
        environmentAccountConnectionId=connection_id, **extra)["environment"]


def settled(proton, name, timeout=10.0):
    """Polls GetEnvironment, as a client of AWS does, until the deployment or deletion the last
    call started is over: the environment, or None once it is deleted. Bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            env = proton.get_environment(name=name)["environment"]
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        if env["deploymentStatus"] not in ("IN_PROGRESS", "DELETE_IN_PROGRESS"):
            return env
        assert time.monotonic() < deadline, f"environment {name} still {env['deploymentStatus']} after {timeout}s"
        time.sleep(0.05)


def events(world, account, name):
    out = client(world, account, "cloudtrail").lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])
    return [json.loads(e["CloudTrailEvent"]) for e in out["Events"]]


def test_registration_reads_the_bundle_with_the_callers_permissions(world, template):
    proton = client(world, MGMT, "proton")
    s3 = client(world, MGMT, "s3")
    s3.put_object(Bucket="mgmt-proton-templates", Key="broken.tar.gz", Body=bundle({"schema/schema.yaml": SCHEMA}))
    broken = proton.create_environment_template_version(
        templateName="shared-bucket", majorVersion="1", source={"s3": {"bucket": "mgmt-proton-templates", "key": "broken.tar.gz"}})
    v = broken["environmentTemplateVersion"]
    assert (v["majorVersion"], v["minorVersion"], v["status"]) == ("1", "1", "REGISTRATION_FAILED")
    assert "infrastructure/manifest.yaml" in v["statusMessage"]
    proton.delete_environment_template_version(templateName="shared-bucket", majorVersion="1", minorVersion="1")

    with pytest.raises(botocore.exceptions.ClientError) as e:
        proton.create_environment_template_version(templateName="shared-bucket", source={"s3": {"bucket": "mgmt-proton-templates", "key": "missing"}})
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        proton.create_environment_template_version(templateName="no-such-template", source={"s3": {"bucket": "mgmt-proton-templates", "key": "env.tar.gz"}})
    assert error_of(e)[0] == "ResourceNotFoundException"

    s, creds = world
    iam = client(world, MGMT, "iam")
    iam.create_user(UserName="template-author")
    iam.put_user_policy(UserName="template-author", PolicyName="p", PolicyDocument=provisioning_policy(["proton:*"]))
    key = iam.create_access_key(UserName="template-author")["AccessKey"]
    author = s.client("proton", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        author.create_environment_template_version(templateName="shared-bucket", source={"s3": {"bucket": "mgmt-proton-templates", "key": "env.tar.gz"}})
    code, _, message = error_of(e)
    assert code == "AccessDeniedException" and "s3:GetObject" in message
    versions = proton.list_environment_template_versions(templateName="shared-bucket")["templateVersions"]
    assert [(x["majorVersion"], x["minorVersion"], x["status"]) for x in versions] == [("1", "0", "PUBLISHED")]


def test_an_environment_provisions_its_bucket_in_the_environment_account(world, template):
    cid = connected(world, "prod-env")
    env = create_environment(world, "prod-env", cid, "prod-env-shared-222")
    # AWS answers at once and deploys in the background.
    assert env["deploymentStatus"] == "IN_PROGRESS"
    assert env["arn"] == f"arn:aws:proton:{REGION}:{MGMT}:environment/prod-env"
    assert (env["environmentAccountId"], env["environmentAccountConnectionId"]) == (ENV, cid)
    proton = client(world, MGMT, "proton")
    # botocore's own waiter (GetEnvironment until SUCCEEDED, failing on FAILED).
    proton.get_waiter("environment_deployed").wait(name="prod-env", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    got = proton.get_environment(name="prod-env")["environment"]
    assert got["deploymentStatus"] == "SUCCEEDED" and got["templateMinorVersion"] == "0"
    assert got["lastSucceededDeploymentId"] == got["lastAttemptedDeploymentId"] == env["lastAttemptedDeploymentId"]
    assert [e["name"] for e in proton.list_environments()["environments"]] == ["prod-env"]

    # The bucket is the environment account's, made by the connection role's stack.
    cli(world, ENV, "s3api", "head-bucket", "--bucket", "prod-env-shared-222")
    assert "prod-env-shared-222" in [b["Name"] for b in cli(world, ENV, "s3api", "list-buckets")["Buckets"]]
    tags = client(world, ENV, "s3").get_bucket_tagging(Bucket="prod-env-shared-222")["TagSet"]
    assert tags == [{"Key": "team", "Value": "platform"}]
    stacks = cli(world, ENV, "cloudformation", "describe-stacks")["Stacks"]
    stack = [st for st in stacks if st["StackName"].startswith("AWSProton-prod-env-")]
    assert len(stack) == 1 and stack[0]["StackStatus"] == "CREATE_COMPLETE"
    resources = cli(world, ENV, "cloudformation", "describe-stack-resources", "--stack-name", stack[0]["StackName"])["StackResources"]
    assert [(r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceType"]) for r in resources] == [("SharedBucket", "prod-env-shared-222", "AWS::S3::Bucket")]
    listed = cli(world, ENV, "cloudformation", "list-stacks")["StackSummaries"]
    assert stack[0]["StackId"] in [x["StackId"] for x in listed]
    assert cli(world, MGMT, "cloudformation", "describe-stacks")["Stacks"] == []

    # Each step is in the log of the account where it happened.
    assumed = [e for e in events(world, ENV, "AssumeRole") if e["requestParameters"]["roleArn"] == ROLE_ARN]
    assert assumed and assumed[0]["userIdentity"] == {"type": "AWSService", "invokedBy": "proton.amazonaws.com"}
    created = [e for e in events(world, ENV, "CreateBucket") if e["requestParameters"].get("bucket") == "prod-env-shared-222"]
    assert created[0]["userIdentity"]["type"] == "AssumedRole"
    assert created[0]["userIdentity"]["invokedBy"] == "cloudformation.amazonaws.com"
    assert created[0]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == ROLE_ARN
    assert events(world, ENV, "CreateStack")[0]["userIdentity"]["invokedBy"] == "proton.amazonaws.com"
    assert events(world, MGMT, "CreateEnvironment")[0]["userIdentity"]["type"] == "Root"

    # A connection in use cannot be rejected.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        proton.reject_environment_account_connection(id=cid)
    assert error_of(e)[:2] == ("ConflictException", 400)

    # Deleting the connection leaves the environment unmanageable until a new one is accepted.
    client(world, ENV, "proton").delete_environment_account_connection(id=cid)
    spec = "proton: EnvironmentSpec\nspec:\n  bucket_name: prod-env-shared-222\n  team: data\n"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        proton.update_environment(name="prod-env", deploymentType="CURRENT_VERSION", spec=spec)
    assert error_of(e)[0] == "ValidationException"
    assert proton.get_environment(name="prod-env")["environment"]["spec"] != spec
    pending = client(world, ENV, "proton").create_environment_account_connection(
        managementAccountId=MGMT, environmentName="prod-env", roleArn=ROLE_ARN)["environmentAccountConnection"]["id"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        proton.update_environment(name="prod-env", deploymentType="CURRENT_VERSION", spec=spec)
    assert error_of(e)[0] == "ValidationException"
    proton.accept_environment_account_connection(id=pending)
    updated = proton.update_environment(name="prod-env", deploymentType="CURRENT_VERSION", spec=spec)["environment"]
    assert updated["deploymentStatus"] == "IN_PROGRESS" and updated["spec"] == spec
    assert updated["lastAttemptedDeploymentId"] != got["lastAttemptedDeploymentId"]
    updated = settled(proton, "prod-env")
    assert updated["deploymentStatus"] == "SUCCEEDED", updated.get("deploymentStatusMessage")
    assert updated["environmentAccountConnectionId"] == pending
    assert client(world, ENV, "s3").get_bucket_tagging(Bucket="prod-env-shared-222")["TagSet"] == [{"Key": "team", "Value": "data"}]

    deleted = proton.delete_environment(name="prod-env")["environment"]
    assert deleted["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert settled(proton, "prod-env") is None
    proc = cli(world, ENV, "s3api", "head-bucket", "--bucket", "prod-env-shared-222", check=False)
    assert proc.returncode != 0
    summaries = cli(world, ENV, "cloudformation", "list-stacks", "--stack-status-filter", "DELETE_COMPLETE")["StackSummaries"]
    assert stack[0]["StackId"] in [x["StackId"] for x in summaries]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        proton.get_environment(name="prod-env")
    assert error_of(e)[0] == "ResourceNotFoundException"
    delete_all_connections(world)


def test_a_role_without_s3_create_bucket_fails_the_deployment_with_the_reason(world, template):
    iam = client(world, ENV, "iam")
    iam.create_role(RoleName="no-bucket-role", AssumeRolePolicyDocument=proton_trust())
    iam.put_role_policy(RoleName="no-bucket-role", PolicyName="p", PolicyDocument=provisioning_policy(["cloudformation:*", "s3:PutBucketTagging"]))
    cid = connected(world, "weak-env", role_arn=f"arn:aws:iam::{ENV}:role/no-bucket-role")
    env = create_environment(world, "weak-env", cid, "weak-env-bucket-222")
    assert env["deploymentStatus"] == "IN_PROGRESS"
    proton = client(world, MGMT, "proton")
    # The waiter stops with an error on FAILED.
    with pytest.raises(botocore.exceptions.WaiterError):
        proton.get_waiter("environment_deployed").wait(name="weak-env", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    env = settled(proton, "weak-env")
    assert env["deploymentStatus"] == "FAILED"
    assert "lastSucceededDeploymentId" not in env
    message = env["deploymentStatusMessage"]
    assert "s3:CreateBucket" in message and "AccessDenied" in message, message
    assert f"arn:aws:sts::{ENV}:assumed-role/no-bucket-role/" in message
    proc = cli(world, ENV, "s3api", "head-bucket", "--bucket", "weak-env-bucket-222", check=False)
    assert proc.returncode != 0
    # The failed environment can be deleted: its rolled-back stack goes with it.
    assert proton.delete_environment(name="weak-env")["environment"]["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert settled(proton, "weak-env") is None
    stacks = cli(world, ENV, "cloudformation", "describe-stacks")["Stacks"]
    assert [st for st in stacks if st["StackName"].startswith("AWSProton-weak-env-") and st["StackStatus"] != "DELETE_COMPLETE"] == []
    delete_all_connections(world)


def test_an_environment_needs_a_usable_connection_and_a_valid_spec(world, template):
    proton = client(world, MGMT, "proton")
    env_side = client(world, ENV, "proton")
    cid = connected(world, "guarded")
    pending = env_side.create_environment_account_connection(
        managementAccountId=MGMT, environmentName="waiting", roleArn=ROLE_ARN)["environmentAccountConnection"]["id"]
    rejected = env_side.create_environment_account_connection(
        managementAccountId=MGMT, environmentName="refused", roleArn=ROLE_ARN)["environmentAccountConnection"]["id"]
    proton.reject_environment_account_connection(id=rejected)
    cases = [
        ("guarded", str(uuid.uuid4()), {}, "ResourceNotFoundException"),
        ("waiting", pending, {}, "ValidationException"),
        ("refused", rejected, {}, "ValidationException"),
        ("not-guarded", cid, {}, "ValidationException"),
        ("guarded", cid, {"templateMinorVersion": "7"}, "ResourceNotFoundException"),
        ("guarded", cid, {"protonServiceRoleArn": f"arn:aws:iam::{MGMT}:role/x"}, "ValidationException"),
    ]
    for name, connection, extra, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            create_environment(world, name, connection, "never-made-222", **extra)
        assert error_of(e)[0] == code, (name, extra, error_of(e))
    for spec in ("proton: EnvironmentSpec\nspec:\n  bucket_name: ab\n", "proton: EnvironmentSpec\nspec: {}\n",
                 "proton: EnvironmentSpec\nspec:\n  bucket_name: ok-name\n  colour: red\n", "not: [yaml"):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            proton.create_environment(name="guarded", templateName="shared-bucket", templateMajorVersion="1", spec=spec,
                                      environmentAccountConnectionId=cid)
        assert error_of(e)[0] == "ValidationException", spec
    # The environment account cannot use the connection to make environments.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env_side.create_environment(name="guarded", templateName="shared-bucket", templateMajorVersion="1",
                                    spec="proton: EnvironmentSpec\nspec:\n  bucket_name: x-222\n", environmentAccountConnectionId=cid)
    assert error_of(e)[0] in ("AccessDeniedException", "ResourceNotFoundException")
    assert proton.list_environments()["environments"] == []
    assert env_side.list_environments()["environments"] == []
    assert [st for st in cli(world, ENV, "cloudformation", "describe-stacks")["Stacks"] if st["StackStatus"] != "DELETE_COMPLETE"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        proton.get_environment(name="guarded")
    assert error_of(e)[0] == "ResourceNotFoundException"
    delete_all_connections(world)


def test_a_single_account_environment_uses_a_proton_service_role_passed_by_the_caller(world, template):
    s, creds = world
    iam = client(world, MGMT, "iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "proton.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": MGMT}}}]})
    role_arn = iam.create_role(RoleName="proton-service-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="proton-service-role", PolicyName="p", PolicyDocument=provisioning_policy(["cloudformation:*", "s3:*"]))
    # A user who may use Proton but not pass the role cannot create the environment.
    iam.create_user(UserName="platform")
    iam.put_user_policy(UserName="platform", PolicyName="p", PolicyDocument=provisioning_policy(["proton:*"]))
    key = iam.create_access_key(UserName="platform")["AccessKey"]
    platform = s.client("proton", key["AccessKeyId"], key["SecretAccessKey"])
    spec = "proton: EnvironmentSpec\nspec:\n  bucket_name: single-account-111\n"
    args = dict(name="single", templateName="shared-bucket", templateMajorVersion="1", spec=spec, protonServiceRoleArn=role_arn)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        platform.create_environment(**args)
    code, status, message = error_of(e)
    assert (code, status) == ("AccessDeniedException", 400) and "iam:PassRole" in message
    iam.put_user_policy(UserName="platform", PolicyName="pass", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn,
        "Condition": {"StringEquals": {"iam:PassedToService": "proton.amazonaws.com"}}}]}))
    env = platform.create_environment(**args)["environment"]
    assert env["deploymentStatus"] == "IN_PROGRESS"
    env = settled(platform, "single")
    assert env["deploymentStatus"] == "SUCCEEDED", env.get("deploymentStatusMessage")
    assert env["environmentAccountId"] == MGMT and env["protonServiceRoleArn"] == role_arn
    client(world, MGMT, "s3").head_bucket(Bucket="single-account-111")
    assert platform.delete_environment(name="single")["environment"]["deploymentStatus"] == "DELETE_IN_PROGRESS"
    assert settled(platform, "single") is None
    with pytest.raises(botocore.exceptions.ClientError):
        client(world, MGMT, "s3").head_bucket(Bucket="single-account-111")
