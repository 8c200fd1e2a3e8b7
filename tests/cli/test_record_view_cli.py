"""`weldctl record --view` refusals: a port that is taken is one clear error, and nothing is recorded."""

import socket
import subprocess
import sys
from pathlib import Path

WELDCTL = [sys.executable, "-m", "weldctl.cli"]


def test_taken_port_is_one_clear_error_before_anything_is_written(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = subprocess.run([*WELDCTL, "record", "--run-id", "RPORT", "--out", str(tmp_path), "--duration", "0.3",
                              "--no-live", "--view", "--view-port", str(port)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode != 0
    assert f"cannot serve the live view on 127.0.0.1:{port}: the port is in use" in res.stderr
    assert "--view-port" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "RPORT.zarr").exists()
