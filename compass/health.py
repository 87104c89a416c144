"""Is the machine ready to take orders? The checks behind /readyz.

- the database accepts a write lock (not read-only, not wedged by a long transaction) and
  its volume has room;
- every migration this code knows is applied;
- the queue file answers;
- every template compiles, the emails' and the PDF's among them (a missing or broken
  template would fail every email while orders still complete);
- the PDF renderer answers: it renders a one-page document within a few seconds;
- the AI service takes our calls: no incident is open (compass.outage; an open one means
  the API refuses our key or spend limit, and paid orders are held until it is fixed);
- the worker is alive: it rewrites a small heartbeat file every few seconds
  (jobs/reconciler.py), and a heartbeat older than HEARTBEAT_STALE_SECONDS means no
  worker is running — paid orders would wait.

A file rather than a row: the heartbeat should not make Litestream ship a transaction
every few seconds, and it says nothing worth restoring.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2
import sqlite_utils

from compass import mail, store, templating
from compass.settings import Settings
from compass.templating import TEMPLATES_DIR

HEARTBEAT_INTERVAL_SECONDS = 10.0
HEARTBEAT_STALE_SECONDS = 60.0
MIN_FREE_BYTES = 100 * 1024 * 1024
# The probe document: small, but through the real helper process and WeasyPrint.
RENDER_PROBE = "<!doctype html><title>ready</title><p>ready</p>"
# A render takes well under a second; the helper's first start (importing WeasyPrint) takes
# about 1.5 s, but half a minute on an overloaded machine: allowed, so a slow start is not
# mistaken for a broken renderer (which answers with an error at once, or not at all).
RENDER_TIMEOUT_SECONDS = 10.0
RENDER_STARTUP_SECONDS = 50.0
# What the worker cannot deliver without: every email and the report's PDF. Rendered by
# templating's environment (the worker's), so an unknown filter counts as broken too.
DOCUMENT_TEMPLATES = (
    *(f"emails/{kind}.{ext}" for kind in sorted(mail.KINDS) for ext in ("txt", "html")),
    "report/print.html",
)
PAGE_TEMPLATES = ("report/page.html", "order_form.html", "error.html")


def heartbeat_path(settings: Settings) -> Path:
    return settings.COMPASS_DATA_DIR / "worker.heartbeat"


def write_heartbeat(path: Path, *, state: str = "running", **details: object) -> None:
    """Atomically replace the heartbeat file (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"state": state, "pid": os.getpid(), "host": socket.gethostname(),
               "at": time.time()} | details
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(payload))
    os.replace(temporary, path)


def read_heartbeat(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    # Worth a person's look but no reason to take the machine out of service (late mail).
    warn: bool = False


def check_database(db: sqlite_utils.Database, data_dir: Path) -> Check:
    try:
        store.can_write(db)
    except Exception as exc:  # any failure here means "not ready"; say which
        return Check("database", False, f"not writable: {exc}")
    free = shutil.disk_usage(data_dir).free
    if free < MIN_FREE_BYTES:
        return Check("database", False, f"only {free // (1024 * 1024)} MB free on the volume")
    return Check("database", True, f"writable; {free // (1024 * 1024)} MB free")


def check_migrations(db: sqlite_utils.Database) -> Check:
    try:
        pending = store.pending_migrations(db)
    except Exception as exc:
        return Check("migrations", False, f"cannot read schema_migrations: {exc}")
    if pending:
        names = ", ".join(f"{m.version:03d}_{m.name}" for m in pending)
        return Check("migrations", False, f"not applied: {names}")
    return Check("migrations", True, f"at version {max(store.applied_versions(db))}")


def check_mail(db: sqlite_utils.Database) -> Check:
    """Late mail is shown, not fatal: an SMTP outage must not take the site down (the mail
    waits and goes when the server answers; /admin lists it)."""
    from compass import notifications

    try:
        late = notifications.late_mail(db)
    except Exception as exc:
        return Check("mail", False, f"cannot read emails: {exc}")
    if not late["late"] and not late["failed"]:
        return Check("mail", True, "nothing late")
    detail = f"{late['late']} email(s) late" + (
        f" (oldest written {late['oldest'][:16]})" if late["oldest"] else "")
    if late["failed"]:
        detail += f"; {late['failed']} gave up in the last 24 h"
    return Check("mail", True, detail, warn=True)


def check_queue(settings: Settings) -> Check:
    try:
        from huey import SqliteHuey

        # Its own handle on the queue file (the name must match jobs.huey's).
        queue = SqliteHuey("compass", filename=str(settings.queue_path), timeout=1)
        pending = queue.pending_count()
        queue.storage.close()
    except Exception as exc:
        return Check("queue", False, f"unreachable: {exc}")
    return Check("queue", True, f"{pending} task(s) waiting")


def check_ai_service(db: sqlite_utils.Database) -> Check:
    try:
        incident = store.incidents.open_incident(db)
    except Exception as exc:
        return Check("ai_service", False, f"cannot read ai_incidents: {exc}")
    if incident is None:
        return Check("ai_service", True, "no incident open")
    return Check("ai_service", False,
                 f"refusing our calls since {incident['opened_at']} ({incident['kind']}, "
                 f"{incident['status']}): {incident['message'][:300]}")


def check_worker(settings: Settings, *, now: float | None = None,
                 stale_after: float = HEARTBEAT_STALE_SECONDS) -> Check:
    beat = read_heartbeat(heartbeat_path(settings))
    if beat is None:
        return Check("worker", False, "no heartbeat: the worker has not started")
    age = (now or time.time()) - float(beat.get("at", 0))
    if beat.get("state") != "running":
        return Check("worker", False, f"worker {beat.get('state')} {age:.0f} s ago")
    if age > stale_after:
        return Check("worker", False, f"heartbeat {age:.0f} s old (limit {stale_after:.0f} s)")
    return Check("worker", True, f"heartbeat {age:.0f} s ago (pid {beat.get('pid')})")


def check_templates(directory: Path | None = None) -> Check:
    """The required templates exist and every template under `directory` parses; the
    emails' and the PDF's compile in the environment that renders them."""
    documents = templating.make_environment(directory or TEMPLATES_DIR)
    try:
        names = documents.list_templates()
        missing = [n for n in (*DOCUMENT_TEMPLATES, *PAGE_TEMPLATES) if n not in names]
        if missing:
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            return Check("templates", False, f"missing: {', '.join(missing[:3])}{more}")
        for name in names:
            # Pages use the web's filters, unknown here: parsing finds their syntax errors.
            assert documents.loader is not None
            source, filename, _ = documents.loader.get_source(documents, name)
            documents.parse(source, name, filename)
        for name in DOCUMENT_TEMPLATES:
            documents.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        return Check("templates", False, f"{exc.name}:{exc.lineno}: {exc.message}")
    except Exception as exc:  # any failure to load means the worker cannot render mail
        return Check("templates", False, f"cannot load: {exc}")
    return Check("templates", True, f"{len(names)} parsed")


def check_renderer() -> Check:
    # Imported here: WeasyPrint costs the web process seconds and megabytes at start-up,
    # and only the renderer's helper process needs it.
    from compass import pdf

    try:
        rendered = pdf.render_pdf(RENDER_PROBE, timeout=RENDER_TIMEOUT_SECONDS,
                                  startup_allowance=RENDER_STARTUP_SECONDS)
    except pdf.PdfError as exc:
        return Check("pdf", False, str(exc))
    if rendered.pages != 1:
        return Check("pdf", False, f"the probe rendered {rendered.pages} pages, not 1")
    return Check("pdf", True, f"rendered in {rendered.seconds:.2f} s")


def readiness(settings: Settings) -> list[Check]:
    """Every check, each with what it found. Blocking: call it from a thread."""
    if not settings.db_path.exists():
        checks = [Check("database", False, f"{settings.db_path} does not exist")]
    else:
        db = store.open_for_checks(settings.db_path)
        try:
            checks = [check_database(db, settings.COMPASS_DATA_DIR), check_migrations(db),
                      check_ai_service(db)]
            if checks[1].ok:
                checks.append(check_mail(db))
        finally:
            db.conn.close()
    return [*checks, check_queue(settings), check_worker(settings), check_templates(),
            check_renderer()]
