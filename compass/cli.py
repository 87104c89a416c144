"""`compass …`: the operator's command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from compass import startup, store
from compass.settings import ConfigurationError, get_settings
from compass.tiers import TIERS, get_tier


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    db = store.connect(settings.db_path)
    applied = store.migrate(db)
    for migration in applied:
        print(f"applied {migration.version:03d} {migration.name}")
    print(f"{settings.db_path}: schema at version {max(store.applied_versions(db))}")
    return 0


def _load_input(path: Path):
    from compass.intake import OrderInput

    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(f"error: no such input file: {path}") from None
    except json.JSONDecodeError as error:
        raise SystemExit(f"error: {path} is not valid JSON: {error}") from None
    try:
        return OrderInput.model_validate(raw)
    except ValidationError as error:
        lines = [f"  {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        raise SystemExit(f"error: {path} is not a valid order form:\n" + "\n".join(lines)) from None


def cmd_sample_report(args: argparse.Namespace) -> int:
    from compass import sample

    started = time.perf_counter()
    path = sample.build(get_settings(), force=args.force)
    print(f"sample report: {path} ({time.perf_counter() - started:.1f} s)")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from compass.engine import EngineFailed, run_engine
    from compass.engine.provider import build_provider

    settings = get_settings()
    order_input = _load_input(Path(args.input))
    tier = get_tier(args.tier)
    db = store.open_database(settings.db_path)
    run_id = args.run_id or f"gen-{secrets.token_hex(6)}"
    quiet = args.quiet

    def show(percent: int, phase: str, label: str) -> None:
        if not quiet:
            print(f"  {percent:3d}%  {label}", file=sys.stderr)

    async def generate() -> dict:
        provider = build_provider(settings)
        try:
            return await run_engine(order_input, tier, provider=provider, db=db, run_id=run_id,
                                    progress=show, model=settings.model_for(tier.name))
        finally:
            await provider.aclose()

    started = time.perf_counter()
    try:
        result = asyncio.run(generate())
    except EngineFailed as failure:
        print(f"failed: {failure.reason}\nrun id {run_id} (run again with --run-id {run_id} "
              "to reuse the calls that succeeded)", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    else:
        print(text)
    _summary(result, elapsed, args.out)
    return 0


def _summary(result: dict, elapsed: float, out: str | None) -> None:
    usage, consensus = result["usage"], result["consensus"]
    lines = [
        f"{result['company']['name']} — {result['tier']} tier"
        + (" (offline model: illustrative, not from Claude)" if result["offline"] else ""),
    ]
    for workflow in result["workflows"]:
        lines.append(f"  {workflow['rank']}. {workflow['name']}  [{workflow['domain_label']}, "
                     f"{workflow['feasibility']}, {workflow['votes']}/5 votes"
                     + ("" if workflow.get("agreed", True) else ", exploratory") + "]")
    domains = sorted({w["domain_label"] for w in result["workflows"]})
    lines += [
        f"domains: {len(domains)} ({', '.join(domains)})",
        f"consensus: {consensus['method']} ({consensus.get('grouping', {}).get('method', '')} "
        f"grouping), {consensus['agreed']} agreed of {consensus['candidates']} candidates; "
        f"{consensus.get('selected_agreed', '?')} of {len(result['workflows'])} in the report "
        f"agreed, confidence {consensus['confidence_percent']}%",
        f"QA score: {result['qa']['score']}/10 ({'pass' if result['qa']['passed'] else 'fail'}, "
        f"attempt {result['qa']['attempts']})",
        f"calls: {usage['calls']} ({usage['calls_retried']} retried, {usage['calls_reused']} "
        f"reused); tokens: {usage['input_tokens']:,} in, {usage['output_tokens']:,} out, "
        f"{usage['cache_read_tokens']:,} cache read, {usage['cache_write_tokens']:,} cache write",
        f"cost: ${usage['cost_usd']:.4f}; time: {elapsed:.2f} s",
    ]
    if out:
        lines.append(f"report written to {out}")
    print("\n".join(lines), file=sys.stderr)


def cmd_backup_verify(args: argparse.Namespace) -> int:
    from compass.backups import cmd_backup_verify

    return cmd_backup_verify(args)


# honcho sends SIGKILL this long after SIGTERM (its own default, 5 s, would cut the worker's
# drain short): above the worker's huey --shutdown-timeout (36 s, the Procfile), under
# fly.toml's kill_timeout (45 s) so Litestream still makes its last sync.
PROCS_KILL_WAIT_SECONDS = 40.0


def cmd_procs(args: argparse.Namespace) -> int:
    """`compass procs start -f Procfile`: honcho, with the grace period the deploy promises."""
    import honcho.command
    import honcho.manager

    honcho.manager.KILL_WAIT = PROCS_KILL_WAIT_SECONDS
    try:
        honcho.command.main(args.honcho)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="compass", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(handler=cmd_migrate)

    generate = commands.add_parser("generate", help="run the engine on an order form (JSON)")
    generate.add_argument("--tier", required=True, choices=sorted(TIERS))
    generate.add_argument("--input", required=True, help="JSON with the order form's fields")
    generate.add_argument("--out", help="write the result here (default: standard output)")
    generate.add_argument("--run-id", help="resume this run, reusing its successful calls")
    generate.add_argument("--quiet", action="store_true", help="no progress lines")
    generate.set_defaults(handler=cmd_generate)

    sample = commands.add_parser(
        "sample-report", help="build the landing page's sample report (offline model)")
    sample.add_argument("--force", action="store_true", help="rebuild it even if it exists")
    sample.set_defaults(handler=cmd_sample_report)

    verify = commands.add_parser(
        "backup-verify", help="restore the latest replica to a temporary file and check it")
    verify.add_argument("--json", action="store_true", help="print the reports as JSON")
    verify.add_argument("--max-lag", type=float, default=300.0, metavar="SECONDS",
                        help="fail when the replica is further behind than this (default 300)")
    verify.set_defaults(handler=cmd_backup_verify)

    procs = commands.add_parser(
        "procs", help="run the Procfile (honcho) with a 40 s stop grace period")
    procs.add_argument("honcho", nargs=argparse.REMAINDER, help="honcho's arguments")
    procs.set_defaults(handler=cmd_procs)

    from compass import ops_cli  # orders, retry, refund, resend, login-link, reconcile

    ops_cli.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    startup.start_process()
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
