"""`samskap discord ...`: commands for running samskap on Discord.

    samskap discord sync-commands [--guild ID] [--print]

registers the slash commands the core offers (globally, or in one server, where changes show at
once); `--print` only prints them as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import discord
from discord.http import Route

from adapters.discord.commands import application_commands
from adapters.discord.errors import delivery_error
from adapters.discord.options import DiscordOptions
from adapters.discord.rest import Rest
from bot.adapter import DeliveryError
from bot.app import build_bot
from bot.config import load_config
from bot.i18n import translator


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="samskap discord")
    sub = parser.add_subparsers(dest="command", required=True)
    sync = sub.add_parser("sync-commands", help="register the slash commands with Discord")
    sync.add_argument("--guild", help="register in this server only (shows at once; global takes up to an hour)")
    sync.add_argument("--print", action="store_true", help="print the commands as JSON, register nothing")
    sync.add_argument("--config", help="configuration file (default samskap.toml)")
    args = parser.parse_args(argv)
    return asyncio.run(sync_commands(args.config, args.guild, print_only=args.print))


async def build_commands(config_path: str | None) -> list[dict[str, Any]]:
    config = load_config(config_path)
    bot = await build_bot(config, migrate=False)
    try:
        return application_commands(bot.router, translator("nb"), translator("en"))
    finally:
        await bot.db.dispose()


async def sync_commands(config_path: str | None, guild_id: str | None, *, print_only: bool = False) -> int:
    commands = await build_commands(config_path)
    if print_only:
        print(json.dumps(commands, ensure_ascii=False, indent=2))
        return 0
    options = DiscordOptions.from_config(load_config(config_path))
    if not options.token:
        print("Discord needs DISCORD_BOT_TOKEN (or DISCORD_BOT_TOKEN_FILE).", file=sys.stderr)
        return 2
    options.apply_urls()
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(options.token.get())
        application = await http.request(Route("GET", "/oauth2/applications/@me"))
        registered = await Rest(http).overwrite_commands(int(application["id"]), commands, guild_id)
    except (discord.DiscordException, DeliveryError, OSError) as exc:
        error = delivery_error(exc) if not isinstance(exc, DeliveryError) else exc
        print(f"Could not register the commands with Discord ({error.code}).", file=sys.stderr)
        return 1
    finally:
        await http.close()
    where = f"in server {guild_id}" if guild_id else "globally (they can take up to an hour to show)"
    print(f"Registered {len(registered)} commands {where}: {', '.join('/' + c['name'] for c in registered)}")
    return 0
