"""Fixtures that start xacct the way a user does and drive it with the real aws CLI and boto3.

Each server gets a free loopback port and a fresh data directory. `XACCT_BIN` names the binary
(scripts/test builds it); the management root key is fixed per server so tests can sign.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field

import boto3
import botocore.config
import pytest

ROOT_KEY_ID = "AKIAXACCTTESTROOT001"
ROOT_SECRET = "xacctTestRootSecretKey0000000000000000000"
MANAGEMENT_ACCOUNT = "000000000000"


def xacct_bin():
    path = os.environ.get("XACCT_BIN")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "target", "debug", "xacct")
    if not os.path.exists(path):
        pytest.exit(f"xacct binary not found at {path}: build it (cargo build -p xacct) or set XACCT_BIN")
    return os.path.abspath(path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running `xacct serve`."""

    data_dir: str
    port: int
    args: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    proc: subprocess.Popen = None
    log_path: str = ""

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.log_path = os.path.join(self.data_dir, "server.log")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [xacct_bin(), "serve", "--listen", f"127.0.0.1:{self.port}", "--data", self.data_dir, *self.args],
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"xacct exited early: {self.log()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_xacct/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"xacct did not become healthy: {self.log()}")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def client_env(self, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, token=None, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=key_id,
            AWS_SECRET_ACCESS_KEY=secret,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_CONFIG_FILE=os.path.join(self.data_dir, "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.data_dir, "aws-credentials"),
        )
        if token:
            env["AWS_SESSION_TOKEN"] = token
        env.update(extra)
        return env

    def aws(self, *args, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, check=True, env=None):
        """Runs the aws CLI v1; returns parsed JSON output (or the CompletedProcess when check=False)."""
        cli_env = env or self.client_env(key_id, secret)
        proc = subprocess.run(
            [aws_cli(), "--endpoint-url", self.endpoint, "--output", "json", *args],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if not check:
            return proc
        assert proc.returncode == 0, f"aws {' '.join(args)} failed: {proc.stderr}\n{self.log()}"
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    def xacct(self, *args, env=None, check=True):
        proc = subprocess.run([xacct_bin(), *args], env=env or self.client_env(), capture_output=True, text=True, timeout=60)
        if check:
            assert proc.returncode == 0, f"xacct {' '.join(args)} failed: {proc.stderr}\n{self.log()}"
        return proc

    def client(self, service, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, token=None, region="us-east-1"):
        return boto3.session.Session(
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            region_name=region,
        ).client(
            service,
            endpoint_url=self.endpoint,
            config=botocore.config.Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        )


def create_account(s, account_id, name, profile=None):
    """`xacct accounts create` on server s; returns the account's root key pair (or None when the
    keys went to a named profile)."""
    args = ["accounts", "create", "--id", account_id, "--name", name]
    if profile:
        args += ["--profile", profile]
    proc = s.xacct(*args)
    if profile:
        return None
    creds = dict(l[len("export "):].split("=", 1) for l in proc.stdout.splitlines() if l.startswith("export "))
    return creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"]


def aws_cli():
    exe = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
    if not exe:
        pytest.exit("the aws CLI is not installed (scripts/test installs it into .venv)")
    return exe


def make_server(tmp_root, *args, env_extra=None):
    data = tempfile.mkdtemp(prefix="xacct-", dir=tmp_root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("XACCT_")}
    env.update(
        XACCT_ROOT_ACCESS_KEY_ID=ROOT_KEY_ID,
        XACCT_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET,
        RUST_LOG=os.environ.get("RUST_LOG", "info"),
    )
    env.update(env_extra or {})
    return Server(data_dir=data, port=free_port(), args=list(args), env=env)


@pytest.fixture(scope="session")
def tmp_root():
    d = tempfile.mkdtemp(prefix="xacct-tests-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def server(tmp_root):
    """One enforcing server shared by the suite, with the test clock enabled."""
    s = make_server(tmp_root, "--clock-admin").start()
    yield s
    s.stop()


@pytest.fixture()
def fresh_server(tmp_root):
    """A server of one's own (for kill -9, restarts, and state checks)."""
    s = make_server(tmp_root, "--clock-admin")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def mock_server(tmp_root):
    """`xacct serve --auth off`, as moto users run it."""
    s = make_server(tmp_root, "--auth", "off", env_extra={"XACCT_MANAGEMENT_ACCOUNT_ID": "123456789012"}).start()
    yield s
    s.stop()
