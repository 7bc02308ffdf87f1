"""Organizations account lifecycle and organization settings through boto3: CreateAccount's
answer, tags on every kind of resource, closing, removing and leaving accounts, deleting the
organization, trusted access, delegated administrators, effective management policies, the
resource policy, and IAM policies that name Organizations resources.
"""

import json

import botocore.exceptions
import pytest

from conftest import create_account

DEV = "111111111111"
PROD = "999999999999"
MGMT = "000000000000"


def expect(call, code):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    err = e.value.response["Error"]
    assert err["Code"] == code, f"{err['Code']}: {err.get('Message')}"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return e.value.response


@pytest.fixture()
def org_world(fresh_server):
    s = fresh_server.start()
    dev_key = create_account(s, DEV, "Development")
    org = s.client("organizations")
    return s, org, dev_key


def test_create_account_answers_succeeded_with_the_account(org_world):
    _, org, _ = org_world
    status = org.create_account(AccountName="Staging", Email="staging@example.com")["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED"
    assert len(status["AccountId"]) == 12 and "CompletedTimestamp" in status
    listed = org.list_create_account_status(States=["SUCCEEDED"])["CreateAccountStatuses"]
    assert status["Id"] in [s["Id"] for s in listed]
    assert org.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"] == []
    accounts = [a["Id"] for a in org.list_accounts()["Accounts"]]
    assert accounts == [MGMT, DEV, status["AccountId"]], "listed in the order they joined"


def test_tags_on_accounts_roots_ous_and_policies(org_world):
    _, org, _ = org_world
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="Workloads",
                                        Tags=[{"Key": "tier", "Value": "1"}])["OrganizationalUnit"]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="TAG_POLICY")
    policy = org.create_policy(Content=json.dumps({"tags": {}}), Description="d", Name="Tags",
                               Type="TAG_POLICY")["Policy"]["PolicySummary"]["Id"]
    assert org.list_tags_for_resource(ResourceId=ou)["Tags"] == [{"Key": "tier", "Value": "1"}]
    for resource in (DEV, root, ou, policy):
        org.tag_resource(ResourceId=resource, Tags=[{"Key": "team", "Value": "a"}])
        org.tag_resource(ResourceId=resource, Tags=[{"Key": "team", "Value": "b"}])
        assert {"Key": "team", "Value": "b"} in org.list_tags_for_resource(ResourceId=resource)["Tags"]
        org.untag_resource(ResourceId=resource, TagKeys=["team", "absent"])
        assert {"Key": "team", "Value": "b"} not in org.list_tags_for_resource(ResourceId=resource)["Tags"]
    bad = expect(lambda: org.tag_resource(ResourceId="0A000000X000", Tags=[{"Key": "k", "Value": "v"}]),
                 "InvalidInputException")
    assert bad["Reason"] == "INVALID_PATTERN"
    assert bad["Error"]["Message"] == "You provided a value that does not match the required pattern."
    missing = expect(lambda: org.list_tags_for_resource(ResourceId="123412341234"), "TargetNotFoundException")
    assert missing["Error"]["Message"] == "You specified a target that doesn't exist."
    system = expect(lambda: org.tag_resource(ResourceId=DEV, Tags=[{"Key": "aws:x", "Value": "v"}]),
                    "InvalidInputException")
    assert system["Reason"] == "INVALID_SYSTEM_TAGS_PARAMETER"


def test_close_account_suspends_it(org_world):
    _, org, _ = org_world
    org.close_account(AccountId=DEV)
    account = org.describe_account(AccountId=DEV)["Account"]
    assert account["Status"] == "SUSPENDED"
    closed = expect(lambda: org.close_account(AccountId=DEV), "AccountAlreadyClosedException")
    assert closed["Error"]["Message"] == "The provided account is already closed."
    missing = expect(lambda: org.close_account(AccountId=PROD), "AccountNotFoundException")
    assert missing["Error"]["Message"] == "You specified an account that doesn't exist."
    mgmt = expect(lambda: org.close_account(AccountId=MGMT), "ConstraintViolationException")
    assert mgmt["Reason"] == "CANNOT_CLOSE_MANAGEMENT_ACCOUNT"


def test_remove_leave_and_delete_the_organization(org_world):
    s, org, dev_key = org_world
    prod_key = create_account(s, PROD, "Production")
    expect(lambda: org.delete_organization(), "OrganizationNotEmptyException")
    expect(lambda: org.remove_account_from_organization(AccountId=MGMT), "MasterCannotLeaveOrganizationException")
    org.remove_account_from_organization(AccountId=DEV)
    assert [a["Id"] for a in org.list_accounts()["Accounts"]] == [MGMT, PROD]
    dev_org = s.client("organizations", key_id=dev_key[0], secret=dev_key[1])
    expect(lambda: dev_org.describe_organization(), "AWSOrganizationsNotInUseException")
    # The removed account keeps working as a standalone account.
    assert s.client("sts", key_id=dev_key[0], secret=dev_key[1]).get_caller_identity()["Account"] == DEV

    prod_org = s.client("organizations", key_id=prod_key[0], secret=prod_key[1])
    assert prod_org.describe_organization()["Organization"]["MasterAccountId"] == MGMT
    prod_org.leave_organization()
    expect(lambda: prod_org.describe_organization(), "AWSOrganizationsNotInUseException")
    expect(lambda: org.leave_organization(), "MasterCannotLeaveOrganizationException")

    org.delete_organization()
    expect(lambda: org.describe_organization(), "AWSOrganizationsNotInUseException")


def test_trusted_access_and_delegated_administrators(org_world):
    s, org, dev_key = org_world
    org.enable_aws_service_access(ServicePrincipal="config.amazonaws.com")
    enabled = org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [e["ServicePrincipal"] for e in enabled] == ["config.amazonaws.com"]
    unknown = expect(lambda: org.enable_aws_service_access(ServicePrincipal="nope.amazonaws.com"),
                     "InvalidInputException")
    assert unknown["Error"]["Message"] == "You specified an unrecognized service principal."

    org.register_delegated_administrator(AccountId=DEV, ServicePrincipal="ssm.amazonaws.com")
    expect(lambda: org.register_delegated_administrator(AccountId=DEV, ServicePrincipal="ssm.amazonaws.com"),
           "AccountAlreadyRegisteredException")
    expect(lambda: org.register_delegated_administrator(AccountId=MGMT, ServicePrincipal="ssm.amazonaws.com"),
           "ConstraintViolationException")
    admins = org.list_delegated_administrators(ServicePrincipal="ssm.amazonaws.com")["DelegatedAdministrators"]
    assert [(a["Id"], a["Status"], a["JoinedMethod"]) for a in admins] == [(DEV, "ACTIVE", "CREATED")]
    assert "DelegationEnabledDate" in admins[0]
    services = org.list_delegated_services_for_account(AccountId=DEV)["DelegatedServices"]
    assert [x["ServicePrincipal"] for x in services] == ["ssm.amazonaws.com"]
    # The delegated administrator reads them too.
    dev_org = s.client("organizations", key_id=dev_key[0], secret=dev_key[1])
    assert [a["Id"] for a in dev_org.list_delegated_administrators()["DelegatedAdministrators"]] == [DEV]

    expect(lambda: org.remove_account_from_organization(AccountId=DEV), "ConstraintViolationException")
    org.deregister_delegated_administrator(AccountId=DEV, ServicePrincipal="ssm.amazonaws.com")
    expect(lambda: org.deregister_delegated_administrator(AccountId=DEV, ServicePrincipal="ssm.amazonaws.com"),
           "AccountNotRegisteredException")
    assert org.list_delegated_administrators()["DelegatedAdministrators"] == []


def test_effective_tag_policy_and_resource_policy(org_world):
    _, org, _ = org_world
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="TAG_POLICY")
    content = {"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"},
                                       "tag_value": {"@@assign": ["100", "200"]}}}}
    policy = org.create_policy(Content=json.dumps(content), Description="d", Name="CostCenter",
                               Type="TAG_POLICY")["Policy"]["PolicySummary"]["Id"]
    expect(lambda: org.describe_effective_policy(PolicyType="TAG_POLICY", TargetId=DEV),
           "EffectivePolicyNotFoundException")
    org.attach_policy(PolicyId=policy, TargetId=root)
    effective = org.describe_effective_policy(PolicyType="TAG_POLICY", TargetId=DEV)["EffectivePolicy"]
    assert json.loads(effective["PolicyContent"]) == {
        "tags": {"costcenter": {"tag_key": "CostCenter", "tag_value": ["100", "200"]}}
    }
    assert effective["TargetId"] == DEV

    expect(lambda: org.describe_resource_policy(), "ResourcePolicyNotFoundException")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"},
        "Action": "organizations:DescribeOrganization", "Resource": "*"}]})
    put = org.put_resource_policy(Content=doc)["ResourcePolicy"]
    assert put["ResourcePolicySummary"]["Id"].startswith("rp-")
    assert org.describe_resource_policy()["ResourcePolicy"]["Content"] == doc
    org.delete_resource_policy()
    expect(lambda: org.delete_resource_policy(), "ResourcePolicyNotFoundException")


def test_iam_policies_name_organizations_resources(org_world):
    s, org, _ = org_world
    create_account(s, PROD, "Production")
    arn_of_dev = org.describe_account(AccountId=DEV)["Account"]["Arn"]
    iam = s.client("iam")
    iam.create_user(UserName="tagger")
    iam.put_user_policy(UserName="tagger", PolicyName="TagDevOnly", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "organizations:TagResource", "Resource": arn_of_dev,
                       "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}],
    }))
    key = iam.create_access_key(UserName="tagger")["AccessKey"]
    tagger = s.client("organizations", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    tagger.tag_resource(ResourceId=DEV, Tags=[{"Key": "team", "Value": "a"}])
    expect(lambda: tagger.tag_resource(ResourceId=PROD, Tags=[{"Key": "team", "Value": "a"}]),
           "AccessDeniedException")
    expect(lambda: tagger.tag_resource(ResourceId=DEV, Tags=[{"Key": "owner", "Value": "a"}]),
           "AccessDeniedException")
    assert org.list_tags_for_resource(ResourceId=DEV)["Tags"] == [{"Key": "team", "Value": "a"}]
    assert org.list_tags_for_resource(ResourceId=PROD)["Tags"] == []


def test_invitation_handshake_brings_a_removed_account_back(org_world):
    s, org, dev_key = org_world
    org.remove_account_from_organization(AccountId=DEV)
    handshake = org.invite_account_to_organization(Target={"Id": DEV, "Type": "ACCOUNT"}, Notes="back")["Handshake"]
    assert handshake["State"] == "OPEN" and handshake["Action"] == "INVITE"
    expect(lambda: org.invite_account_to_organization(Target={"Id": DEV, "Type": "ACCOUNT"}),
           "DuplicateHandshakeException")
    dev_org = s.client("organizations", key_id=dev_key[0], secret=dev_key[1])
    assert [h["Id"] for h in dev_org.list_handshakes_for_account()["Handshakes"]] == [handshake["Id"]]
    accepted = dev_org.accept_handshake(HandshakeId=handshake["Id"])["Handshake"]
    assert accepted["State"] == "ACCEPTED"
    assert org.describe_account(AccountId=DEV)["Account"]["JoinedMethod"] == "INVITED"
    assert dev_org.describe_organization()["Organization"]["MasterAccountId"] == MGMT
    expect(lambda: org.cancel_handshake(HandshakeId=handshake["Id"]), "InvalidHandshakeTransitionException")
