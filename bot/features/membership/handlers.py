"""Thin chat handlers for membership; the logic is in service.py, what members see in cards.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.command_names import setting_code, setting_name
from bot.context import Context, MemberContext
from bot.core import no_network_message
from bot.events import ActionEvent
from bot.features.membership import cards
from bot.features.membership.service import MembershipError, MembershipService
from bot.i18n import LANGUAGE_NAMES, N_, normalise_language
from bot.mentions import find_member, split_mention
from bot.messages import Message
from bot.times import find_zone
from storage.models.core import Role

if TYPE_CHECKING:
    from bot.core_api import CoreApi

SAMSKAP = "samskap"
CONFIRM = ("bekreft", "stadfest", "confirm")
ROLE_WORDS = {
    "deltaker": Role.PARTICIPANT,
    "deltakar": Role.PARTICIPANT,
    "participant": Role.PARTICIPANT,
    "skoleleder": Role.SCHOOL_LEADER,
    "skuleleiar": Role.SCHOOL_LEADER,
    "school-leader": Role.SCHOOL_LEADER,
    "nettverksleder": Role.NETWORK_LEADER,
    "nettverksleiar": Role.NETWORK_LEADER,
    "leder": Role.NETWORK_LEADER,
    "leiar": Role.NETWORK_LEADER,
    "leader": Role.NETWORK_LEADER,
}
# Extra words a network leader adds to the welcome in the channel (a network setting).
WELCOME_SETTING = "velkomst"
CHOOSE_LANGUAGE = N_("Choose nb (bokmål), nn (nynorsk) or en (English).")
NO_SUCH_SETTING = N_("There is no setting called {name}.")
LEADER_USAGE = N_("role @name <participant|school-leader|leader> | setting <name> <value> | overview")
ERASED = N_(
    "Done: everything I stored about you is deleted, and your name and words are taken out of "
    "what I keep of messages I sent. Messages already posted on the platform stay there: what you "
    "wrote yourself, and what I posted for you (ideas, reports, rounds, digests). Delete your own "
    "messages there, or ask a workspace admin to delete the others. You are welcome back any time."
)


class MembershipHandlers:
    """Joining, help, a member's settings and data, and what leaders and admins set up."""

    def __init__(self, service: MembershipService) -> None:
        self.service = service

    async def help(self, ctx: Context) -> None:
        if ctx.args:
            await ctx.reply(ctx.t("I don't know /samskap {sub}. Here is what I can do:", sub=ctx.args.split()[0]))
        await ctx.reply(help_message(ctx))

    async def join(self, ctx: Context) -> None:
        if ctx.network is None:
            await ctx.reply(no_network_message(ctx))
            return
        member, new = await self.service.join(ctx.network, ctx.event.user, ctx.args)
        ctx.member = member
        ctx.translator = ctx.bot.translator_for(member, ctx.network)
        if not new:
            await ctx.reply(ctx.t("Your school is now {school}.", school=member.school))
            return
        await ctx.reply(cards.joined(ctx.translator, ctx.network, member))

    async def join_button(self, ctx: Context) -> None:
        await ctx.reply(ctx.t("Join with /samskap bli-med <your school>, for example /samskap bli-med Nordby skole."))

    async def settings(self, ctx: MemberContext) -> None:
        name, _, raw = ctx.args.partition(" ")
        name = name.lower()
        if not name:
            await ctx.reply(cards.settings_message(ctx.translator, ctx.bot.settings, ctx.member))
            return
        if name in ("språk", "language", "sprak"):
            language = normalise_language(raw)
            if language is None:
                raise MembershipError(CHOOSE_LANGUAGE)
            await self.service.set_language(ctx.member, language)
            ctx.translator = ctx.bot.translator_for(ctx.member, ctx.network)
            await ctx.reply(ctx.t("I will write to you in English."))
            return
        if (command := ctx.bot.settings.member_commands.get(setting_code(name))) is not None:
            ctx.args = raw.strip()
            await command.handler(ctx)
            return
        spec = ctx.bot.settings.member.get(setting_code(name))
        if spec is None:
            await ctx.reply(ctx.t(NO_SUCH_SETTING, name=name))
            await ctx.reply(cards.settings_message(ctx.translator, ctx.bot.settings, ctx.member))
            return
        value = spec.parse(raw)  # a SettingError is the member's to fix: the core answers it
        await ctx.bot.set_member_option(ctx.member, spec.name, value)
        await ctx.reply(cards.saved(ctx.translator, setting_name(spec.name, ctx.language), value, spec))

    async def toggle(self, ctx: MemberContext[ActionEvent]) -> None:
        spec = ctx.bot.settings.member.get(ctx.event.value)
        if spec is None or not isinstance(spec.default, bool):
            raise MembershipError("This button no longer works. Try the command instead.")
        value = not ctx.bot.settings.member_value(ctx.member, spec.name)
        await ctx.bot.set_member_option(ctx.member, spec.name, value)
        await ctx.reply(cards.saved(ctx.translator, setting_name(spec.name, ctx.language), value, spec))

    async def home(self, ctx: MemberContext) -> None:
        await ctx.reply(await ctx.bot.home(ctx.member))

    async def my_data(self, ctx: MemberContext) -> None:
        data = await self.service.export(ctx.member)
        await ctx.reply(cards.my_data(ctx.translator, data), visibility="dm")
        if not ctx.event.conversation.is_direct:
            await ctx.reply(ctx.t("I have sent you your data in a direct message."))

    async def delete_me(self, ctx: MemberContext) -> None:
        if ctx.args.strip().lower() in CONFIRM:
            await self.erase(ctx)
            return
        await self.service.check_can_leave(ctx.member)
        await ctx.reply(cards.delete_me_question(ctx.translator))

    async def erase(self, ctx: MemberContext) -> None:
        await self.service.erase(ctx.member)
        await ctx.reply(ctx.t(ERASED))

    async def keep(self, ctx: MemberContext[ActionEvent]) -> None:
        await ctx.reply(ctx.t("Good, nothing was deleted."))

    async def leader(self, ctx: MemberContext) -> None:
        action, _, rest = ctx.args.partition(" ")
        action = action.lower()
        if action in ("rolle", "role", "promoter", "promote", "demoter", "demote"):
            await self._set_role(ctx, action, rest)
            return
        if action in ("innstilling", "setting", "set"):
            name, _, raw = rest.strip().partition(" ")
            if name:  # with no name, the settings and how to change them are the answer
                await set_network_setting(ctx, name.lower(), raw.strip())
                return
        if action in ("oversikt", "overview") and (overview := ctx.bot.services.leaders_overview) is not None:
            await ctx.reply(await overview.link_message(ctx.translator, ctx.member, ctx.network))
            return
        await ctx.reply(cards.leader_message(ctx.translator, ctx.bot.settings, ctx.network))

    async def _set_role(self, ctx: MemberContext, action: str, rest: str) -> None:
        mention, role_word = split_mention(rest)
        if action in ("promoter", "promote"):
            role_word = "nettverksleder"
        elif action in ("demoter", "demote"):
            role_word = "deltaker"
        role = ROLE_WORDS.get(role_word.strip().lower())
        if mention is None or role is None:
            raise MembershipError("Write: /samskap leder rolle @name deltaker|skoleleder|nettverksleder")
        async with ctx.bot.db.session() as s:
            target = await find_member(s, ctx.network.id, mention)
        if target is None:
            raise MembershipError("{who} has not joined the network.", who=mention)
        await self.service.set_role(ctx.network, ctx.member, target, role)
        await ctx.reply(ctx.t("{name} is now {role}.", name=target.display_name, role=ctx.t(cards.ROLE_NAMES[role])))

    async def setup_network(self, ctx: Context) -> None:
        network, created = await self.service.setup_network(ctx.event.user, ctx.event.conversation, ctx.args.strip())
        ctx.network = network
        if created:
            await ctx.reply(ctx.t("The network {name} is set up, and this channel is linked to it. "
                                  "Everyone can now join with /samskap bli-med <school>.", name=network.name),
                            visibility="channel")  # fmt: skip
        else:
            await ctx.reply(ctx.t("This channel is now linked to the network {name}.", name=network.name))

    async def welcome(self, ctx: Context) -> None:
        if ctx.network is None or ctx.member is not None:
            return
        extra = ctx.bot.settings.network_value(ctx.network, WELCOME_SETTING)
        name = ctx.event.user.display_name or ctx.event.user.id
        await ctx.reply(cards.welcome(ctx.translator, ctx.network, name, extra))


async def set_network_setting(ctx: MemberContext, name: str, raw: str) -> None:
    value: object
    if name in ("språk", "language"):
        value = normalise_language(raw)
        if value is None:
            raise MembershipError(CHOOSE_LANGUAGE)
        name = "language"
    elif name in ("tidssone", "timezone"):
        if find_zone(raw) is None:
            raise MembershipError("Unknown time zone {tz}; use a name like Europe/Oslo.", tz=raw)
        name, value = "timezone", raw
    elif name in ("navn", "namn", "name"):
        if not raw or len(raw) > 200:
            raise MembershipError("Give the network a name of at most 200 characters.")
        name, value = "name", raw
    else:
        spec = ctx.bot.settings.network.get(setting_code(name))
        if spec is None:
            await ctx.reply(ctx.t(NO_SUCH_SETTING, name=name))
            await ctx.reply(cards.leader_message(ctx.translator, ctx.bot.settings, ctx.network))
            return
        value = spec.parse(raw)  # a SettingError is the leader's to fix: the core answers it
        name = spec.name
    await ctx.bot.set_network_setting(ctx.network, ctx.member, name, value)
    if name == "language":  # a member without a language of their own now reads the new one
        ctx.translator = ctx.bot.translator_for(ctx.member, ctx.network)
    shown = (
        ctx.t(cards.BUILT_IN_SETTINGS[name]) if name in cards.BUILT_IN_SETTINGS else setting_name(name, ctx.language)
    )
    shown_value = LANGUAGE_NAMES[str(value)] if name == "language" else value
    await ctx.reply(cards.saved(ctx.translator, shown, shown_value, ctx.bot.settings.network.get(name)))


def help_message(ctx: Context) -> Message:
    return cards.help_message(ctx.translator, ctx.bot.router, ctx.member, ctx.adapter.default_subcommand)


def register(bot: CoreApi, service: MembershipService) -> None:
    h, r = MembershipHandlers(service), bot.router
    r.command((SAMSKAP, "samskap-help"), access="anyone", help=N_("Help and an overview of what I can do"))(h.help)
    r.command(SAMSKAP, sub=("bli-med", "join"), access="anyone", help=N_("Join the network with your school"),
              usage=N_("<school>"))(h.join)  # fmt: skip
    r.action(cards.JOIN, access="anyone", takes_value=False)(h.join_button)
    r.command(SAMSKAP, sub=("innstillinger", "settings"), help=N_("Your language and what you take part in"),
              usage=N_("[name on|off]"))(h.settings)  # fmt: skip
    r.action(cards.TOGGLE)(h.toggle)
    r.command(SAMSKAP, sub=("hjem", "home"), help=N_("Your overview: your ideas, calls and rounds"))(h.home)
    r.command(SAMSKAP, sub=("mine-data", "my-data"), help=N_("See everything I store about you (JSON)"))(h.my_data)
    r.command(SAMSKAP, sub=("slett-meg", "delete-me"), help=N_("Delete everything I store about you"))(h.delete_me)
    r.action(cards.ERASE, takes_value=False)(h.erase)
    r.action(cards.KEEP, takes_value=False)(h.keep)
    r.command(SAMSKAP, sub=("leder", "leader"), access="leader",
              help=N_("For leaders: roles, network settings and the overview page"),
              usage=LEADER_USAGE)(h.leader)  # fmt: skip
    r.command(SAMSKAP, sub=("oppsett", "setup"), access="admin",
              help=N_("For admins: make this workspace a network, and link this channel"))(h.setup_network)  # fmt: skip
    r.on_member_joined()(h.welcome)
