#!/usr/bin/env python3
"""Time IAM policy evaluation in moto 5.2.1 and in xacct-policy on the same cases.

How to run (from the repository root, /work/main):

    python3 bench/policy_moto.py                 # moto timings + `cargo bench` for xacct
    python3 bench/policy_moto.py --skip-cargo    # reuse the last criterion results
    python3 bench/policy_moto.py --no-xacct      # moto only

It needs moto installed (`pip install moto==5.2.1`) and, for the xacct column, the
criterion bench `crates/policy/benches/evaluate.rs` with cases named exactly:
tutorial_allow, tutorial_deny, stmts_100_match_last, stmts_100_no_match,
stmts_1000_match_last, stmts_1000_no_match, stmts_3. The script runs
`cargo bench -p xacct-policy --bench evaluate -- --warm-up-time 1 --measurement-time 3`
(bounded by --cargo-timeout) and reads criterion's median
(`<target>/criterion/**/<case>/new/estimates.json`, `median.point_estimate`, ns),
honouring CARGO_TARGET_DIR (default `<repo>/target`).

What is timed on the moto side is what moto itself does for every request in
`moto.iam.access_control.IAMRequestBase.check_action_permitted`: build an
`IAMPolicy` from each policy document (a `json.loads`) and call
`is_action_permitted(action, resource)`; for sts:AssumeRole it then checks the role's
trust policy with the caller's ARN as `_check_role_trust_relationship` does. The
"eval-only" column reuses pre-built `IAMPolicy` objects. Each figure is the median
over repeats of a timeit loop sized to ~0.1 s. Moto's own answer is printed too:
moto does not understand account principals, so it refuses the tutorial's allowed
AssumeRole.

Case shapes (mirroring crates/policy/benches/evaluate.rs, whose criterion ids may be the
names above or its own: tutorial_david_allowed, tutorial_jane_denied,
3_statements_match_last, {100,1000}_statements_match_last, {100,1000}_statements_none_match):
- tutorial_allow / tutorial_deny: the IAM tutorial "Delegate access across AWS accounts
  using IAM roles": David (Developers policy) and Jane (PowerUserAccess + inline deny)
  calling sts:AssumeRole on arn:aws:iam::999999999999:role/UpdateApp, trust policy naming
  account 111111111111. (moto gets the full PowerUserAccess document; the Rust bench only
  its NotAction statement.)
- stmts_N_match_last / stmts_N_no_match / stmts_3: David calling s3:GetObject on
  arn:aws:s3:::productionapp/reports/q1.csv against one identity policy of N statements
  about other services (Allow svcI:DescribeI, Allow svcI:Get*/List* on an ARN, Deny
  svcI:DeleteI with a condition, in turn), the last one allowing the request or not.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASE_NAMES = [
    "tutorial_allow",
    "tutorial_deny",
    "stmts_3",
    "stmts_100_match_last",
    "stmts_100_no_match",
    "stmts_1000_match_last",
    "stmts_1000_no_match",
]

DEV = "111111111111"
PROD = "999999999999"
ROLE = f"arn:aws:iam::{PROD}:role/UpdateApp"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"}, "Action": "sts:AssumeRole"}],
}
DEVELOPERS = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}}
POWER_USER = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": [
                "account:GetAccountInformation", "account:GetGovCloudAccountInformation", "account:GetPrimaryEmail",
                "account:ListRegions", "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                "organizations:DescribeEffectivePolicy", "organizations:DescribeOrganization",
            ],
            "Resource": "*",
        },
    ],
}
TESTERS_DENY = {
    "Version": "2012-10-17",
    "Statement": {"Sid": "DenyAccessToProductionRole", "Effect": "Deny", "Action": "sts:AssumeRole", "Resource": ROLE},
}
UPDATE_APP = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": "arn:aws:s3:::productionapp"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::productionapp/*"},
    ],
}


def unrelated(n: int) -> list[dict]:
    """`n` statements about other services, the same shapes as crates/policy/benches/evaluate.rs."""
    out = []
    for i in range(n):
        if i % 3 == 0:
            out.append({"Sid": f"S{i}", "Effect": "Allow", "Action": f"svc{i}:Describe{i}", "Resource": "*"})
        elif i % 3 == 1:
            out.append({"Sid": f"S{i}", "Effect": "Allow", "Action": [f"svc{i}:Get*", f"svc{i}:List*"],
                        "Resource": f"arn:aws:svc{i}:us-east-1:111111111111:thing/*"})
        else:
            out.append({"Sid": f"S{i}", "Effect": "Deny", "Action": f"svc{i}:Delete{i}", "Resource": "*",
                        "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}})
    return out


MATCHING = {"Sid": "Match", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::productionapp/*"}
S3_REQUEST = dict(caller="arn:aws:iam::111111111111:user/David", trust=None, action="s3:GetObject",
                  resource="arn:aws:s3:::productionapp/reports/q1.csv")


def statements(stmts: list[dict]) -> dict:
    return {"Version": "2012-10-17", "Statement": stmts}


def cases() -> dict[str, dict]:
    """case name -> caller ARN, identity policies, trust policy (or None), action, resource."""
    out = {
        "tutorial_allow": dict(caller=f"arn:aws:iam::{DEV}:user/David", identity=[DEVELOPERS], trust=TRUST,
                               action="sts:AssumeRole", resource=ROLE),
        "tutorial_deny": dict(caller=f"arn:aws:iam::{DEV}:user/Jane", identity=[POWER_USER, TESTERS_DENY], trust=TRUST,
                              action="sts:AssumeRole", resource=ROLE),
        "stmts_3": dict(S3_REQUEST, identity=[statements(unrelated(2) + [MATCHING])]),
    }
    for n in (100, 1000):
        out[f"stmts_{n}_match_last"] = dict(S3_REQUEST, identity=[statements(unrelated(n - 1) + [MATCHING])])
        out[f"stmts_{n}_no_match"] = dict(S3_REQUEST, identity=[statements(unrelated(n))])
    return out


def moto_request(case: dict, prebuilt: list | None = None, prebuilt_trust=None) -> str:
    """One authorization decision the way moto makes it for an incoming request."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    permitted = False
    policies = prebuilt if prebuilt is not None else [IAMPolicy(s) for s in case["identity_json"]]
    for policy in policies:
        result = policy.is_action_permitted(case["action"], case["resource"])
        if result == PermissionResult.DENIED:
            return "Deny"
        if result == PermissionResult.PERMITTED:
            permitted = True
    if case["trust_json"] is not None:
        trust = prebuilt_trust if prebuilt_trust is not None else IAMPolicy(case["trust_json"])
        trusted = trust.is_action_permitted(case["action"], case["resource"], case["caller"], {})
        permitted = permitted and trusted == PermissionResult.PERMITTED
    return "Allow" if permitted else "Deny"


def time_call(fn, repeats: int, budget_s: float) -> float:
    """Median seconds per call: timeit loops sized to ~0.1 s, `repeats` of them, within budget."""
    timer = timeit.Timer(fn)
    number, elapsed = timer.autorange()
    number = max(1, int(number * 0.1 / max(elapsed, 1e-9)))
    samples = []
    deadline = time.monotonic() + budget_s
    for _ in range(repeats):
        samples.append(timer.timeit(number) / number)
        if time.monotonic() > deadline:
            break
    return statistics.median(samples)


def run_moto(repeats: int, budget_s: float) -> dict[str, tuple[float, float, str]]:
    from moto.iam.access_control import IAMPolicy

    results = {}
    for name, case in cases().items():
        if name not in CASE_NAMES:
            continue
        case = dict(case)
        case["identity_json"] = [json.dumps(p) for p in case["identity"]]
        case["trust_json"] = json.dumps(case["trust"]) if case["trust"] is not None else None
        decision = moto_request(case)
        per_request = time_call(lambda: moto_request(case), repeats, budget_s)
        prebuilt = [IAMPolicy(s) for s in case["identity_json"]]
        prebuilt_trust = IAMPolicy(case["trust_json"]) if case["trust_json"] is not None else None
        eval_only = time_call(lambda: moto_request(case, prebuilt, prebuilt_trust), repeats, budget_s)
        results[name] = (per_request, eval_only, decision)
        print(f"  moto {name}: {per_request * 1e6:.1f} µs ({decision})", file=sys.stderr)
    return results


def target_dir() -> Path:
    env = os.environ.get("CARGO_TARGET_DIR")
    if env:
        path = Path(env)
        return path if path.is_absolute() else REPO / path
    return REPO / "target"


def run_cargo_bench(timeout_s: float) -> bool:
    cmd = ["cargo", "bench", "-p", "xacct-policy", "--bench", "evaluate", "--",
           "--warm-up-time", "1", "--measurement-time", "3"]
    print(f"running: {' '.join(cmd)} (timeout {timeout_s:.0f} s, target {target_dir()})", file=sys.stderr)
    try:
        proc = subprocess.run(cmd, cwd=REPO, timeout=timeout_s, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except subprocess.TimeoutExpired:
        print("cargo bench timed out; using whatever criterion results exist", file=sys.stderr)
        return False
    except FileNotFoundError:
        print("cargo not found", file=sys.stderr)
        return False
    if proc.returncode != 0:
        print(proc.stdout[-4000:], file=sys.stderr)
        print(f"cargo bench failed with status {proc.returncode}", file=sys.stderr)
        return False
    return True


# The engine's bench may use its own ids for the same cases; these are accepted too.
ALIASES = {
    "tutorial_allow": ["tutorial_allow", "tutorial_david_allowed"],
    "tutorial_deny": ["tutorial_deny", "tutorial_jane_denied"],
    "stmts_3": ["stmts_3", "3_statements_match_last"],
    "stmts_100_match_last": ["stmts_100_match_last", "100_statements_match_last"],
    "stmts_100_no_match": ["stmts_100_no_match", "100_statements_none_match"],
    "stmts_1000_match_last": ["stmts_1000_match_last", "1000_statements_match_last"],
    "stmts_1000_no_match": ["stmts_1000_no_match", "1000_statements_none_match"],
}


def criterion_median_ns(name: str) -> float | None:
    """criterion's median for a benchmark whose id is `name` or an alias (with or without a group)."""
    root = target_dir() / "criterion"
    if not root.is_dir():
        return None
    for alias in ALIASES.get(name, [name]):
        found = sorted(p for p in root.glob(f"**/{alias}/new/estimates.json") if p.parent.parent.name == alias)
        if found:
            with open(found[0]) as f:
                return float(json.load(f)["median"]["point_estimate"])
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-cargo", action="store_true", help="do not run cargo bench; read existing criterion results")
    parser.add_argument("--no-xacct", action="store_true", help="time moto only")
    parser.add_argument("--repeats", type=int, default=7, help="timeit repeats per case (median is reported)")
    parser.add_argument("--case-budget", type=float, default=5.0, help="max seconds of moto timing per case and variant")
    parser.add_argument("--cargo-timeout", type=float, default=1500.0, help="max seconds for cargo bench (build included)")
    args = parser.parse_args()

    try:
        import moto  # noqa: F401
    except ImportError:
        print("moto is not installed (pip install moto==5.2.1)", file=sys.stderr)
        return 2
    print(f"moto {moto.__version__}, python {sys.version.split()[0]}", file=sys.stderr)

    moto_results = run_moto(args.repeats, args.case_budget)
    xacct: dict[str, float | None] = {name: None for name in CASE_NAMES}
    if not args.no_xacct:
        if not args.skip_cargo:
            run_cargo_bench(args.cargo_timeout)
        xacct = {name: criterion_median_ns(name) for name in CASE_NAMES}

    header = f"{'case':<24} {'moto µs':>10} {'moto eval-only µs':>18} {'moto says':>10} {'xacct ns':>10} {'ratio':>9}"
    print(header)
    print("-" * len(header))
    for name in CASE_NAMES:
        per_request, eval_only, decision = moto_results[name]
        x = xacct.get(name)
        x_txt = f"{x:10.0f}" if x is not None else f"{'n/a':>10}"
        ratio = f"{per_request * 1e9 / x:8.0f}x" if x else f"{'n/a':>9}"
        print(f"{name:<24} {per_request * 1e6:10.1f} {eval_only * 1e6:18.1f} {decision:>10} {x_txt} {ratio}")
    print("\nratio = moto per-request time / xacct criterion median (ns); criterion results read from "
          f"{target_dir() / 'criterion'}.")
    if any(xacct.get(name) is None for name in CASE_NAMES) and not args.no_xacct:
        print("xacct n/a: no criterion result with that id (or an alias) was found.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
