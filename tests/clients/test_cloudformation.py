"""CloudFormation through the real aws CLI and boto3: a web team deploys its IAM set-up
(a role for its EC2 fleet with an instance profile, and a deployer group) as a stack, updates it,
and tears it down; then AWS's checks (capabilities, template errors, parameters), rollback of a
resource type xacct does not emulate, and authorization of every resource the stack creates
(the caller's own permissions, iam:PassRole and the service role's trust policy).
"""

import json
import os

import botocore.exceptions
import pytest

from conftest import make_server

DEV = "111111111111"

WEB_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Description: Web fleet IAM
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
  DbPassword:
    Type: String
    NoEcho: true
    Default: s3cret
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  FleetRole:
    Type: AWS::IAM::Role
    Properties:
      Path: /web/
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: logs:PutLogEvents
                Resource: !Sub "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:web-${Env}:*"
  FleetProfile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref FleetRole]
  Deployers:
    Type: AWS::IAM::Group
    Properties:
      ManagedPolicyArns:
        - !Ref DeployPolicy
  DeployPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Description: !If [IsProd, Deploy to production, Deploy to dev]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: iam:PassRole
            Resource: !GetAtt FleetRole.Arn
Outputs:
  RoleArn:
    Value: !GetAtt FleetRole.Arn
  ProfileName:
    Value: !Ref FleetProfile
  PolicyArn:
    Value: !Ref DeployPolicy
    Export:
      Name: !Sub "${AWS::StackName}-deploy-policy"
"""


def outputs_of(stack):
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message", "")


def deploy(server, path, *extra):
    """`aws cloudformation deploy` (change sets, then waiters); returns its text output."""
    proc = server.aws(
        "cloudformation", "deploy", "--stack-name", "web", "--template-file", str(path),
        "--capabilities", "CAPABILITY_IAM", *extra, check=False,
    )
    assert proc.returncode == 0, proc.stderr + server.log()
    return proc.stdout


def test_the_web_team_deploys_updates_and_deletes_its_stack_with_the_aws_cli(server, tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(WEB_TEMPLATE)
    assert "Successfully created/updated stack - web" in deploy(server, path, "--parameter-overrides", "Env=dev")
    stack = server.aws("cloudformation", "describe-stacks", "--stack-name", "web")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Description"] == "Web fleet IAM"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {"Env": "dev", "DbPassword": "****"}
    out = outputs_of(stack)
    role_name = out["RoleArn"].rsplit("/", 1)[1]
    assert role_name.startswith("web-FleetRole-")
    role = server.aws("iam", "get-role", "--role-name", role_name)["Role"]
    assert role["Arn"] == out["RoleArn"] and role["Path"] == "/web/"
    inline = server.aws("iam", "get-role-policy", "--role-name", role_name, "--policy-name", "logs")
    assert inline["PolicyDocument"]["Statement"][0]["Resource"] == "arn:aws:logs:us-east-1:000000000000:log-group:web-dev:*"
    profile = server.aws("iam", "get-instance-profile", "--instance-profile-name", out["ProfileName"])["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [role_name]
    policy = server.aws("iam", "get-policy", "--policy-arn", out["PolicyArn"])["Policy"]
    assert policy["Description"] == "Deploy to dev" and policy["AttachmentCount"] == 1
    exports = server.aws("cloudformation", "list-exports")["Exports"]
    assert {"Name": "web-deploy-policy", "Value": out["PolicyArn"]}.items() <= exports[0].items()
    resources = server.aws("cloudformation", "list-stack-resources", "--stack-name", "web")["StackResourceSummaries"]
    assert sorted(r["LogicalResourceId"] for r in resources) == ["DeployPolicy", "Deployers", "FleetProfile", "FleetRole"]
    assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}

    # Production: the description changes, which replaces the managed policy (a new ARN).
    deploy(server, path, "--parameter-overrides", "Env=prod")
    stack = server.aws("cloudformation", "describe-stacks", "--stack-name", "web")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    new_out = outputs_of(stack)
    assert new_out["RoleArn"] == out["RoleArn"]
    assert new_out["PolicyArn"] != out["PolicyArn"]
    assert server.aws("iam", "get-policy", "--policy-arn", out["PolicyArn"], check=False).returncode != 0
    inline = server.aws("iam", "get-role-policy", "--role-name", role_name, "--policy-name", "logs")
    assert inline["PolicyDocument"]["Statement"][0]["Resource"].endswith("log-group:web-prod:*")

    again = deploy(server, path, "--parameter-overrides", "Env=prod", "--no-fail-on-empty-changeset")
    assert "No changes to deploy" in again

    template = server.aws("cloudformation", "get-template", "--stack-name", "web")
    assert "Web fleet IAM" in template["TemplateBody"]
    events = server.aws("cloudformation", "describe-stack-events", "--stack-name", "web")["StackEvents"]
    assert events[0]["ResourceStatus"] == "UPDATE_COMPLETE" and events[0]["LogicalResourceId"] == "web"

    server.aws("cloudformation", "delete-stack", "--stack-name", "web")
    server.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "web")
    gone = server.aws("iam", "get-role", "--role-name", role_name, check=False)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr
    deleted = server.aws("cloudformation", "list-stacks", "--stack-status-filter", "DELETE_COMPLETE")["StackSummaries"]
    assert [s["StackName"] for s in deleted] == ["web"]


def test_aws_checks_capabilities_templates_and_parameters(server):
    cfn = server.client("cloudformation")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="caps", TemplateBody=WEB_TEMPLATE, Parameters=[{"ParameterKey": "Env", "ParameterValue": "dev"}])
    assert error_of(e) == ("InsufficientCapabilitiesException", 400, "Requires capabilities : [CAPABILITY_IAM]")
    named = "Resources:\n  U:\n    Type: AWS::IAM::User\n    Properties:\n      UserName: alice\n"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="caps", TemplateBody=named, Capabilities=["CAPABILITY_IAM"])
    assert error_of(e)[2] == "Requires capabilities : [CAPABILITY_NAMED_IAM]"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="bad", TemplateBody="Resources:\n  R:\n    Properties: {}\n")
    assert error_of(e) == ("ValidationError", 400, "Template format error: [/Resources/R] Every Resources object must contain a Type member.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="bad", TemplateBody='{"Resources": {"A": {"Type": "AWS::IAM::User", "DependsOn": "B"}, "B": {"Type": "AWS::IAM::User", "DependsOn": "A"}}}')
    assert error_of(e)[2] == "Template format error: Circular dependency between resources: [A, B]"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="params", TemplateBody=WEB_TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    assert error_of(e)[2] == "Parameters: [Env] must have values"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="params", TemplateBody=WEB_TEMPLATE, Capabilities=["CAPABILITY_IAM"], Parameters=[{"ParameterKey": "Env", "ParameterValue": "qa"}])
    assert error_of(e)[2] == "Parameter 'Env' must be one of AllowedValues"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.describe_stacks(StackName="nope")
    assert error_of(e) == ("ValidationError", 400, "Stack with id nope does not exist")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="under_score", TemplateBody=named)
    assert "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*" in error_of(e)[2]

    v = cfn.validate_template(TemplateBody=WEB_TEMPLATE)
    assert v["Capabilities"] == ["CAPABILITY_IAM"]
    assert "AWS::IAM::Role" in v["CapabilitiesReason"]
    assert {p["ParameterKey"]: p.get("NoEcho") for p in v["Parameters"]} == {"Env": False, "DbPassword": True}
    summary = cfn.get_template_summary(TemplateBody=WEB_TEMPLATE)
    assert "AWS::IAM::ManagedPolicy" in summary["ResourceTypes"]

    cfn.create_stack(StackName="alice", TemplateBody=named, Capabilities=["CAPABILITY_NAMED_IAM"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="alice", TemplateBody=named, Capabilities=["CAPABILITY_NAMED_IAM"])
    assert error_of(e) == ("AlreadyExistsException", 400, "Stack [alice] already exists")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.update_stack(StackName="alice", TemplateBody=named, Capabilities=["CAPABILITY_NAMED_IAM"])
    assert error_of(e)[2] == "No updates are to be performed."
    cfn.delete_stack(StackName="alice")
    cfn.delete_stack(StackName="alice")  # deleting what is gone is no error


def test_a_resource_type_xacct_does_not_emulate_rolls_the_stack_back(server):
    cfn = server.client("cloudformation")
    iam = server.client("iam")
    body = json.dumps({
        "Resources": {
            "Uploader": {"Type": "AWS::IAM::User", "Properties": {"UserName": "uploader"}},
            "Assets": {"Type": "AWS::SQS::Queue", "DependsOn": "Uploader"},
        }
    })
    cfn.create_stack(StackName="assets", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"])
    stack = cfn.describe_stacks(StackName="assets")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_user(UserName="uploader")
    assert error_of(e)[0] == "NoSuchEntity"
    events = cfn.describe_stack_events(StackName="assets")["StackEvents"]
    failed = [ev for ev in events if ev["ResourceStatus"] == "CREATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "Assets"
    assert failed[0]["ResourceStatusReason"] == "Resource type AWS::SQS::Queue is not emulated by xacct"
    statuses = [ev["ResourceStatus"] for ev in events if ev["LogicalResourceId"] == "assets"]
    assert statuses[:3] == ["ROLLBACK_COMPLETE", "ROLLBACK_IN_PROGRESS", "CREATE_IN_PROGRESS"]
    cfn.delete_stack(StackName="assets")


@pytest.fixture(scope="module")
def dev_account(tmp_root):
    s = make_server(tmp_root).start()
    proc = s.xacct("accounts", "create", "--id", DEV, "--name", "Development")
    creds = dict(l[len("export "):].split("=", 1) for l in proc.stdout.splitlines() if l.startswith("export "))
    yield s, creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"]
    s.stop()


def user_with_policy(s, root, name, statements):
    iam = s.client("iam", *root)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_every_resource_is_created_with_the_callers_own_permissions(dev_account):
    s, *root = dev_account
    body = "Resources:\n  Builders:\n    Type: AWS::IAM::Group\n  Ci:\n    Type: AWS::IAM::User\n    Properties:\n      Groups: [!Ref Builders]\n"

    reader = user_with_policy(s, root, "reader", [{"Effect": "Allow", "Action": "cloudformation:Describe*", "Resource": "*"}])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s.client("cloudformation", *reader).create_stack(StackName="ci", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    code, status, message = error_of(e)
    assert (code, status) == ("AccessDenied", 403)
    assert f"arn:aws:iam::{DEV}:user/reader is not authorized to perform: cloudformation:CreateStack on resource: arn:aws:cloudformation:us-east-1:{DEV}:stack/ci/*" in message

    # May create groups and users but not add users to groups: the stack rolls back.
    half = user_with_policy(s, root, "half", [
        {"Effect": "Allow", "Action": "cloudformation:*", "Resource": f"arn:aws:cloudformation:us-east-1:{DEV}:stack/ci/*"},
        {"Effect": "Allow", "Action": ["iam:CreateGroup", "iam:CreateUser", "iam:DeleteGroup", "iam:DeleteUser", "iam:List*"], "Resource": "*"},
    ])
    cfn = s.client("cloudformation", *half)
    cfn.create_stack(StackName="ci", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    assert cfn.describe_stacks(StackName="ci")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = [ev for ev in cfn.describe_stack_events(StackName="ci")["StackEvents"] if ev["ResourceStatus"] == "CREATE_FAILED"][0]["ResourceStatusReason"]
    assert "is not authorized to perform: iam:AddUserToGroup" in reason
    assert "(HandlerErrorCode: AccessDenied)" in reason
    iam = s.client("iam", *root)
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["half", "reader"]
    assert iam.list_groups()["Groups"] == []
    cfn.delete_stack(StackName="ci")


def test_a_service_role_needs_pass_role_and_must_trust_cloudformation(dev_account):
    s, *root = dev_account
    iam = s.client("iam", *root)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role_arn = iam.create_role(RoleName="cfn-deployer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="cfn-deployer", PolicyName="users", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:CreateUser", "iam:DeleteUser", "iam:List*"], "Resource": "*"}]}))
    ec2_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    ec2_arn = iam.create_role(RoleName="ec2-only", AssumeRolePolicyDocument=json.dumps(ec2_trust))["Role"]["Arn"]

    # Only CloudFormation: creating users needs the service role.
    operator = user_with_policy(s, root, "operator", [
        {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn, "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}},
    ])
    cfn = s.client("cloudformation", *operator)
    body = "Resources:\n  Bot:\n    Type: AWS::IAM::User\n"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cfn.create_stack(StackName="bots", TemplateBody=body, Capabilities=["CAPABILITY_IAM"], RoleARN=ec2_arn)
    code, status, message = error_of(e)
    assert (code, status) == ("AccessDenied", 403) and "iam:PassRole" in message

    cfn.create_stack(StackName="bots", TemplateBody=body, Capabilities=["CAPABILITY_IAM"], RoleARN=role_arn)
    stack = cfn.describe_stacks(StackName="bots")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["RoleARN"] == role_arn
    bot = cfn.describe_stack_resource(StackName="bots", LogicalResourceId="Bot")["StackResourceDetail"]["PhysicalResourceId"]
    assert iam.get_user(UserName=bot)["User"]["UserName"] == bot
    cfn.delete_stack(StackName="bots")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_user(UserName=bot)
    assert error_of(e)[0] == "NoSuchEntity"

    # A role that does not trust CloudFormation cannot be used, even by the account's root.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s.client("cloudformation", *root).create_stack(StackName="bots2", TemplateBody=body, Capabilities=["CAPABILITY_IAM"], RoleARN=ec2_arn)
    assert error_of(e) == ("ValidationError", 400, f"Role {ec2_arn} is invalid or cannot be assumed")
