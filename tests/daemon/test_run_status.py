"""`ptpbridge run` and `ptpbridge status` as a user runs them: real processes,
a real Unix control socket, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PTPBRIDGE = [sys.executable, "-m", "ptpbridge"]
NS_PER_S = 1_000_000_000


def ptpbridge(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PTPBRIDGE, *args], capture_output=True, text=True, timeout=timeout)


def wait_for_socket(path: Path, proc: subprocess.Popen[str], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            return
        if proc.poll() is not None:
            raise AssertionError(f"daemon exited early: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"no control socket at {path} after {timeout_s} s")


@pytest.fixture
def running_daemon(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    config = tmp_path / "minimal.toml"
    config.write_text("[clock.sim]\ntime_error_ns = 1500\nfrequency_error_ppb = 0.0\n")
    control = tmp_path / "control.sock"
    proc = subprocess.Popen(
        [*PTPBRIDGE, "run", "--config", str(config), "--clock", "sim", "--control", str(control)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_socket(control, proc)
        yield proc, control
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_status_json_reports_the_clock(running_daemon: tuple[subprocess.Popen[str], Path]) -> None:
    _, control = running_daemon
    before = time.clock_gettime_ns(time.CLOCK_REALTIME)
    result = ptpbridge("status", "--json", "--control", str(control))
    after = time.clock_gettime_ns(time.CLOCK_REALTIME)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    clock = status["clock"]
    assert clock["kind"] == "sim"
    assert clock["name"] == "sim"
    assert clock["offset_method"] == "simulated"
    # A simulated clock runs on TAI: 37 s ahead of CLOCK_REALTIME plus the
    # configured 1500 ns error, exactly, since it has no read noise.
    assert clock["offset_to_system_ns"] == 37 * NS_PER_S + 1500
    assert clock["true_time_error_ns"] == 1500
    assert before + 37 * NS_PER_S <= clock["time_ns"] <= after + 37 * NS_PER_S + 1500
    assert clock["frequency_ppb"] == 0.0
    assert status["daemon"]["pid"] == running_daemon[0].pid


def test_status_table_is_aligned(running_daemon: tuple[subprocess.Popen[str], Path]) -> None:
    _, control = running_daemon
    result = ptpbridge("status", "--control", str(control))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Clock")
    colons = {line.index(" : ") for line in lines}
    assert len(colons) == 1, result.stdout
    assert any(line.startswith("True time error") and "+1.500 us" in line for line in lines)


def test_sigterm_stops_cleanly(running_daemon: tuple[subprocess.Popen[str], Path]) -> None:
    proc, control = running_daemon
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert not control.exists(), "control socket left behind"


def test_sigint_stops_cleanly(running_daemon: tuple[subprocess.Popen[str], Path]) -> None:
    proc, _ = running_daemon
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr


def test_second_daemon_on_same_socket_refuses(running_daemon: tuple[subprocess.Popen[str], Path]) -> None:
    _, control = running_daemon
    result = ptpbridge("run", "--clock", "sim", "--control", str(control))
    assert result.returncode == 1
    assert "already listening" in result.stderr
    assert "Traceback" not in result.stderr
    # The refused daemon must leave the first one's socket alone.
    assert ptpbridge("status", "--json", "--control", str(control)).returncode == 0


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[clock]\ndevice = 'sim'\nbogus = 1\n", "clock.bogus: unknown key"),
        ("[clock.sim]\nseed = 'seven'\n", "clock.sim.seed: "),
        ("[time]\nutc_offset_s = [1]\n", "time.utc_offset_s: "),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = ptpbridge("run", "--config", str(config), "--control", str(tmp_path / "c.sock"))
    assert result.returncode == 2
    assert f"{config}: {key}" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_status_without_daemon_is_one_line(tmp_path: Path) -> None:
    result = ptpbridge("status", "--control", str(tmp_path / "nobody.sock"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"ptpbridge: no daemon running (no control socket at {tmp_path / 'nobody.sock'})"


def test_missing_phc_is_a_clear_error(tmp_path: Path) -> None:
    result = ptpbridge("run", "--clock", "/dev/ptp99", "--control", str(tmp_path / "c.sock"))
    assert result.returncode == 1
    assert "/dev/ptp99" in result.stderr
    assert "Traceback" not in result.stderr
    assert not os.path.exists(tmp_path / "c.sock")
