"""The `samskap` command line. It lives with the adapters because it chooses and starts one."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.metadata
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters import mail
from bot.app import build_bot, shutdown, tune_garbage_collector
from bot.clock import OffsetClock, SystemClock
from bot.config import Config, check_config, file_problems, load_config, secret_values
from bot.logs import configure_logging
from storage.backup import BackupError, backup_sqlite
from storage.check import database_problem
from storage.db import run_migrations

log = logging.getLogger("samskap")
ADAPTERS = ("console", "slack", "discord", "teams")
# The exit code for a configuration samskap cannot run with (argparse uses it for bad arguments too).
CONFIG_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("slack", "discord", "teams"):
        return importlib.import_module(f"adapters.{argv[0]}.cli").main(argv[1:])
    parser = argparse.ArgumentParser(prog="samskap", description="A chat-bot for learning networks.")
    parser.add_argument("--config", help="TOML configuration file (default: samskap.toml if it exists)")
    parser.add_argument("--version", action="version", version=f"samskap {_version()}")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="start the bot")
    run.add_argument("--adapter", choices=ADAPTERS, help="chat platform (default: from config, else console)")
    run.add_argument("--port", type=int, help="HTTP port for adapters that serve HTTP (default 3000 or PORT)")
    config_cmd = sub.add_parser("config", help="configuration")
    config_cmd.add_argument("action", choices=["check"])
    db_cmd = sub.add_parser("db", help="database")
    db_cmd.add_argument("action", choices=["upgrade", "backup"])
    db_cmd.add_argument("path", nargs="?", help="backup: the file to write (it must not exist yet)")
    sub.add_parser("demo", help="fill a fresh database with half a term of a demo network, then `samskap run`")
    sub.add_parser("slack", help="Slack tools: samskap slack manifest --url URL")
    sub.add_parser("discord", help="Discord tools: samskap discord sync-commands [--guild ID]")
    sub.add_parser("teams", help="Teams tools: samskap teams manifest --app-id ID")
    args = parser.parse_args(argv)

    config = load_config(args.config)
    if args.command == "config":
        problems = check_everything(config)
        if not problems:
            print(f"The configuration is fine ({config.source}; adapter {config.adapter}).")
            return 0
        print("Problems in the configuration:")
        for problem in problems:
            print(f"  - {problem}")
        return CONFIG_ERROR
    if args.command == "db":
        problems = file_problems(config) or _database_problems(config)
        if problems:
            return cannot_start(problems)
        if args.action == "backup":
            return _backup(config, args.path)
        run_migrations(config.database_url)
        print("The database is up to date.")
        return 0
    if args.command == "demo":
        problems = check_config(config) + adapter_problems(config) or _database_problems(config)
        return cannot_start(problems) if problems else asyncio.run(_demo(config))
    if args.command in (None, "run"):
        if getattr(args, "adapter", None):
            config.adapter = args.adapter
        problems = check_everything(config)
        if problems:
            return cannot_start(problems)
        port = getattr(args, "port", None) or int(os.environ.get("PORT", "3000"))
        configure_logging(
            config.log_level if config.adapter != "console" else "WARNING", secret_values(), config.log_format
        )
        try:
            # The console serves HTTP (the leaders' page, /healthz) only when asked with --port.
            asyncio.run(_run(config, {"port": port, "http": getattr(args, "port", None) is not None}))
        except KeyboardInterrupt:
            pass
        except SystemExit as stop:  # a runner that found its settings wanting says why in words
            if isinstance(stop.code, str):
                return cannot_start(stop.code.splitlines())
            raise
        return 0
    parser.print_help()
    return 2


def _version() -> str:
    try:
        return importlib.metadata.version("samskap")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _backup(config: Config, path: str | None) -> int:
    if not path:
        return cannot_start(["Name the file to write: samskap db backup /path/to/backup.db"])
    try:
        written = backup_sqlite(config.database_url, Path(path))
    except BackupError as err:
        return cannot_start([str(err)])
    print(f"The database is copied to {written}.")
    return 0


def check_everything(config: Config) -> list[str]:
    """The configuration's problems, then the database's (only worth asking when the rest is right)."""
    return check_config(config) + adapter_problems(config) or _database_problems(config)


def adapter_problems(config: Config, env: dict[str, str] | None = None) -> list[str]:
    """What the chosen adapter itself needs (`config_problems(config, env)` in its options module,
    where it has one): the core knows no platform's settings."""
    if config.adapter not in ADAPTERS or config.adapter == "console":
        return []
    options = importlib.import_module(f"adapters.{config.adapter}.options")
    check = getattr(options, "config_problems", None)
    return check(config, dict(os.environ) if env is None else env) if check else []


def _database_problems(config: Config) -> list[str]:
    problem = asyncio.run(database_problem(config.database_url))
    return [problem] if problem else []


def cannot_start(problems: list[str]) -> int:
    for problem in problems:
        print(f"samskap cannot start: {problem}", file=sys.stderr)
    return CONFIG_ERROR


async def _demo(config: Config) -> int:
    from adapters import demo

    bot = await build_bot(config, clock=OffsetClock())
    try:
        if await demo.already_used(bot):
            return cannot_start([
                "This database already has members. Run the demo on a fresh one, e.g. "
                "SAMSKAP_DATABASE_URL=sqlite:///demo.db samskap demo"
            ])  # fmt: skip
        await demo.fill(bot)
    finally:
        await shutdown(bot)
    print(demo.SUMMARY.format(database=config.database_url))
    return 0


async def _run(config: Any, options: dict[str, Any]) -> None:
    clock = OffsetClock() if config.adapter == "console" else SystemClock()
    bot = await build_bot(config, clock=clock)
    mail.attach(bot)
    runner = importlib.import_module(f"adapters.{config.adapter}.runner")
    tune_garbage_collector()
    # Sending stops with the signal itself: the rest of a fan-out is stored for the other workers.
    options["stop"] = stop_on_signals(bot.outbox.stop_sending)
    try:
        await runner.serve(bot, options)
    finally:
        await shutdown(bot)


def stop_on_signals(at_once: Callable[[], None]) -> asyncio.Event:
    """An event set by the first SIGTERM or SIGINT; the runner then stops taking events and drains.

    Explicit handlers, because as PID 1 in a container a process gets no default action for
    SIGTERM: without them it is ignored until the SIGKILL that follows. A second signal acts at
    once (the default handlers are back), for whoever cannot wait for the drain."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(signum: int) -> None:
        log.info("%s: finishing the work under way, then stopping", signal.Signals(signum).name)
        for each in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(each)
        at_once()
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    return stop


if __name__ == "__main__":
    raise SystemExit(main())
