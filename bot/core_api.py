"""What a feature may use of the bot: its parts and the few things the core does for features.

Features take a `CoreApi`, not the `Bot`: dispatching events, the middleware and the adapters stay
the core's own business, so a feature cannot reach around the core to a platform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.adapter import SentMessage
    from bot.clock import Clock
    from bot.config import Config
    from bot.core import DataEraser, DataExporter, HomeProvider, NetworkHook
    from bot.events import Conversation, User
    from bot.i18n import Translator
    from bot.messages import Message
    from bot.outbox import Outbox
    from bot.router import Router
    from bot.scheduler import Scheduler
    from bot.services import Services
    from bot.settings import SettingsRegistry
    from storage.db import Database
    from storage.models.core import Member, Network
    from storage.repositories.core import Networks


class CoreApi(Protocol):
    config: Config
    db: Database
    clock: Clock
    scheduler: Scheduler
    outbox: Outbox
    router: Router
    settings: SettingsRegistry
    services: Services
    # What each feature keeps about a member (`mine-data`), erases (`slett-meg`), and shows on "home".
    data_exporters: dict[str, DataExporter]
    data_erasers: list[DataEraser]
    home_providers: list[HomeProvider]
    # Planning each network needs once per process (its weekly digest job), before its first event.
    network_hooks: list[NetworkHook]

    def translator_for(self, member: Member | None = None, network: Network | None = None) -> Translator: ...

    @staticmethod
    def user_of(member: Member) -> User: ...

    async def send_dm(self, member: Member, message: Message, *, key: str) -> None: ...

    async def home(self, member: Member) -> Message: ...

    async def update(self, sent: SentMessage, message: Message) -> None: ...

    async def open_group(self, users: list[User], topic: str) -> Conversation: ...

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation: ...

    async def announce_channel(self, network: Network) -> Conversation | None: ...

    async def set_member_option(self, member: Member, name: str, value: Any) -> None: ...

    async def set_network_setting(self, network: Network, actor: Member, name: str, value: Any) -> None: ...

    async def create_network(self, networks: Networks, platform: str, workspace_id: str, name: str = "") -> Network: ...
