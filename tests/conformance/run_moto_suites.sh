#!/usr/bin/env bash
# Conformance check: moto 5.2.1's own server-mode test suites against `xacct serve --auth off`,
# and (with --baseline) the same suites against moto's own server, for the pass-count ratio.
#
# usage: tests/conformance/run_moto_suites.sh [--baseline] SUITE...   e.g. test_iam test_sts test_organizations
# Each failure of xacct's run is classified into .cache/moto-5.2.1/failures-SUITE.tsv.
# Downloads moto's source distribution from PyPI into .cache/, installs moto[server]==5.2.1 and
# pytest into .cache/moto-5.2.1/venv. Prints "SUITE server passed failed" lines.
# Tests run one at a time: the suites share one server and reset it between tests, so parallel
# workers (pytest -n) would wipe each other's state and under-count both servers.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="$root/.cache/moto-5.2.1"
baseline=0
if [ "${1:-}" = "--baseline" ]; then baseline=1; shift; fi
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(test_iam test_sts test_organizations)
mkdir -p "$cache"
if [ ! -d "$cache/src/tests" ]; then
  python3 -m pip download --quiet --no-deps --no-binary :all: -d "$cache" moto==5.2.1
  mkdir -p "$cache/src" && tar xzf "$cache"/moto-5.2.1.tar.gz -C "$cache/src" --strip-components=1
fi
if [ ! -x "$cache/venv/bin/python" ]; then
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==5.2.1" pytest==8.3.5 freezegun==1.5.1 pytest-xdist==3.6.1
fi
cargo build --release -q -p xacct
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Test files left out of a suite: test_s3_lambda_integration needs Lambda (and Docker), and its
# get_role_name() loops forever once CreateRole refuses its "some policy" document, as IAM does.
ignores_for() {
  case $1 in
    test_s3) echo "--ignore=tests/test_s3/test_s3_lambda_integration.py" ;;
  esac
}
run_against() { # name port
  local name=$1 port=$2 suite
  for suite in "${suites[@]}"; do
    local out
    # shellcheck disable=SC2046
    out=$(cd "$cache/src" && TEST_SERVER_MODE=true TEST_SERVER_MODE_ENDPOINT="http://127.0.0.1:$port" \
      AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
      timeout 1500 "$cache/venv/bin/python" -m pytest "tests/$suite" $(ignores_for "$suite") -q -p no:cacheprovider \
        -o addopts="" --junitxml="$cache/junit-$name-$suite.xml" 2>&1 | tail -1) || true
    local passed failed
    passed=$(grep -oE '[0-9]+ passed' <<<"$out" | cut -d' ' -f1); failed=$(grep -oE '[0-9]+ failed' <<<"$out" | cut -d' ' -f1)
    echo "$suite $name ${passed:-0} ${failed:-0}"
    if [ "$name" = xacct ] && [ -f "$cache/junit-$name-$suite.xml" ]; then
      # Why each failure fails (tests/conformance/classify_failures.py); kinds counted.
      python3 "$root/tests/conformance/classify_failures.py" "$cache/junit-$name-$suite.xml" \
        > "$cache/failures-$suite.tsv"
      echo "  failures by kind: $(cut -f1 "$cache/failures-$suite.tsv" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    fi
  done
}
data=$(mktemp -d)
xport=$(free_port)
XACCT_MANAGEMENT_ACCOUNT_ID=123456789012 XACCT_MANAGEMENT_ACCOUNT_EMAIL=master@example.com RUST_LOG=warn \
  "$root/target/release/xacct" serve --auth off --listen "127.0.0.1:$xport" --data "$data" >"$data/xacct.log" 2>&1 &
xpid=$!
pids=($xpid)
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$xport/_xacct/health" && break; sleep 0.1; done
run_against xacct "$xport"
if [ $baseline = 1 ]; then
  mport=$(free_port)
  "$cache/venv/bin/python" -m moto.server -H 127.0.0.1 -p "$mport" >"$data/moto.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$mport/moto-api/" && break; sleep 0.1; done
  run_against moto "$mport"
fi
