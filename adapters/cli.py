"""The `samskap` command line. It lives with the adapters because it chooses and starts one."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from typing import Any

from bot.app import build_bot, configure_logging, freeze_startup_objects, shutdown
from bot.clock import OffsetClock, SystemClock
from bot.config import check_config, load_config
from storage.db import run_migrations

log = logging.getLogger("samskap")
ADAPTERS = ("console", "slack", "discord", "teams")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("slack", "discord", "teams"):
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
    sub.add_parser("teams", help="Teams tools: samskap teams manifest --app-id ID")
    args = parser.parse_args(argv)

    config = load_config(args.config)
    if args.command == "config":
        problems = check_config(config)
        if not problems:
            print(f"The configuration is fine ({config.source}; adapter {config.adapter}).")
            return 0
        print("Problems in the configuration:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    if args.command == "db":
        run_migrations(config.database_url)
        print("The database is up to date.")
        return 0
    if args.command in (None, "run"):
        if getattr(args, "adapter", None):
            config.adapter = args.adapter
        problems = check_config(config)
        if problems:
            print("samskap cannot start:", *problems, sep="\n  - ", file=sys.stderr)
            return 1
        port = getattr(args, "port", None) or int(os.environ.get("PORT", "3000"))
        configure_logging(config.log_level if config.adapter != "console" else "WARNING")
        try:
            asyncio.run(_run(config, {"port": port}))
        except KeyboardInterrupt:
            pass
        return 0
    parser.print_help()
    return 2


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
