"""The Discord adapter: discord.py app commands, components, modals and threads."""

from pathlib import Path

from bot.i18n import add_catalogs

add_catalogs(Path(__file__).parent / "locale")  # the texts only Discord shows
