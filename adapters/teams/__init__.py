"""The Teams adapter: the Microsoft 365 Agents SDK, the Bot Connector and Adaptive Cards."""

from pathlib import Path

from bot.i18n import add_catalogs

add_catalogs(Path(__file__).parent / "locale")  # the texts only Teams shows
