"""`samskap slack ...`: tools for setting up the Slack app."""

from __future__ import annotations

import argparse
import asyncio
import sys

from adapters.slack.manifest import build_manifest, manifest_yaml
from bot.app import build_bot
from bot.config import load_config


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="samskap slack", description="Slack tools.")
    sub = parser.add_subparsers(dest="command")
    manifest = sub.add_parser("manifest", help="print the Slack app manifest (YAML) to create the app with")
    manifest.add_argument("--url", help="public base URL of the bot, e.g. https://samskap.kommune.no")
    manifest.add_argument("--socket-mode", action="store_true", help="connect over Socket Mode (no public URL)")
    manifest.add_argument("--name", default="samskap", help="the app's name in Slack")
    manifest.add_argument("--config", help="TOML configuration file (for the language of the descriptions)")
    args = parser.parse_args(argv)
    if args.command != "manifest":
        parser.print_help()
        return 2
    if not args.url and not args.socket_mode:
        print("Give --url https://your.server (HTTP) or --socket-mode.", file=sys.stderr)
        return 2
    if args.url and not args.url.startswith(("https://", "http://")):
        print(f"--url must start with https:// (it is {args.url!r}).", file=sys.stderr)
        return 2
    print(asyncio.run(_manifest(args)), end="")
    return 0


async def _manifest(args: argparse.Namespace) -> str:
    config = load_config(args.config)
    # The router is all that is needed: no migration, and the engine is never connected.
    config.database_url = "sqlite:///:memory:"
    bot = await build_bot(config, migrate=False)
    try:
        manifest = build_manifest(
            bot.router, bot.translator_for(), url=args.url, socket_mode=args.socket_mode, name=args.name
        )
    finally:
        await bot.db.dispose()
    return manifest_yaml(manifest)
