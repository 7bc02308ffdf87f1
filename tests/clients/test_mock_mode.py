"""`xacct serve --auth off`: any credentials, account from a 12-digit key id, moto's reset route."""

import json
import urllib.request


def test_any_credentials_map_to_the_default_account(mock_server):
    out = mock_server.aws("sts", "get-caller-identity", key_id="anything", secret="whatever")
    assert out["Account"] == "123456789012"
    assert out["Arn"] == "arn:aws:iam::123456789012:root"


def test_twelve_digit_key_id_selects_the_account(mock_server):
    out = mock_server.client("sts", key_id="111111111111", secret="x").get_caller_identity()
    assert out["Account"] == "111111111111"


def test_moto_reset_empties_state(mock_server):
    org = mock_server.client("organizations", key_id="testing", secret="testing")
    org.create_organization()
    org.create_account(Email="a@example.com", AccountName="A")
    assert len(org.list_accounts()["Accounts"]) == 2
    req = urllib.request.Request(mock_server.endpoint + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req) as r:
        assert r.status == 200
    try:
        org.list_accounts()
        raise AssertionError("the organization survived the reset")
    except org.exceptions.AWSOrganizationsNotInUseException:
        pass


def test_reset_needs_the_management_root_when_auth_is_on(server):
    req = urllib.request.Request(server.endpoint + "/_xacct/reset", data=b"", method="POST")
    try:
        urllib.request.urlopen(req)
        raise AssertionError("unsigned reset was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 403
        assert json.loads(e.read())["__type"] == "MissingAuthenticationToken"
