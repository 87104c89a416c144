"""The Procfile's real processes (uvicorn and huey_consumer) on a temporary data directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if ":" in line and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def read(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def tail(logs: dict) -> str:
    return "\n".join(f"--- {name}\n" + read(log)[-3000:] for name, log in logs.items())


def wait_until(check, timeout: float, logs: dict, what: str):
    """check()'s first truthy value; fails with `what` and the processes' logs at `timeout`."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what}\n{tail(logs)}"
        time.sleep(0.1)
    return found


@contextmanager
def procfile_stack(tmp_path: Path, extra_env: dict[str, str] | None = None, *,
                   cwd: Path = ROOT, bin_dir: Path = BIN,
                   replace: dict[str, tuple[str, str]] | None = None,
                   state: dict | None = None) -> Iterator[tuple[str, dict]]:
    """Start every Procfile entry as the environment describes; yield (base URL, logs).

    `extra_env` adds to the development environment (an SMTP server, for instance).
    `cwd` and `bin_dir` run the commands elsewhere, e.g. from an installed wheel's
    virtualenv in a directory holding no source. `replace` edits an entry's command:
    {"web": ("app:app", "tests.fakes.crashing_web:app")}. `state`, when given, receives
    "env", "commands" and "processes" (name → Popen; `restart(state, name)` adds one).
    """
    port = free_port()
    # Not the test process's metrics directory (set once compass.metrics is imported): the
    # stack counts in its own data directory, from zero.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("STRIPE_", "ANTHROPIC_", "SMTP_"))
           and k != "PROMETHEUS_MULTIPROC_DIR"}
    env |= {"COMPASS_ENV": "development", "COMPASS_DATA_DIR": str(tmp_path / "data"),
            "BASE_URL": f"http://127.0.0.1:{port}", "PORT": str(port),
            "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "PYTHONUNBUFFERED": "1"}
    env |= extra_env or {}
    logs, processes = {}, []
    if state is not None:
        state |= {"env": env, "commands": {}, "processes": {}, "all": processes,
                  "cwd": cwd, "logs": logs, "tmp_path": tmp_path}
    for name, command in procfile().items():
        if name in (replace or {}):
            old, new = (replace or {})[name]
            assert old in command, command
            command = command.replace(old, new)
        logs[name] = open(tmp_path / f"{name}.log", "w+")  # noqa: SIM115
        processes.append(subprocess.Popen(
            ["/bin/sh", "-c", "exec " + command], cwd=cwd, env=env, stdout=logs[name],
            stderr=subprocess.STDOUT, start_new_session=True))
        if state is not None:
            state["commands"][name] = command
            state["processes"][name] = processes[-1]
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a machine shared by many test runs, starting takes far longer than the
        # second or two it takes alone. The loop ends as soon as the web answers.
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "web process did not start\n" + tail(logs)
            assert all(p.poll() is None for p in processes), tail(logs)
            time.sleep(0.1)
        yield base, logs
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for log in logs.values():
            log.close()


def restart(state: dict, name: str) -> subprocess.Popen:
    """Start the stack's `name` process again (after it stopped), logging to name-2.log."""
    log = open(state["tmp_path"] / f"{name}-2.log", "w+")  # noqa: SIM115
    state["logs"][f"{name}-2"] = log
    process = subprocess.Popen(
        ["/bin/sh", "-c", "exec " + state["commands"][name]], cwd=state["cwd"],
        env=state["env"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    state["all"].append(process)
    state["processes"][name] = process
    return process
