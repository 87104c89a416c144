"""Every process starts with the full set of lifecycle hooks and can reach the queue.

Each process is a fresh interpreter, so what is registered there is what that process's
own start-up registered, not what another test happened to import.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from compass import queue, startup

ROOT = Path(__file__).resolve().parent.parent

REPORT = ("from compass import lifecycle, queue; import json;"
          " print(json.dumps([[h.__module__ + '.' + h.__qualname__ for h in lifecycle.hooks()],"
          " sorted(queue.provided())]))")

PROCESSES = {
    "web": "import app",
    "worker": "import jobs",
    "cli": "from compass import cli; cli.main(['migrate'])",
}


def _start(start: str) -> tuple[list[str], list[str]]:
    result = subprocess.run([sys.executable, "-c", f"{start}\n{REPORT}"], capture_output=True,
                            text=True, timeout=300, check=True)
    hooks, provided = json.loads(result.stdout.strip().splitlines()[-1])
    return hooks, provided


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_each_process_registers_every_lifecycle_hook(process):
    hooks, _ = _start(PROCESSES[process])
    assert hooks == [f"{h.__module__}.{h.__qualname__}" for h in startup.TRANSITION_HOOKS]


def test_importing_the_lifecycle_alone_registers_nothing():
    # The hooks come from start-up, never from an import's side effect.
    hooks, _ = _start("import compass.lifecycle, compass.refunds, compass.notifications")
    assert hooks == []


def test_the_worker_provides_every_job_and_other_processes_find_it():
    _, provided = _start(PROCESSES["worker"])
    assert provided == sorted(queue.JOBS)
    _, provided = _start("import app; from compass import queue; queue.load()")
    assert provided == sorted(queue.JOBS)


def test_compass_never_imports_jobs():
    # The worker depends on the domain, never the other way round (no import circle).
    offenders = []
    for path in sorted((ROOT / "compass").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names
                          if name == "jobs" or name.startswith("jobs.")]
    assert offenders == []
