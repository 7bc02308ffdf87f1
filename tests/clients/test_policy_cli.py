"""`xacct policy evaluate`: the offline simulator command."""

import json
import os
import subprocess

from conftest import xacct_bin

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def evaluate(text):
    return subprocess.run([xacct_bin(), "policy", "evaluate", "-"], input=text, capture_output=True, text=True, timeout=30)


def test_tutorial_david_allowed_from_file():
    proc = subprocess.run([xacct_bin(), "policy", "evaluate", os.path.join(EXAMPLES, "tutorial-david.json")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["decision"] == "Allow"
    assert {m["policy_type"] for m in out["matched"]} >= {"identity"}


def test_jane_explicit_deny_from_stdin():
    with open(os.path.join(EXAMPLES, "tutorial-david.json")) as f:
        case = json.load(f)
    case["request"]["principal"]["arn"] = "arn:aws:iam::111111111111:user/Jane"
    case["policies"]["identity"] = [
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]},
        {"Version": "2012-10-17", "Statement": {"Sid": "DenyAccessToProductionRole", "Effect": "Deny", "Action": "sts:AssumeRole",
                                                "Resource": "arn:aws:iam::999999999999:role/UpdateApp"}},
    ]
    proc = evaluate(json.dumps(case))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["decision"] == "ExplicitDeny"
    assert any(m.get("sid") == "DenyAccessToProductionRole" for m in out["matched"])


def test_malformed_policy_prints_the_validation_error_and_fails():
    with open(os.path.join(EXAMPLES, "tutorial-david.json")) as f:
        case = json.load(f)
    case["policies"]["identity"] = [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*"}}]
    proc = evaluate(json.dumps(case))
    assert proc.returncode != 0
    assert "identity[0]" in proc.stderr


def test_not_json_fails():
    proc = evaluate("not json")
    assert proc.returncode != 0
