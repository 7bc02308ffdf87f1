# Shared harness of the wrk benchmarks (sourced, not run): builds xacct, starts xacct (with a
# fixed management root key) and moto_server side by side on loopback, times one request with
# wrk, and prints the side-by-side table. Callers set `secs` and `conns` first.
#
# After `bench_servers`: $xport $mport (ports), $key $secret (xacct's root key), $data (scratch
# directory, removed on exit), $py (PYTHON, else the conformance venv's Python if made, else
# python3; it needs boto3 and moto[server]).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
default_py=python3
[ -x .cache/moto-5.2.1/venv/bin/python ] && default_py=.cache/moto-5.2.1/venv/bin/python
py=${PYTHON:-$default_py}
cargo build --release -q -p xacct

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_servers() {
  data=$(mktemp -d)
  xport=$(free_port); mport=$(free_port)
  key=AKIABENCHROOT0000001; secret=benchSecretKey000000000000000000000000000
  XACCT_ROOT_ACCESS_KEY_ID=$key XACCT_ROOT_SECRET_ACCESS_KEY=$secret RUST_LOG=warn \
    target/release/xacct serve --listen 127.0.0.1:$xport --data "$data" >"$data/xacct.log" 2>&1 &
  xpid=$!
  "$py" -m moto.server -H 127.0.0.1 -p "$mport" >"$data/moto.log" 2>&1 &
  mpid=$!
  trap 'kill $xpid $mpid 2>/dev/null; wait 2>/dev/null; rm -rf "$data"' EXIT
  local url
  for url in "http://127.0.0.1:$xport/_xacct/health" "http://127.0.0.1:$mport/moto-api/"; do
    for _ in $(seq 100); do curl -sf -o /dev/null "$url" && break; sleep 0.1; done
  done
}

# bench_wrk NAME URL [WRK ARGS...] -> prints "NAME req/s p99 non2xx"
bench_wrk() {
  local name=$1 url=$2; shift 2
  local out; out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url")
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local p99; p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "$name $rps $p99 ${non2xx:-0}"
}

# bench_report TITLE XACCT_ROW MOTO_ROW -> the side-by-side table and ratio
bench_report() {
  "$py" - "$1" "$2" "$3" "$secs" "$conns" <<'PY'
import sys
def ms(v):
    return float(v[:-2]) if v.endswith("ms") else float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-1]) * 1000
title, x, m, secs, conns = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4], sys.argv[5]
print(f"{title}, wrk -t2 -c{conns} -d{secs}s, same machine, same run")
print(f"{'server':<8}{'req/s':>12}{'p99 ms':>10}{'non-2xx':>10}")
for row in (x, m):
    print(f"{row[0]:<8}{float(row[1]):>12.0f}{ms(row[2]):>10.2f}{row[3]:>10}")
print(f"ratio xacct/moto req/s: {float(x[1]) / float(m[1]):.1f}x")
PY
}
