"""What the Discord adapter keeps between restarts: long button ids and open forms.

Discord limits a component's custom id to 100 characters. A button whose action and value do not
fit is stored here under a short key; a form shown as a modal is stored with the answers given so
far, so a form longer than one modal can be filled in over several steps, and a restart loses none
of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class DiscordStash(Base):
    __tablename__ = "discord_stash"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "button" or "form"
    data: Mapped[dict[str, Any]] = mapped_column()
    # The Discord user a form belongs to ("" for buttons, which anyone may click).
    user_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime]
