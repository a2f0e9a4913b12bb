"""The Slack adapter: Bolt for Python over HTTP or Socket Mode, the Web API and Block Kit."""

from pathlib import Path

from bot.i18n import add_catalogs

add_catalogs(Path(__file__).parent / "locale")  # the texts only Slack shows
