"""CloudTrail through the real aws CLI and boto3: every authenticated call is an event, and
LookupEvents reads them back.

The 004 tutorial's story: David (Development, 111111111111) assumes UpdateApp in Production
(999999999999); the AssumeRole event appears in both accounts with one sharedEventID, and the
calls David makes with his session appear in Production as an AssumedRole with his session name.
Jane's AssumeRole is denied and appears with errorCode AccessDenied. Then each lookup attribute,
time ranges, paging, the secrets that never reach an event, trails, and durability.
"""

import datetime
import json

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import make_server
from test_sts import (
    ALLOW_ASSUME_UPDATE_APP,
    DENY_ASSUME_UPDATE_APP,
    DEV,
    PROD,
    TRUST_DEVELOPMENT,
    UPDATE_APP,
    create_account,
    error_of,
)

DEFAULT_EVENT_VERSION = "1.09"


def cloudtrail_events(client, **kwargs):
    """Every event LookupEvents returns for kwargs, following NextToken, parsed."""
    out = []
    for page in client.get_paginator("lookup_events").paginate(**kwargs):
        for e in page["Events"]:
            out.append((e, json.loads(e["CloudTrailEvent"])))
    return out


@pytest.fixture(scope="module")
def world(tmp_root):
    """Development with David (Developers) and Jane (Testers), Production with UpdateApp."""
    s = make_server(tmp_root).start()
    dev_key = create_account(s, DEV, "Development")
    prod_key = create_account(s, PROD, "Production")
    dev_iam = s.client("iam", *dev_key)
    prod_iam = s.client("iam", *prod_key)
    role = prod_iam.create_role(RoleName="UpdateApp", AssumeRolePolicyDocument=json.dumps(TRUST_DEVELOPMENT))["Role"]
    dev_iam.create_group(GroupName="Developers")
    dev_iam.create_group(GroupName="Testers")
    dev_iam.put_group_policy(GroupName="Developers", PolicyName="allow-assume-S3-role-in-production",
                             PolicyDocument=json.dumps(ALLOW_ASSUME_UPDATE_APP))
    dev_iam.put_group_policy(GroupName="Testers", PolicyName="deny-assume-S3-role-in-production",
                             PolicyDocument=json.dumps(DENY_ASSUME_UPDATE_APP))
    keys = {}
    for user, group in (("David", "Developers"), ("Jane", "Testers"), ("Bob", None)):
        dev_iam.create_user(UserName=user)
        if group:
            dev_iam.add_user_to_group(UserName=user, GroupName=group)
        k = dev_iam.create_access_key(UserName=user)["AccessKey"]
        keys[user] = (k["AccessKeyId"], k["SecretAccessKey"])
    yield {"s": s, "dev": dev_key, "prod": prod_key, "keys": keys, "role": role}
    s.stop()


def test_the_tutorial_assume_role_is_in_both_accounts_with_one_shared_event_id(world):
    s, keys = world["s"], world["keys"]
    # David switches to UpdateApp with the aws CLI, then works in Production with boto3.
    out = s.aws("sts", "assume-role", "--role-arn", UPDATE_APP, "--role-session-name", "David-ProdUpdate",
                key_id=keys["David"][0], secret=keys["David"][1])
    creds = out["Credentials"]
    session_sts = s.client("sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    session_sts.get_caller_identity()
    # Jane's Testers group denies it.
    denied = s.aws("sts", "assume-role", "--role-arn", UPDATE_APP, "--role-session-name", "Jane-ProdUpdate",
                   key_id=keys["Jane"][0], secret=keys["Jane"][1], check=False)
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr

    dev_ct = s.client("cloudtrail", *world["dev"])
    prod_ct = s.client("cloudtrail", *world["prod"])
    by_name = [{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}]
    dev_events = cloudtrail_events(dev_ct, LookupAttributes=by_name)
    prod_events = cloudtrail_events(prod_ct, LookupAttributes=by_name)

    davids = [ct for e, ct in dev_events if ct["userIdentity"].get("userName") == "David"]
    assert len(davids) == 1
    mine = davids[0]
    assert mine["eventVersion"] == DEFAULT_EVENT_VERSION
    assert mine["eventSource"] == "sts.amazonaws.com"
    assert mine["eventType"] == "AwsApiCall"
    assert mine["awsRegion"] == "us-east-1"
    assert mine["recipientAccountId"] == DEV
    assert mine["sourceIPAddress"] == "127.0.0.1"
    assert mine["userAgent"].startswith("aws-cli/")
    assert mine["userIdentity"]["type"] == "IAMUser"
    assert mine["userIdentity"]["arn"] == "arn:aws:iam::111111111111:user/David"
    assert mine["userIdentity"]["accessKeyId"] == keys["David"][0]
    assert mine["requestParameters"] == {"roleArn": UPDATE_APP, "roleSessionName": "David-ProdUpdate"}
    assert mine["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]
    assert "secretAccessKey" not in mine["responseElements"]["credentials"]
    assert mine["responseElements"]["assumedRoleUser"]["arn"] == \
        "arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate"
    shared = mine["sharedEventID"]
    theirs = [ct for e, ct in prod_events if ct.get("sharedEventID") == shared]
    assert len(theirs) == 1, "the same AssumeRole is in Production's log"
    assert theirs[0]["recipientAccountId"] == PROD
    assert theirs[0]["userIdentity"]["accountId"] == DEV
    assert theirs[0]["eventID"] != mine["eventID"]

    janes = [ct for e, ct in dev_events if ct["userIdentity"].get("userName") == "Jane"]
    assert len(janes) == 1
    assert janes[0]["errorCode"] == "AccessDenied"
    assert "explicit deny" in janes[0]["errorMessage"]
    assert janes[0]["responseElements"] is None
    assert any(ct.get("sharedEventID") == janes[0]["sharedEventID"] for e, ct in prod_events)

    # David's later calls are Production's events, as the assumed role with his session name.
    later = cloudtrail_events(prod_ct, LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "David-ProdUpdate"}])
    assert [e["EventName"] for e, ct in later] == ["GetCallerIdentity"]
    event, ct = later[0]
    assert event["AccessKeyId"] == creds["AccessKeyId"]
    identity = ct["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == "arn:aws:sts::999999999999:assumed-role/UpdateApp/David-ProdUpdate"
    assert identity["principalId"] == world["role"]["RoleId"] + ":David-ProdUpdate"
    issuer = identity["sessionContext"]["sessionIssuer"]
    assert issuer == {"type": "Role", "principalId": world["role"]["RoleId"], "arn": UPDATE_APP,
                      "accountId": PROD, "userName": "UpdateApp"}
    assert identity["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert ct["readOnly"] is True and ct["responseElements"] is None
    # Development's log does not hold Production's calls.
    assert not cloudtrail_events(dev_ct, LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "David-ProdUpdate"}])


def test_lookup_by_each_attribute(world):
    s = world["s"]
    iam = s.client("iam", *world["dev"])
    ct = s.client("cloudtrail", *world["dev"])
    iam.create_user(UserName="attr-user")
    iam.create_role(RoleName="attr-role", AssumeRolePolicyDocument=json.dumps(TRUST_DEVELOPMENT))
    iam.get_user(UserName="attr-user")

    def lookup(key, value):
        return cloudtrail_events(ct, LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])

    created = lookup("EventName", "CreateUser")
    newest, body = created[0]
    assert body["requestParameters"] == {"userName": "attr-user"}
    assert newest["Username"] == "root"
    assert newest["ReadOnly"] == "false"
    assert newest["EventSource"] == "iam.amazonaws.com"
    assert isinstance(newest["EventTime"], datetime.datetime)
    assert {"ResourceType": "AWS::IAM::User", "ResourceName": "attr-user"} in newest["Resources"]
    assert body["responseElements"]["user"]["userName"] == "attr-user"
    assert body["responseElements"]["user"]["arn"] == "arn:aws:iam::111111111111:user/attr-user"

    by_id = lookup("EventId", newest["EventId"])
    assert [e["EventId"] for e, _ in by_id] == [newest["EventId"]]
    assert all(b["readOnly"] for _, b in lookup("ReadOnly", "true"))
    assert all(not b["readOnly"] for _, b in lookup("ReadOnly", "false"))
    assert any(e["EventName"] == "GetUser" for e, _ in lookup("ReadOnly", "true"))
    assert {e["EventName"] for e, _ in lookup("ResourceName", "attr-user")} >= {"CreateUser", "GetUser"}
    roles = lookup("ResourceType", "AWS::IAM::Role")
    assert any(e["EventName"] == "CreateRole" for e, _ in roles)
    assert all(any(r["ResourceType"] == "AWS::IAM::Role" for r in e["Resources"]) for e, _ in roles)
    iam_events = lookup("EventSource", "iam.amazonaws.com")
    assert iam_events and all(b["eventSource"] == "iam.amazonaws.com" for _, b in iam_events)
    mine = lookup("AccessKeyId", world["dev"][0])
    assert mine and all(e["AccessKeyId"] == world["dev"][0] for e, _ in mine)
    davids = lookup("Username", "David")
    assert davids and all(b["userIdentity"].get("userName") == "David" for _, b in davids)

    # The aws CLI, the way the CloudTrail guide shows it.
    out = s.aws("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateRole",
                "--max-results", "5", key_id=world["dev"][0], secret=world["dev"][1])
    assert out["Events"][0]["EventName"] == "CreateRole"
    assert json.loads(out["Events"][0]["CloudTrailEvent"])["requestParameters"]["roleName"] == "attr-role"


def test_lookup_refuses_two_attributes_a_bad_range_and_a_foreign_token(world):
    ct = world["s"].client("cloudtrail", *world["dev"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"},
                                           {"AttributeKey": "ReadOnly", "AttributeValue": "false"}])
    assert error_of(e)[:2] == ("InvalidLookupAttributesException", 400)
    now = datetime.datetime.now(datetime.timezone.utc)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ct.lookup_events(StartTime=now, EndTime=now - datetime.timedelta(hours=1))
    assert error_of(e)[:2] == ("InvalidTimeRangeException", 400)
    page = ct.lookup_events(MaxResults=1)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ct.lookup_events(MaxResults=1, NextToken=page["NextToken"],
                         LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
    assert error_of(e)[:2] == ("InvalidNextTokenException", 400)


def test_time_range_and_paging_newest_first(world):
    s = world["s"]
    iam = s.client("iam", *world["dev"])
    ct = s.client("cloudtrail", *world["dev"])
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)
    for i in range(7):
        iam.create_group(GroupName=f"paging-{i}")
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    attr = [{"AttributeKey": "EventName", "AttributeValue": "CreateGroup"}]
    pages = []
    token = None
    while True:
        kwargs = {"LookupAttributes": attr, "MaxResults": 3, "StartTime": before, "EndTime": after}
        if token:
            kwargs["NextToken"] = token
        page = ct.lookup_events(**kwargs)
        pages.append(page["Events"])
        token = page.get("NextToken")
        if not token:
            break
    names = [json.loads(e["CloudTrailEvent"])["requestParameters"]["groupName"] for p in pages for e in p]
    # The window opens 2 s early: the fixture's own CreateGroup calls may fall inside it.
    names = [n for n in names if n.startswith("paging-")]
    assert names == [f"paging-{i}" for i in reversed(range(7))], "newest first, each once"
    assert all(len(p) <= 3 for p in pages)
    times = [e["EventTime"] for p in pages for e in p]
    assert times == sorted(times, reverse=True)
    # A window entirely in the past holds none of them.
    old = cloudtrail_events(ct, LookupAttributes=attr, EndTime=before - datetime.timedelta(hours=1))
    assert old == []


def test_secrets_never_reach_an_event(world):
    s = world["s"]
    iam = s.client("iam", *world["dev"])
    iam.create_user(UserName="secret-keeper")
    key = iam.create_access_key(UserName="secret-keeper")["AccessKey"]
    iam.create_login_profile(UserName="secret-keeper", Password="Corr3ct-Horse-Battery!")
    bodies = [e["CloudTrailEvent"] for e, _ in cloudtrail_events(s.client("cloudtrail", *world["dev"]))]
    assert bodies
    for body in bodies:
        assert key["SecretAccessKey"] not in body
        assert "Corr3ct-Horse" not in body
        for user_key in world["keys"].values():
            assert user_key[1] not in body
    ct = s.client("cloudtrail", *world["dev"])
    created = cloudtrail_events(ct, LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key["AccessKeyId"]}])
    body = created[0][1]
    assert body["eventName"] == "CreateAccessKey"
    assert body["responseElements"]["accessKey"]["accessKeyId"] == key["AccessKeyId"]
    assert "secretAccessKey" not in body["responseElements"]["accessKey"]
    login = cloudtrail_events(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateLoginProfile"}])
    assert login[0][1]["requestParameters"]["password"] == "HIDDEN_DUE_TO_SECURITY_REASONS"


def test_iam_events_are_us_east_1_events(world):
    s = world["s"]
    s.client("iam", *world["dev"]).create_user(UserName="regional")
    attr = [{"AttributeKey": "ResourceName", "AttributeValue": "regional"}]
    assert cloudtrail_events(s.client("cloudtrail", *world["dev"]), LookupAttributes=attr)
    eu = s.client("cloudtrail", *world["dev"], region="eu-west-1")
    assert cloudtrail_events(eu, LookupAttributes=attr) == []
    # STS calls signed for eu-west-1 went to that regional endpoint: they are eu-west-1 events.
    s.client("sts", *world["keys"]["Bob"], region="eu-west-1").get_caller_identity()
    regional = cloudtrail_events(eu, LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "Bob"}])
    assert [e["EventName"] for e, _ in regional] == ["GetCallerIdentity"]
    assert regional[0][1]["awsRegion"] == "eu-west-1"


def test_lookup_needs_permission_and_the_denial_is_an_event(world):
    s = world["s"]
    bob = s.client("cloudtrail", *world["keys"]["Bob"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bob.lookup_events()
    code, status, message = error_of(e)
    assert code == "AccessDeniedException"
    assert "cloudtrail:LookupEvents" in message
    seen = cloudtrail_events(s.client("cloudtrail", *world["dev"]),
                             LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "Bob"}])
    denied = [b for e, b in seen if b["eventName"] == "LookupEvents"]
    assert denied and denied[0]["errorCode"] == "AccessDeniedException"


def test_a_request_refused_at_decoding_is_an_event(world):
    s = world["s"]
    # boto3 would refuse the call itself: turn its own validation off so the server decides.
    client = boto3.session.Session(
        aws_access_key_id=world["dev"][0], aws_secret_access_key=world["dev"][1], region_name="us-east-1",
    ).client("iam", endpoint_url=s.endpoint,
             config=botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client.create_user()
    assert error_of(e)[0] == "ValidationError"
    seen = cloudtrail_events(s.client("cloudtrail", *world["dev"]),
                             LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
    assert seen[0][1]["errorCode"] == "ValidationError"
    assert seen[0][1]["userIdentity"]["accessKeyId"] == world["dev"][0]


def test_trails_with_the_aws_cli(world):
    s = world["s"]
    dev = dict(key_id=world["dev"][0], secret=world["dev"][1])
    missing = s.aws("cloudtrail", "create-trail", "--name", "org-audit", "--s3-bucket-name", "audit-logs",
                    check=False, **dev)
    assert missing.returncode != 0 and "S3BucketDoesNotExistException" in missing.stderr
    s.client("s3", *world["dev"]).create_bucket(Bucket="audit-logs")
    trail = s.aws("cloudtrail", "create-trail", "--name", "org-audit", "--s3-bucket-name", "audit-logs",
                  "--is-multi-region-trail", **dev)
    assert trail["TrailARN"] == "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-audit"
    assert trail["IsMultiRegionTrail"] is True and trail["IncludeGlobalServiceEvents"] is True
    s.aws("cloudtrail", "start-logging", "--name", "org-audit", **dev)
    status = s.aws("cloudtrail", "get-trail-status", "--name", "org-audit", **dev)
    assert status["IsLogging"] is True
    listed = s.aws("cloudtrail", "describe-trails", **dev)["trailList"]
    assert [t["Name"] for t in listed] == ["org-audit"]
    # A multi-region trail shows in every region, and changes only from its home region.
    eu = s.client("cloudtrail", *world["dev"], region="eu-west-1")
    assert [t["Name"] for t in eu.describe_trails()["trailList"]] == ["org-audit"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eu.stop_logging(Name=trail["TrailARN"])
    assert error_of(e)[0] == "InvalidHomeRegionException"
    bad = s.aws("cloudtrail", "create-trail", "--name=-bad", "--s3-bucket-name", "b", check=False, **dev)
    assert bad.returncode != 0 and "InvalidTrailNameException" in bad.stderr
    s.aws("cloudtrail", "delete-trail", "--name", "org-audit", **dev)
    assert s.aws("cloudtrail", "list-trails", **dev)["Trails"] == []
    ct = s.client("cloudtrail", *world["dev"])
    events = cloudtrail_events(ct, LookupAttributes=[{"AttributeKey": "ResourceType", "AttributeValue": "AWS::CloudTrail::Trail"}])
    assert {"CreateTrail", "StartLogging", "DeleteTrail"} <= {e["EventName"] for e, _ in events}


def test_mock_mode_records_events_too(mock_server):
    s = mock_server
    sts = s.client("sts", "123456789012", "anything")
    sts.get_caller_identity()
    ct = s.client("cloudtrail", "123456789012", "anything")
    seen = cloudtrail_events(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
    assert seen and seen[0][1]["userIdentity"]["type"] == "Root"
    assert seen[0][1]["recipientAccountId"] == "123456789012"


def test_events_survive_kill_9_and_a_graceful_stop(fresh_server):
    s = fresh_server.start()
    iam = s.client("iam")
    iam.create_user(UserName="durable")
    s.kill9()
    s.start()
    ct = s.client("cloudtrail")
    created = cloudtrail_events(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
    assert [b["requestParameters"]["userName"] for _, b in created] == ["durable"], \
        "the change and its event were committed together"
    # Events of calls that changed nothing are batched; a graceful stop writes them.
    s.client("sts").get_caller_identity()
    s.stop()
    s.start()
    who = cloudtrail_events(s.client("cloudtrail"), LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}])
    assert len(who) == 1
