"""The `samskap` command line. It lives with the adapters because it chooses and starts one."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from typing import Any

from bot.app import build_bot, freeze_startup_objects, shutdown
from bot.clock import OffsetClock, SystemClock
from bot.config import Config, check_config, file_problems, load_config, secret_values
from bot.logs import configure_logging
from storage.check import database_problem
from storage.db import run_migrations

log = logging.getLogger("samskap")
ADAPTERS = ("console", "slack", "discord")
# The exit code for a configuration samskap cannot run with (argparse uses it for bad arguments too).
CONFIG_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("slack", "discord"):
        return importlib.import_module(f"adapters.{argv[0]}.cli").main(argv[1:])
    parser = argparse.ArgumentParser(prog="samskap", description="A chat-bot for learning networks.")
    parser.add_argument("--config", help="TOML configuration file (default: samskap.toml if it exists)")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="start the bot")
    run.add_argument("--adapter", choices=ADAPTERS, help="chat platform (default: from config, else console)")
    run.add_argument("--port", type=int, help="HTTP port for adapters that serve HTTP (default 3000 or PORT)")
    config_cmd = sub.add_parser("config", help="configuration")
    config_cmd.add_argument("action", choices=["check"])
    db_cmd = sub.add_parser("db", help="database")
    db_cmd.add_argument("action", choices=["upgrade"])
    sub.add_parser("slack", help="Slack tools: samskap slack manifest --url URL")
    sub.add_parser("discord", help="Discord tools: samskap discord sync-commands [--guild ID]")
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
        run_migrations(config.database_url)
        print("The database is up to date.")
        return 0
    if args.command in (None, "run"):
        if getattr(args, "adapter", None):
            config.adapter = args.adapter
        problems = check_everything(config)
        if problems:
            return cannot_start(problems)
        port = getattr(args, "port", None) or int(os.environ.get("PORT", "3000"))
        configure_logging(config.log_level if config.adapter != "console" else "WARNING", secret_values())
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


def check_everything(config: Config) -> list[str]:
    """The configuration's problems, then the database's (only worth asking when the rest is right)."""
    return check_config(config) or _database_problems(config)


def _database_problems(config: Config) -> list[str]:
    problem = asyncio.run(database_problem(config.database_url))
    return [problem] if problem else []


def cannot_start(problems: list[str]) -> int:
    for problem in problems:
        print(f"samskap cannot start: {problem}", file=sys.stderr)
    return CONFIG_ERROR


async def _run(config: Any, options: dict[str, Any]) -> None:
    clock = OffsetClock() if config.adapter == "console" else SystemClock()
    bot = await build_bot(config, clock=clock)
    runner = importlib.import_module(f"adapters.{config.adapter}.runner")
    freeze_startup_objects()
    try:
        await runner.serve(bot, options)
    finally:
        await shutdown(bot)


if __name__ == "__main__":
    raise SystemExit(main())
