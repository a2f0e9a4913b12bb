"""errbot plugin for the comparison: `!ide <words>` stores the words in the plugin's storage."""

from __future__ import annotations

from typing import Any

from errbot import BotPlugin, botcmd


class Ide(BotPlugin):  # type: ignore[misc]
    @botcmd  # type: ignore[misc]
    def ide(self, msg: Any, args: str) -> str:
        command_id = msg.extras["id"]
        self[f"idea:{command_id}"] = {"text": args, "author": msg.extras["member"], "network": "network"}
        # The test backend has one conversation: the command's id tells the client whose answer it is.
        return f"Idé lagret {command_id}"
