"""Organizations OUs and service control policies through boto3, as a management account sets
up guardrails: enable SCPs, put the Development account (111111111111) in an OU, attach a Deny
SCP to the OU, and watch the Development root user lose exactly what the SCP denies.
"""

import json

import botocore.exceptions
import pytest

from conftest import create_account

DEV = "111111111111"
PROD = "999999999999"
MGMT = "000000000000"
SCP = "SERVICE_CONTROL_POLICY"
FULL_AWS_ACCESS = "p-FullAWSAccess"

DENY_IAM_USERS = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "NoIamUsers", "Effect": "Deny", "Action": ["iam:CreateUser", "iam:DeleteUser"], "Resource": "*"}],
})


def error_of(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message", "")


def expect(call, code):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    got, status, message = error_of(e)
    assert got == code, f"{got}: {message}"
    assert status == 400
    return e.value.response


@pytest.fixture()
def org_world(fresh_server):
    s = fresh_server.start()
    dev_key = create_account(s, DEV, "Development")
    org = s.client("organizations")
    root = org.list_roots()["Roots"][0]
    # An organization with all features starts with SCPs enabled (CreateOrganization's
    # reference); these tests walk through enabling them, so they start from disabled.
    assert root["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    org.disable_policy_type(RootId=root["Id"], PolicyType=SCP)
    root = org.list_roots()["Roots"][0]
    return s, org, root, dev_key


def test_enable_scps_build_the_tree_and_attach_a_deny_scp(org_world):
    s, org, root, _ = org_world
    root_id = root["Id"]
    assert root["Name"] == "Root" and root["PolicyTypes"] == []
    assert root["Arn"].startswith(f"arn:aws:organizations::{MGMT}:root/o-")

    enabled = org.enable_policy_type(RootId=root_id, PolicyType=SCP)["Root"]
    assert enabled["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    for target in (root_id, MGMT, DEV):
        attached = org.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]
        assert [p["Id"] for p in attached] == [FULL_AWS_ACCESS], target

    ou = org.create_organizational_unit(ParentId=root_id, Name="Development")["OrganizationalUnit"]
    assert ou["Id"].startswith("ou-" + root_id[2:] + "-")
    assert ou["Arn"].endswith("/" + ou["Id"]) and ":ou/o-" in ou["Arn"]
    assert [p["Id"] for p in org.list_policies_for_target(TargetId=ou["Id"], Filter=SCP)["Policies"]] == [FULL_AWS_ACCESS]

    org.move_account(AccountId=DEV, SourceParentId=root_id, DestinationParentId=ou["Id"])
    assert org.list_parents(ChildId=DEV)["Parents"] == [{"Id": ou["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert [a["Id"] for a in org.list_accounts_for_parent(ParentId=ou["Id"])["Accounts"]] == [DEV]
    children = org.list_children(ParentId=root_id, ChildType="ACCOUNT")["Children"]
    assert children == [{"Id": MGMT, "Type": "ACCOUNT"}]
    assert org.list_children(ParentId=root_id, ChildType="ORGANIZATIONAL_UNIT")["Children"] == [
        {"Id": ou["Id"], "Type": "ORGANIZATIONAL_UNIT"}
    ]

    policy = org.create_policy(Content=DENY_IAM_USERS, Description="No IAM users in Development",
                               Name="DenyIamUsers", Type=SCP)["Policy"]
    summary = policy["PolicySummary"]
    assert summary["Id"].startswith("p-") and summary["AwsManaged"] is False
    assert summary["Arn"].endswith("/service_control_policy/" + summary["Id"])
    assert json.loads(policy["Content"]) == json.loads(DENY_IAM_USERS)
    org.attach_policy(PolicyId=summary["Id"], TargetId=ou["Id"])

    targets = org.list_targets_for_policy(PolicyId=summary["Id"])["Targets"]
    assert targets == [{"TargetId": ou["Id"], "Arn": ou["Arn"], "Name": "Development", "Type": "ORGANIZATIONAL_UNIT"}]
    on_ou = {p["Id"] for p in org.list_policies_for_target(TargetId=ou["Id"], Filter=SCP)["Policies"]}
    assert on_ou == {FULL_AWS_ACCESS, summary["Id"]}
    listed = {p["Id"]: p for p in org.list_policies(Filter=SCP)["Policies"]}
    assert set(listed) == {FULL_AWS_ACCESS, summary["Id"]}
    assert listed[FULL_AWS_ACCESS]["AwsManaged"] is True
    full_targets = {t["TargetId"] for t in org.list_targets_for_policy(PolicyId=FULL_AWS_ACCESS)["Targets"]}
    assert full_targets == {root_id, ou["Id"], MGMT, DEV}

    described = org.describe_policy(PolicyId=summary["Id"])["Policy"]
    assert described["PolicySummary"]["Name"] == "DenyIamUsers"
    renamed = org.update_policy(PolicyId=summary["Id"], Name="DenyIamUserChanges")["Policy"]
    assert renamed["PolicySummary"]["Name"] == "DenyIamUserChanges"


def test_organizations_errors(org_world):
    s, org, root, dev_key = org_world
    root_id = root["Id"]
    ou = org.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]["Id"]
    expect(lambda: org.create_organizational_unit(ParentId=root_id, Name="Workloads"), "DuplicateOrganizationalUnitException")
    missing_ou = "ou-" + root_id[2:] + "-zzzzzzzz"
    expect(lambda: org.create_organizational_unit(ParentId=missing_ou, Name="X"), "ParentNotFoundException")
    expect(lambda: org.describe_organizational_unit(OrganizationalUnitId=missing_ou), "OrganizationalUnitNotFoundException")
    expect(lambda: org.list_parents(ChildId="222222222222"), "ChildNotFoundException")
    expect(lambda: org.move_account(AccountId=DEV, SourceParentId=missing_ou, DestinationParentId=ou), "SourceParentNotFoundException")
    expect(lambda: org.move_account(AccountId=DEV, SourceParentId=root_id, DestinationParentId=missing_ou), "DestinationParentNotFoundException")
    expect(lambda: org.move_account(AccountId=DEV, SourceParentId=root_id, DestinationParentId=root_id), "DuplicateAccountException")
    expect(lambda: org.move_account(AccountId="222222222222", SourceParentId=root_id, DestinationParentId=ou), "AccountNotFoundException")

    deny = org.create_policy(Content=DENY_IAM_USERS, Description="", Name="DenyIamUsers", Type=SCP)["Policy"]["PolicySummary"]["Id"]
    expect(lambda: org.attach_policy(PolicyId=deny, TargetId=ou), "PolicyTypeNotEnabledException")
    org.enable_policy_type(RootId=root_id, PolicyType=SCP)
    expect(lambda: org.enable_policy_type(RootId=root_id, PolicyType=SCP), "PolicyTypeAlreadyEnabledException")
    expect(lambda: org.enable_policy_type(RootId="r-zzzz", PolicyType=SCP), "RootNotFoundException")
    org.attach_policy(PolicyId=deny, TargetId=ou)
    expect(lambda: org.attach_policy(PolicyId=deny, TargetId=ou), "DuplicatePolicyAttachmentException")
    expect(lambda: org.attach_policy(PolicyId=deny, TargetId=missing_ou), "TargetNotFoundException")
    expect(lambda: org.delete_policy(PolicyId=deny), "PolicyInUseException")
    expect(lambda: org.create_policy(Content=DENY_IAM_USERS, Description="", Name="DenyIamUsers", Type=SCP),
           "DuplicatePolicyException")
    bad = expect(lambda: org.create_policy(Content='{"Version":"2012-10-17","Statement":[]', Description="",
                                           Name="Broken", Type=SCP), "MalformedPolicyDocumentException")
    assert bad["Error"]["Message"]
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "A" * 5200, "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})
    too_big = expect(lambda: org.create_policy(Content=big, Description="", Name="Big", Type=SCP), "ConstraintViolationException")
    assert too_big["Reason"] == "POLICY_CONTENT_LIMIT_EXCEEDED"
    last = expect(lambda: org.detach_policy(PolicyId=FULL_AWS_ACCESS, TargetId=DEV), "ConstraintViolationException")
    assert last["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    org.detach_policy(PolicyId=deny, TargetId=ou)
    expect(lambda: org.detach_policy(PolicyId=deny, TargetId=ou), "PolicyNotAttachedException")
    org.delete_policy(PolicyId=deny)
    expect(lambda: org.describe_policy(PolicyId=deny), "PolicyNotFoundException")
    org.create_organizational_unit(ParentId=ou, Name="Child")
    expect(lambda: org.delete_organizational_unit(OrganizationalUnitId=ou), "OrganizationalUnitNotEmptyException")
    bad_input = expect(lambda: org.list_policies(Filter="SERVICE_CONTROL_POLICY", MaxResults=21), "InvalidInputException")
    assert bad_input["Reason"] == "MAX_VALUE_EXCEEDED"

    # Only the management account manages the organization.
    member = s.client("organizations", key_id=dev_key[0], secret=dev_key[1])
    expect(lambda: member.list_roots(), "AccessDeniedException")
    expect(lambda: member.create_policy(Content=DENY_IAM_USERS, Description="", Name="Mine", Type=SCP), "AccessDeniedException")


def test_children_page_through_boto3_paginators(org_world):
    s, org, root, _ = org_world
    for name in ("A", "B", "C", "D", "E"):
        org.create_organizational_unit(ParentId=root["Id"], Name=name)
    first = org.list_children(ParentId=root["Id"], ChildType="ORGANIZATIONAL_UNIT", MaxResults=2)
    assert len(first["Children"]) == 2 and "NextToken" in first
    pages = org.get_paginator("list_organizational_units_for_parent").paginate(
        ParentId=root["Id"], PaginationConfig={"PageSize": 2})
    names = sorted(ou["Name"] for page in pages for ou in page["OrganizationalUnits"])
    assert names == ["A", "B", "C", "D", "E"]


def test_a_deny_scp_on_the_ou_binds_the_member_root_user(org_world):
    s, org, root, dev_key = org_world
    root_id = root["Id"]
    dev_iam = s.client("iam", key_id=dev_key[0], secret=dev_key[1])
    dev_iam.create_user(UserName="Before")

    org.enable_policy_type(RootId=root_id, PolicyType=SCP)
    # FullAWSAccess everywhere changes nothing.
    dev_iam.create_user(UserName="David")
    ou = org.create_organizational_unit(ParentId=root_id, Name="Development")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=DEV, SourceParentId=root_id, DestinationParentId=ou)
    deny = org.create_policy(Content=DENY_IAM_USERS, Description="", Name="DenyIamUsers", Type=SCP)["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=deny, TargetId=ou)

    with pytest.raises(botocore.exceptions.ClientError) as e:
        dev_iam.create_user(UserName="Jane")
    code, status, message = error_of(e)
    assert (code, status) == ("AccessDenied", 403), message
    assert "service control policy" in message, message
    # What the SCP does not deny still works.
    names = {u["UserName"] for u in dev_iam.list_users()["Users"]}
    assert names == {"Before", "David"}
    # The management account is never bound by SCPs.
    s.client("iam").create_user(UserName="Admin")

    # Moving the account out of the OU lifts the deny.
    org.move_account(AccountId=DEV, SourceParentId=ou, DestinationParentId=root_id)
    dev_iam.create_user(UserName="Jane")
