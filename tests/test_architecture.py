"""The structure docs/architecture.md describes, checked: where SQL may appear, and that the
README's map names every module under compass/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# SQL statements and the calls that run them. Only compass/store/ (and the numbered
# migrations it applies) may hold them; everything else asks compass.store.
SQL = re.compile(
    r"""["'](\s*)(SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|VIEW)"""
    r"""|PRAGMA\s|BEGIN\b|COMMIT\b|ROLLBACK\b)"""
    r"""|\.execute(many)?\(|\.query\(|\bdb\[["']|import sqlite3|sqlite3\.connect""",
    re.IGNORECASE)
ALLOWED = ("compass/store/",)


def _python_files() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "compass").rglob("*.py")),
             *sorted((ROOT / "jobs").rglob("*.py"))]
    return [f for f in files if not any(f.relative_to(ROOT).as_posix().startswith(a)
                                        for a in ALLOWED)]


def test_sql_lives_only_in_the_store():
    found = []
    for path in _python_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if SQL.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_check_finds_sql_where_it_should_not_be():
    # The pattern catches the shapes of SQL this code base used outside the store.
    for line in ('rows = db.query("SELECT * FROM refund_queue")',
                 'db.conn.execute("UPDATE emails SET status = ?", (s,))',
                 'conn.execute("BEGIN IMMEDIATE")', "import sqlite3",
                 'db["refund_queue"].exists()'):
        assert SQL.search(line), line
    assert not SQL.search('log.info("selected workflows")')


def _named_in_map(map_: str) -> set[str]:
    """Module paths the map names: a full path, or a file name on an indented line under
    its package's line (`compass/web/` then `  orders.py, checkout.py`)."""
    named: set[str] = set()
    package = ""
    for line in map_.splitlines():
        words = re.findall(r"[\w/]+\.py|[\w/]+/(?=\s)", line)
        if not line.startswith(" ") and words and words[0].endswith("/"):
            package = words[0]
            continue
        for word in words:
            named.add(word if "/" in word else package + word)
    return named


def test_the_readme_map_names_every_module():
    readme = (ROOT / "README.md").read_text()
    map_ = readme[readme.index("## Map of the code"):]
    map_ = map_[:map_.index("\n## ", 1)]
    named = _named_in_map(map_)
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "compass").rglob("*.py")
               if path.name != "__init__.py"}
    assert sorted(modules - named) == []
    assert sorted(name for name in named - modules if name.startswith("compass/")) == []


# Handler modules share helpers through these, never through each other: a handler module
# changes for its own pages only.
SHARED_WEB = {"common", "auth", "proof", "security", "limits"}


def test_handler_modules_do_not_import_each_other():
    web = ROOT / "compass" / "web"
    handlers = {path.stem for path in web.glob("*.py")} - SHARED_WEB - {"__init__", "server"}
    offenders = []
    for name in sorted(handlers):
        source = (web / f"{name}.py").read_text()
        imported = set(re.findall(r"from compass\.web\.(\w+) import", source))
        imported |= {m for group in re.findall(r"from compass\.web import ([\w, ]+)", source)
                     for m in re.split(r",\s*", group.strip())}
        offenders += [f"{name} imports {other}" for other in sorted(imported & handlers)]
    assert handlers >= {"orders", "checkout", "accounts", "refunds", "revisions"}
    assert offenders == []


def test_no_test_file_imports_another():
    """Shared test data lives in tests/factories.py, not in some test file's helpers."""
    offenders = [path.name for path in (ROOT / "tests").glob("test_*.py")
                 if re.search(r"^\s*(from tests\.test_\w+ import|import tests\.test_)",
                              path.read_text(), re.M)]
    assert offenders == []
