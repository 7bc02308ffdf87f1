"""Golden wire output read back by botocore's own parsers (the pinned botocore of this suite)."""

import os
import subprocess
import sys

import pytest

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "wire", "tests", "golden")


@pytest.mark.parametrize("script", ["check_botocore.py", "check_botocore_rest.py"])
def test_botocore_parses_every_golden_response(script):
    proc = subprocess.run([sys.executable, os.path.join(GOLDEN, script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
