"""Files in Teams: a bot can send one only in a 1:1 chat, and only once the person accepts it.

The bot offers the file with a consent card; Teams asks the person, and on "Allow" sends an
invoke (`fileConsent/invoke`) with an upload URL in their OneDrive. samskap uploads the bytes
there and posts a file card that opens it. In channels and group chats Teams has no way for a
bot to attach a file, so the message names the file and it is offered in each person's 1:1 chat.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from adapters.teams.errors import delivering
from bot.messages import Attachment

CONSENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
INFO_TYPE = "application/vnd.microsoft.teams.card.file.info"
FILE_KEY = "samskap_file"
CONSENT_INVOKE = "fileConsent/invoke"
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60)


def consent_activity(attachment: Attachment, key: str) -> dict[str, Any]:
    size = len(attachment.content.encode())
    content = {"description": attachment.filename, "sizeInBytes": size,
               "acceptContext": {FILE_KEY: key}, "declineContext": {FILE_KEY: key}}  # fmt: skip
    return {"type": "message", "attachments": [{"contentType": CONSENT_TYPE, "name": attachment.filename,
                                                "content": content}]}  # fmt: skip


def file_key(value: Any) -> str | None:
    context = value.get("context") if isinstance(value, dict) else None
    key = context.get(FILE_KEY) if isinstance(context, dict) else None
    return key if isinstance(key, str) else None


async def upload(upload_url: str, content: bytes) -> None:
    """Put the whole file in one request (samskap's files are small: invitations, exports)."""
    headers = {"Content-Length": str(len(content)), "Content-Range": f"bytes 0-{len(content) - 1}/{len(content)}"}
    async with delivering(), aiohttp.ClientSession(timeout=UPLOAD_TIMEOUT) as session:
        async with session.put(upload_url, data=content, headers=headers) as response:
            response.raise_for_status()


def file_info_activity(upload_info: dict[str, Any]) -> dict[str, Any]:
    content = {"uniqueId": upload_info.get("uniqueId", ""), "fileType": upload_info.get("fileType", "")}
    info = {"contentType": INFO_TYPE, "contentUrl": upload_info.get("contentUrl", ""),
            "name": upload_info.get("name", ""), "content": content}  # fmt: skip
    return {"type": "message", "attachments": [info]}
