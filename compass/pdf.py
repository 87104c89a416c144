"""HTML to PDF with WeasyPrint, locked down and bounded in time.

Two defences, because a PDF renderer given hostile HTML can read local files, reach the
network, or run forever (WeasyPrint's own docs and issue tracker say so):

- `StaticOnlyFetcher` is the only way WeasyPrint loads anything. Documents are rendered
  against a base URL on a reserved, unresolvable origin (`https://static.compass.invalid/`),
  and the fetcher serves exactly the files under our static/ folder for that origin. It
  never opens a socket or a file:// URL, follows no redirects, and refuses everything
  else, recording what it refused.
- Rendering runs in a child process forked from a forkserver that has WeasyPrint already
  imported (so a render starts in milliseconds, not the 1.4 s an import takes), with a
  wall-clock timeout after which the child is killed, and CPU and memory limits set
  inside it. A pathological document cannot hang or exhaust the worker.
"""

from __future__ import annotations

import gc
import json
import logging
import mimetypes
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from compass.templating import ROOT, STATIC_DIR

log = logging.getLogger(__name__)

# A reserved TLD (RFC 2606): even a bug that let a request through could not resolve it.
STATIC_ORIGIN = "https://static.compass.invalid"
BASE_URL = STATIC_ORIGIN + "/"
DEFAULT_TIMEOUT_SECONDS = 20.0
MEMORY_LIMIT_BYTES = 1536 * 1024 * 1024
MAX_STATIC_BYTES = 5 * 1024 * 1024
# Time the helper process may take to start (it imports WeasyPrint, about 1.5 s here).
HELPER_STARTUP_SECONDS = 15.0


class PdfError(RuntimeError):
    """The document could not be rendered."""


class PdfTimeout(PdfError):
    """Rendering took longer than allowed and was stopped."""


class RefusedURL(ValueError):
    """The fetcher does not serve this URL."""


class StaticOnlyFetcher(URLFetcher):
    """Serves /static/... of STATIC_ORIGIN from the static folder; refuses anything else."""

    def __init__(self, static_dir: Path = STATIC_DIR) -> None:
        # No protocols, no redirects, and a refusal is a warning (a refused image must not
        # fail a report). super().fetch, which would open the URL, is never called.
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.static_dir = Path(static_dir).resolve()
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        try:
            path = self.resolve(url)
        except RefusedURL as refusal:
            self.refused.append(url)
            log.warning("pdf: refused to fetch %s (%s)", url[:200], refusal)
            raise
        self.served.append(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def resolve(self, url: str) -> Path:
        """The file a URL stands for, or RefusedURL."""
        parts = urllib.parse.urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}".lower() != STATIC_ORIGIN:
            raise RefusedURL("only our own static files are served")
        if parts.query or "\\" in parts.path or "%" in parts.path:
            raise RefusedURL("no queries, escapes or backslashes in static paths")
        posix = PurePosixPath(parts.path)
        if posix.parts[:2] != ("/", "static") or ".." in posix.parts or len(posix.parts) < 3:
            raise RefusedURL("not under /static/")
        path = (self.static_dir / PurePosixPath(*posix.parts[2:])).resolve()
        # resolve() follows symlinks, so a link pointing out of static/ is caught here too.
        if not path.is_relative_to(self.static_dir) or not path.is_file():
            raise RefusedURL("no such static file")
        if path.stat().st_size > MAX_STATIC_BYTES:
            raise RefusedURL("static file too large")
        return path


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    seconds: float
    refused: list[str]
    served: list[str]
    cpu_seconds: float = 0.0  # the render's own CPU time: `seconds` less waiting for a core


def render_in_process(html: str) -> Rendered:
    """Render here, in this process: only for the child below and for tests."""
    started, cpu_started = time.perf_counter(), time.process_time()
    fetcher = StaticOnlyFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    pdf = document.write_pdf()
    assert isinstance(pdf, bytes)
    return Rendered(pdf=pdf, pages=len(document.pages), seconds=time.perf_counter() - started,
                    refused=list(fetcher.refused), served=list(fetcher.served),
                    cpu_seconds=time.process_time() - cpu_started)


# -- the renderer process --------------------------------------------------------------------
# multiprocessing's forkserver would re-import the parent's __main__ (huey_consumer, uvicorn,
# pytest) in every child, so the helper is a plain subprocess of our own: `python -m
# compass.pdf --serve` imports WeasyPrint once, then for each request forks a single-use
# child (the helper is single-threaded, so forking it is safe), waits for it with a deadline
# and kills it when the deadline passes. Requests and answers are JSON lines; the document
# and the PDF travel through files in a private temporary directory.

def _render_child(work: Path, cpu_seconds: int) -> int:
    # No cyclic garbage collection: the child renders once and exits, its memory is capped
    # (RLIMIT_AS), and a premium report peaks at the same ~110 MB either way, while the
    # collector's passes over WeasyPrint's many small objects cost 5-10% of the render.
    gc.disable()
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    try:
        rendered = render_in_process((work / "in.html").read_text(encoding="utf-8"))
        (work / "out.pdf").write_bytes(rendered.pdf)
        meta = {"seconds": rendered.seconds, "pages": rendered.pages, "refused": rendered.refused,
                "served": rendered.served, "cpu_seconds": rendered.cpu_seconds}
        code = 0
    except BaseException as exc:  # everything, MemoryError included, is reported
        meta, code = {"error": f"{type(exc).__name__}: {exc}"[:2000]}, 1
    (work / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return code


WARM_UP_HTML = ('<p style="font-family: Inter, \'DejaVu Sans\', sans-serif">Warm <b>up</b>'
                ' <span style="font-weight: 600">1–2</span></p>')


def serve() -> None:
    """The helper's loop: one JSON request per line on stdin, one answer per line on stdout."""
    # One small render first, so fontconfig's caches, the fonts the reports use and any
    # module WeasyPrint imports lazily are loaded once here, not again in every child.
    render_in_process(WARM_UP_HTML)
    # Everything loaded so far is permanent: moved out of the collector's sight once, so no
    # child's collection (should one run) walks it again.
    gc.collect()
    gc.freeze()
    for line in sys.stdin:
        request = json.loads(line)
        work, timeout = Path(request["dir"]), float(request["timeout"])
        pid = os.fork()
        if pid == 0:  # the child renders, then leaves without running any cleanup
            os._exit(_render_child(work, int(timeout) + 1))
        deadline = time.monotonic() + timeout
        status = None
        while status is None:
            done, wait_status = os.waitpid(pid, os.WNOHANG)
            if done:
                status = {"status": "exited", "code": os.waitstatus_to_exitcode(wait_status)}
            elif time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status = {"status": "timeout"}
            else:
                time.sleep(0.005)
        sys.stdout.write(json.dumps(status) + "\n")
        sys.stdout.flush()


class _Renderer:
    """This process's helper, started on first use and restarted if it dies or hangs."""

    def __init__(self, command: list[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._helper: subprocess.Popen[bytes] | None = None
        self._command = command or [sys.executable, "-m", "compass.pdf", "--serve"]

    def _ensure_helper(self) -> subprocess.Popen[bytes]:
        if self._helper is None or self._helper.poll() is not None:
            self._helper = subprocess.Popen(  # noqa: S603 - our own helper; tests swap it
                self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
        return self._helper

    def _stop_helper(self) -> None:
        if self._helper is not None:
            self._helper.kill()
            self._helper.wait()
            self._helper = None

    def warm_up(self) -> None:
        with self._lock:
            self._ensure_helper()

    def render(self, html: str, timeout: float, *,
               startup_allowance: float = HELPER_STARTUP_SECONDS) -> Rendered:
        with self._lock, tempfile.TemporaryDirectory(prefix="compass-pdf-") as directory:
            work = Path(directory)
            (work / "in.html").write_text(html, encoding="utf-8")
            helper = self._ensure_helper()
            assert helper.stdin is not None and helper.stdout is not None
            try:
                helper.stdin.write((json.dumps({"dir": directory, "timeout": timeout})
                                    + "\n").encode())
                helper.stdin.flush()
            except BrokenPipeError:
                self._stop_helper()
                raise PdfError("the PDF renderer was not running") from None
            # The helper enforces `timeout`; this margin covers its own start-up (importing
            # WeasyPrint) and a helper that hangs, which is then replaced.
            answer = _read_line(helper.stdout.fileno(), timeout + startup_allowance)
            if answer is None:
                self._stop_helper()
                raise PdfTimeout(f"the PDF renderer did not answer within {timeout:g} s")
            status = json.loads(answer)
            if status["status"] == "timeout":
                raise PdfTimeout(f"rendering took longer than {timeout:g} s and was stopped")
            meta_path = work / "meta.json"
            meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
            if status.get("code") != 0 or "error" in meta:
                raise PdfError(meta.get("error") or "the renderer stopped unexpectedly"
                               f" (exit code {status.get('code')})")
            rendered = Rendered(pdf=(work / "out.pdf").read_bytes(), pages=meta["pages"],
                                seconds=meta["seconds"], refused=meta["refused"],
                                served=meta["served"], cpu_seconds=meta["cpu_seconds"])
        if rendered.refused:
            log.warning("pdf: the document asked for %d URL(s) that were refused: %s",
                        len(rendered.refused), ", ".join(u[:100] for u in rendered.refused[:5]))
        return rendered


def _read_line(fd: int, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    chunks = b""
    while not chunks.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                return None  # the helper died
            chunks += chunk
    return chunks.decode()


_renderer = _Renderer()


def render_pdf(html: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS,
               startup_allowance: float = HELPER_STARTUP_SECONDS) -> Rendered:
    """Render `html` in a child process; PdfTimeout after `timeout` seconds of wall clock
    (plus `startup_allowance` when the helper process has to start first)."""
    return _renderer.render(html, timeout, startup_allowance=startup_allowance)


def warm_up() -> None:
    """Start the helper now (it imports WeasyPrint, seconds on a busy machine), so the first
    receipt or report after a worker starts does not pay for it while an order waits."""
    _renderer.warm_up()


if __name__ == "__main__":
    if sys.argv[1:] != ["--serve"]:
        raise SystemExit("usage: python -m compass.pdf --serve  (started by compass.pdf itself)")
    serve()
