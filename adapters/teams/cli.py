"""`samskap teams ...`: tools for setting up the Teams app."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path

from adapters.teams.manifest import OTHER_LANGUAGES, PROJECT_URL, build_manifest, localization, package
from bot.app import build_bot
from bot.config import load_config
from bot.i18n import translator

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="samskap teams", description="Teams tools.")
    sub = parser.add_subparsers(dest="command")
    manifest = sub.add_parser("manifest", help="write the Teams app package (a zip to upload in Teams)")
    manifest.add_argument("--app-id", help="the bot's Microsoft app id (default: MicrosoftAppId)")
    manifest.add_argument("--name", default="samskap", help="the app's name in Teams")
    manifest.add_argument("--url", default=PROJECT_URL, help="web page about the app (and its privacy terms)")
    manifest.add_argument("--version", default="1.0.0", help="the package's version; raise it for each update")
    manifest.add_argument("--channel-messages", action="store_true",
                          help="ask to read every channel message (links shared without @samskap)")  # fmt: skip
    manifest.add_argument("--output", default="samskap-teams.zip", help="where to write the package")
    manifest.add_argument("--config", help="TOML configuration file")
    args = parser.parse_args(argv)
    if args.command != "manifest":
        parser.print_help()
        return 2
    app_id = (args.app_id or os.environ.get("MicrosoftAppId")
              or os.environ.get("CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID") or "").strip()  # fmt: skip
    if not GUID.match(app_id):
        print(f"Give the bot's app id (a GUID) with --app-id or MicrosoftAppId (it is {app_id!r}).", file=sys.stderr)
        return 2
    if not args.url.startswith("https://"):
        print(f"--url must start with https:// (it is {args.url!r}).", file=sys.stderr)
        return 2
    Path(args.output).write_bytes(asyncio.run(_package(args, app_id)))
    print(f"Wrote {args.output}: upload it in Teams (Apps → Manage your apps → Upload an app).")
    return 0


async def _package(args: argparse.Namespace, app_id: str) -> bytes:
    config = load_config(args.config)
    config.database_url = "sqlite:///:memory:"  # only the router is needed
    bot = await build_bot(config, migrate=False)
    try:
        options = {"app_id": app_id, "name": args.name, "url": args.url, "version": args.version,
                   "channel_messages": args.channel_messages}  # fmt: skip
        manifest = build_manifest(bot.router, translator("nb"), **options)
        translations = {tag: localization(build_manifest(bot.router, translator(language), **options))
                        for tag, language in OTHER_LANGUAGES.items()}  # fmt: skip
    finally:
        await bot.db.dispose()
    return package(manifest, translations)
