"""The server core through real clients: identity, SigV4 failures, accounts, durability, bad input."""

import datetime
import json
import os
import socket
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import pytest

from conftest import MANAGEMENT_ACCOUNT, ROOT_KEY_ID, ROOT_SECRET


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_health_reports_version_store_and_uptime(server):
    with urllib.request.urlopen(server.endpoint + "/_xacct/health") as r:
        body = json.load(r)
    assert body["status"] == "ok"
    assert body["version"]
    assert body["store"].startswith("sqlite:")
    assert isinstance(body["uptime_seconds"], int)


def test_cli_get_caller_identity_as_management_root(server):
    out = server.aws("sts", "get-caller-identity")
    assert out == {"UserId": MANAGEMENT_ACCOUNT, "Account": MANAGEMENT_ACCOUNT, "Arn": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root"}


def test_cli_wrong_secret_is_signature_does_not_match(server):
    proc = server.aws("sts", "get-caller-identity", secret="not-the-secret", check=False)
    assert proc.returncode != 0
    assert "SignatureDoesNotMatch" in proc.stderr


def test_cli_unknown_key_is_invalid_client_token_id(server):
    proc = server.aws("sts", "get-caller-identity", key_id="AKIAUNKNOWNUNKNOWN00", check=False)
    assert proc.returncode != 0
    assert "InvalidClientTokenId" in proc.stderr


@pytest.mark.parametrize("minutes", [-20, 20])
def test_request_signed_20_minutes_off_is_rejected(server, monkeypatch, minutes):
    skewed = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(minutes=minutes)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    sts = server.client("sts")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_caller_identity()
    assert error_code(e) == "SignatureDoesNotMatch"
    assert "Signature expired" in e.value.response["Error"]["Message"] or "Signature not yet current" in e.value.response["Error"]["Message"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_request_signed_10_minutes_ago_is_accepted(server, monkeypatch):
    skewed = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=10)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    assert server.client("sts").get_caller_identity()["Account"] == MANAGEMENT_ACCOUNT


def test_unsigned_request_is_missing_authentication_token(server):
    req = urllib.request.Request(server.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 403
    body = e.value.read().decode()
    assert "<Code>MissingAuthenticationToken</Code>" in body


def test_presigned_get_caller_identity(server):
    sts = server.client("sts")
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60)
    # botocore presigns query-protocol operations for POST (it signs the method it would use).
    with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST")) as r:
        body = r.read().decode()
    assert f"<Arn>arn:aws:iam::{MANAGEMENT_ACCOUNT}:root</Arn>" in body


def test_organizations_flow_with_boto3(fresh_server):
    s = fresh_server.start()
    org = s.client("organizations")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        org.describe_organization()
    assert error_code(e) == "AWSOrganizationsNotInUseException"
    created = org.create_organization(FeatureSet="ALL")["Organization"]
    assert created["MasterAccountId"] == MANAGEMENT_ACCOUNT
    assert created["Id"].startswith("o-")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        org.create_organization()
    assert error_code(e) == "AlreadyInOrganizationException"
    status = org.create_account(Email="dev@example.com", AccountName="Development")["CreateAccountStatus"]
    # xacct creates the account within the request, so CreateAccount already answers the
    # request's true state (AWS usually answers IN_PROGRESS and completes it later).
    assert status["State"] == "SUCCEEDED" and status["AccountId"]
    assert status["Id"].startswith("car-")
    done = org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert done["State"] == "SUCCEEDED"
    account_id = done["AccountId"]
    assert len(account_id) == 12 and account_id.isdigit()
    described = org.describe_account(AccountId=account_id)["Account"]
    assert described["Name"] == "Development" and described["JoinedMethod"] == "CREATED"
    ids = [a["Id"] for a in org.list_accounts()["Accounts"]]
    assert set(ids) == {MANAGEMENT_ACCOUNT, account_id}
    page = org.list_accounts(MaxResults=1)
    assert len(page["Accounts"]) == 1 and "NextToken" in page
    rest = org.list_accounts(NextToken=page["NextToken"])
    # Accounts are listed in the order they joined: the management account first.
    assert [a["Id"] for a in page["Accounts"] + rest["Accounts"]] == [MANAGEMENT_ACCOUNT, account_id]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        org.describe_account(AccountId="123456789012")
    assert error_code(e) == "AccountNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        org.describe_create_account_status(CreateAccountRequestId="car-0000000000000000")
    assert error_code(e) == "CreateAccountStatusNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        org.create_account(Email="not-an-email", AccountName="X")
    assert error_code(e) == "InvalidInputException"
    assert e.value.response["Reason"] == "INVALID_PATTERN"
    assert len(org.list_accounts()["Accounts"]) == 2


def test_accounts_create_prints_exports_and_member_cannot_manage(fresh_server):
    s = fresh_server.start()
    proc = s.xacct("accounts", "create", "--id", "111111111111", "--name", "Development")
    lines = [l for l in proc.stdout.splitlines() if l.startswith("export ")]
    assert len(lines) == 2
    creds = dict(l[len("export "):].split("=", 1) for l in lines)
    assert creds["AWS_ACCESS_KEY_ID"].startswith("AKIA")
    out = s.aws("sts", "get-caller-identity", key_id=creds["AWS_ACCESS_KEY_ID"], secret=creds["AWS_SECRET_ACCESS_KEY"])
    assert out["Arn"] == "arn:aws:iam::111111111111:root"
    member = s.client("organizations", creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"])
    assert member.describe_organization()["Organization"]["MasterAccountId"] == MANAGEMENT_ACCOUNT
    with pytest.raises(botocore.exceptions.ClientError) as e:
        member.create_account(Email="x@example.com", AccountName="Nope")
    assert error_code(e) == "AccessDeniedException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        member.list_accounts()
    assert error_code(e) == "AccessDeniedException"
    dup = s.xacct("accounts", "create", "--id", "111111111111", "--name", "Again", check=False)
    assert dup.returncode != 0 and "DuplicateAccountException" in dup.stderr
    listed = s.xacct("accounts", "list").stdout
    assert "111111111111" in listed and "Development" in listed


def test_accounts_create_writes_a_cli_profile(fresh_server):
    s = fresh_server.start()
    s.xacct("accounts", "create", "--id", "999999999999", "--name", "Production", "--profile", "production")
    env = s.client_env()
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(k)
    env["AWS_PROFILE"] = "production"
    out = s.aws("sts", "get-caller-identity", env=env)
    assert out["Account"] == "999999999999"


def test_kill_9_after_accounts_create_keeps_account_and_credentials(fresh_server):
    s = fresh_server.start()
    proc = s.xacct("accounts", "create", "--id", "222222222222", "--name", "Durable")
    creds = dict(l[len("export "):].split("=", 1) for l in proc.stdout.splitlines() if l.startswith("export "))
    s.kill9()
    s.start()
    out = s.aws("sts", "get-caller-identity", key_id=creds["AWS_ACCESS_KEY_ID"], secret=creds["AWS_SECRET_ACCESS_KEY"])
    assert out["Account"] == "222222222222"
    assert "222222222222" in s.xacct("accounts", "list").stdout


def test_generated_root_credentials_are_written_once_with_mode_0600(fresh_server):
    s = fresh_server
    del s.env["XACCT_ROOT_ACCESS_KEY_ID"]
    del s.env["XACCT_ROOT_SECRET_ACCESS_KEY"]
    s.start()
    path = os.path.join(s.data_dir, "root-credentials")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    values = dict(l.split("=", 1) for l in open(path).read().splitlines() if "=" in l and not l.startswith("#"))
    out = s.aws("sts", "get-caller-identity", key_id=values["AWS_ACCESS_KEY_ID"], secret=values["AWS_SECRET_ACCESS_KEY"])
    assert out["Arn"] == f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root"
    s.stop()
    s.start()
    again = dict(l.split("=", 1) for l in open(path).read().splitlines() if "=" in l and not l.startswith("#"))
    assert again == values
    assert "root credentials" not in s.log().split("xacct serving")[-1]


def raw_http(server, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as c:
        c.sendall(data)
        chunks = []
        while True:
            b = c.recv(65536)
            if not b:
                break
            chunks.append(b)
            if b"\r\n\r\n" in b"".join(chunks) and len(b"".join(chunks)) > 0:
                head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")]
                if length and len(body) >= length[0]:
                    break
        return b"".join(chunks)


def test_malformed_http_gets_a_4xx_and_server_survives(server):
    resp = raw_http(server, b"THIS IS NOT HTTP\r\n\r\n")
    assert resp.startswith(b"HTTP/1.1 4"), resp[:80]
    assert server.aws("sts", "get-caller-identity")["Account"] == MANAGEMENT_ACCOUNT


def test_unknown_query_action_is_invalid_action(server):
    status, body = signed(server, "sts", "Action=NoSuchThing&Version=2011-06-15",
                          {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert status == 400
    assert "<Code>InvalidAction</Code>" in body


def test_unknown_json_target_is_unknown_operation(server):
    status, body = signed(server, "organizations", "{}",
                          {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSOrganizationsV20161128.NoSuchThing"})
    assert status == 400
    assert json.loads(body)["__type"].endswith("UnknownOperationException")


def test_broken_bodies_are_rejected_and_change_nothing(fresh_server):
    s = fresh_server.start()
    org = s.client("organizations")
    org.create_organization()
    before = org.list_accounts()["Accounts"]
    target = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSOrganizationsV20161128.CreateAccount"}
    for body in ['{"Email": "a@example.com", "AccountName": ', "[1, 2]", '{"Email": 5, "AccountName": "x"}', "\xff\xfe"]:
        status, text = signed(s, "organizations", body, target)
        assert 400 <= status < 500, (body, status, text)
        assert "__type" in json.loads(text)
    status, text = signed(s, "organizations", '{"AccountName": "NoEmail"}', target)
    assert 400 <= status < 500
    status, text = signed(s, "sts", "Action=GetCallerIdentity&Version=2011-06-15&%zz=1",
                          {"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= status < 500 and "<ErrorResponse" in text
    status, text = signed(s, "organizations", '{"Email": "a@example.com", "AccountName": "x"}',
                          {"Content-Type": "text/plain", "X-Amz-Target": "AWSOrganizationsV20161128.CreateAccount"})
    assert 400 <= status < 500
    assert org.list_accounts()["Accounts"] == before


def test_oversized_body_is_413(server):
    body = "Action=GetCallerIdentity&Version=2011-06-15&Pad=" + "x" * (17 * 1024 * 1024)
    status, text = signed(server, "sts", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413
    assert "<ErrorResponse" in text


def signed(server, service, body, headers, method="POST", path="/"):
    req = botocore.awsrequest.AWSRequest(method=method, url=server.endpoint + path, data=body, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ROOT_KEY_ID, ROOT_SECRET), service, "us-east-1").add_auth(req)
    prepared = req.prepare()
    data = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    r = urllib.request.Request(prepared.url, data=data if data else None, headers=dict(prepared.headers), method=method)
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def test_sigterm_shuts_down_gracefully(fresh_server):
    s = fresh_server.start()
    assert s.aws("sts", "get-caller-identity")["Account"] == MANAGEMENT_ACCOUNT
    s.proc.send_signal(__import__("signal").SIGTERM)
    assert s.proc.wait(timeout=15) == 0
    log = s.log()
    assert "shutdown requested" in log and "stopped" in log
    assert ROOT_SECRET not in log
