"""Thin chat handlers for membership; the logic is in service.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.command_names import setting_code, setting_name, shown_name
from bot.context import Context, MemberContext
from bot.core import no_network_message
from bot.events import ActionEvent
from bot.features.membership.service import MembershipService
from bot.i18n import LANGUAGE_NAMES, N_, normalise_language
from bot.mentions import find_member, split_mention
from bot.messages import Attachment, Button, Buttons, ContextLine, Divider, Message, Part, Section, Text
from bot.settings import SettingError, SettingSpec, parse_bool, parse_text
from bot.times import find_zone
from storage.models.core import Role

if TYPE_CHECKING:
    from bot.core_api import CoreApi

ROLE_NAMES = {
    Role.PARTICIPANT: N_("participant"),
    Role.SCHOOL_LEADER: N_("school leader"),
    Role.NETWORK_LEADER: N_("network leader"),
}
# The network's own settings, beside those the features declare; shown in the reader's words.
BUILT_IN_SETTINGS = {"language": N_("language"), "timezone": N_("timezone"), "name": N_("name")}
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


def register(bot: CoreApi, service: MembershipService) -> None:
    r = bot.router
    bot.settings.declare_network(SettingSpec("velkomst", "", parse_text(500), N_("Extra words in the welcome")))

    @r.command(("samskap", "samskap-help"), access="anyone", help=N_("Help and an overview of what I can do"))
    async def help_(ctx: Context) -> None:
        if ctx.args:
            await ctx.reply(ctx.t("I don't know /samskap {sub}. Here is what I can do:", sub=ctx.args.split()[0]))
        await ctx.reply(help_message(ctx))

    @r.command(
        "samskap",
        sub=("bli-med", "join"),
        access="anyone",
        help=N_("Join the network with your school"),
        usage=N_("<school>"),
    )
    async def join(ctx: Context) -> None:
        if ctx.network is None:
            await ctx.reply(no_network_message(ctx))
            return
        member, new = await service.join(ctx.network, ctx.event.user, ctx.args)
        ctx.member = member
        ctx.translator = ctx.bot.translator_for(member, ctx.network)
        if not new:
            await ctx.reply(ctx.t("Your school is now {school}.", school=member.school))
            return
        await ctx.reply(
            Message.of(
                Text(
                    ctx.t(
                        "Welcome to {network}, {name}! You are registered from {school}.",
                        network=ctx.network.name,
                        name=member.display_name,
                        school=member.school,
                    )
                ),
                Text(
                    ctx.t(
                        "Share something you have tried with /ide, find ideas from the others with /ideer, "
                        "and see everything with /samskap."
                    )
                ),
                ContextLine(
                    ctx.t("You lead this network, since you were the first to join.")
                    if member.role == Role.NETWORK_LEADER
                    else ctx.t("I store your name, school and what you share. See it with /samskap mine-data.")
                ),
            )
        )

    @r.action("membership.join", access="anyone", takes_value=False)
    async def join_button(ctx: Context) -> None:
        await ctx.reply(ctx.t("Join with /samskap bli-med <your school>, for example /samskap bli-med Nordby skole."))

    @r.command(
        "samskap",
        sub=("innstillinger", "settings"),
        help=N_("Your language and what you take part in"),
        usage=N_("[name on|off]"),
    )
    async def settings(ctx: MemberContext) -> None:
        name, _, raw = ctx.args.partition(" ")
        name = name.lower()
        if not name:
            await ctx.reply(settings_message(ctx))
            return
        if name in ("språk", "language", "sprak"):
            language = normalise_language(raw)
            if language is None:
                await ctx.reply(ctx.t("Choose nb (bokmål), nn (nynorsk) or en (English)."))
                return
            await service.set_language(ctx.member, language)
            ctx.translator = ctx.bot.translator_for(ctx.member, ctx.network)
            await ctx.reply(ctx.t("I will write to you in English."))
            return
        if (command := ctx.bot.settings.member_commands.get(setting_code(name))) is not None:
            ctx.args = raw.strip()
            await command.handler(ctx)
            return
        spec = ctx.bot.settings.member.get(setting_code(name))
        if spec is None:
            await ctx.reply(ctx.t("There is no setting called {name}.", name=name))
            await ctx.reply(settings_message(ctx))
            return
        try:
            value = spec.parse(raw)
        except SettingError as err:
            await ctx.reply(ctx.t(err.msgid, **err.kwargs))
            return
        await ctx.bot.set_member_option(ctx.member, spec.name, value)
        await ctx.reply(saved_message(ctx, setting_name(spec.name, ctx.language), value, spec))

    @r.action("membership.toggle")
    async def toggle(ctx: MemberContext[ActionEvent]) -> None:
        spec = ctx.bot.settings.member.get(ctx.event.value)
        if spec is None or not isinstance(spec.default, bool):
            await ctx.reply(ctx.t("This button no longer works. Try the command instead."))
            return
        value = not ctx.bot.settings.member_value(ctx.member, spec.name)
        await ctx.bot.set_member_option(ctx.member, spec.name, value)
        await ctx.reply(saved_message(ctx, setting_name(spec.name, ctx.language), value, spec))

    @r.command("samskap", sub=("hjem", "home"), help=N_("Your overview: your ideas, calls and rounds"))
    async def home(ctx: MemberContext) -> None:
        await ctx.reply(await ctx.bot.home(ctx.member))

    @r.command("samskap", sub=("mine-data", "my-data"), help=N_("See everything I store about you (JSON)"))
    async def my_data(ctx: MemberContext) -> None:
        data = await service.export(ctx.member)
        await ctx.reply(
            Message.of(
                Text(ctx.t("This is everything I store about you:")),
                Attachment("samskap-mine-data.json", data, "application/json"),
            ),
            visibility="dm",
        )
        if not ctx.event.conversation.is_direct:
            await ctx.reply(ctx.t("I have sent you your data in a direct message."))

    @r.command("samskap", sub=("slett-meg", "delete-me"), help=N_("Delete everything I store about you"))
    async def delete_me(ctx: MemberContext) -> None:
        if ctx.args.strip().lower() in ("bekreft", "stadfest", "confirm"):
            await erase(ctx)
            return
        await service.check_can_leave(ctx.member)
        await ctx.reply(
            Message.of(
                Text(
                    ctx.t(
                        "Do you want me to delete everything I store about you: your membership, ideas, "
                        "reports and notes? This cannot be undone."
                    )
                ),
                Buttons(
                    (
                        Button(ctx.t("Yes, delete me"), "membership.erase", style="danger"),
                        Button(ctx.t("No, keep it"), "membership.keep"),
                    )
                ),
                ContextLine(ctx.t("Or type /samskap slett-meg bekreft")),
            )
        )

    async def erase(ctx: MemberContext) -> None:
        await service.erase(ctx.member)
        await ctx.reply(
            ctx.t(
                "Done: everything I stored about you is deleted, and your name and words are taken out of "
                "what I keep of messages I sent. Messages already posted on the platform stay there: what you "
                "wrote yourself, and what I posted for you (ideas, reports, rounds, digests). Delete your own "
                "messages there, or ask a workspace admin to delete the others. You are welcome back any time."
            )
        )

    r.action("membership.erase", takes_value=False)(erase)

    @r.action("membership.keep", takes_value=False)
    async def keep(ctx: MemberContext[ActionEvent]) -> None:
        await ctx.reply(ctx.t("Good, nothing was deleted."))

    @r.command(
        "samskap",
        sub=("leder", "leader"),
        access="leader",
        help=N_("For leaders: roles, network settings and the overview page"),
        usage=N_("role @name <participant|school-leader|leader> | setting <name> <value> | overview"),
    )
    async def leader(ctx: MemberContext) -> None:
        action, _, rest = ctx.args.partition(" ")
        action = action.lower()
        if action in ("rolle", "role", "promoter", "promote", "demoter", "demote"):
            mention, role_word = split_mention(rest)
            if action in ("promoter", "promote"):
                role_word = "nettverksleder"
            elif action in ("demoter", "demote"):
                role_word = "deltaker"
            role = ROLE_WORDS.get(role_word.strip().lower())
            if mention is None or role is None:
                await ctx.reply(ctx.t("Write: /samskap leder rolle @name deltaker|skoleleder|nettverksleder"))
                return
            async with ctx.bot.db.session() as s:
                target = await find_member(s, ctx.network.id, mention)
            if target is None:
                await ctx.reply(ctx.t("{who} has not joined the network.", who=mention))
                return
            await service.set_role(ctx.network, ctx.member, target, role)
            await ctx.reply(ctx.t("{name} is now {role}.", name=target.display_name, role=ctx.t(ROLE_NAMES[role])))
            return
        if action in ("innstilling", "setting", "set"):
            name, _, raw = rest.strip().partition(" ")
            if name:  # with no name, the settings and how to change them are the answer
                await set_network_setting(ctx, service, name.lower(), raw.strip())
                return
        if action in ("oversikt", "overview"):
            if (overview := ctx.bot.services.leaders_overview) is not None:
                await ctx.reply(await overview.link_message(ctx.translator, ctx.member, ctx.network))
                return
        await ctx.reply(leader_message(ctx))

    @r.command(
        "samskap",
        sub=("oppsett", "setup"),
        access="admin",
        help=N_("For admins: make this workspace a network, and link this channel"),
    )
    async def setup_network(ctx: Context) -> None:
        network, created = await service.setup_network(ctx.event.user, ctx.event.conversation, ctx.args.strip())
        ctx.network = network
        if created:
            await ctx.reply(
                ctx.t(
                    "The network {name} is set up, and this channel is linked to it. "
                    "Everyone can now join with /samskap bli-med <school>.",
                    name=network.name,
                ),
                visibility="channel",
            )
        else:
            await ctx.reply(ctx.t("This channel is now linked to the network {name}.", name=network.name))

    @r.on_member_joined()
    async def welcome(ctx: Context) -> None:
        if ctx.network is None or ctx.member is not None:
            return
        extra = ctx.bot.settings.network_value(ctx.network, "velkomst")
        name = ctx.event.user.display_name or ctx.event.user.id
        parts: list[Part] = [
            Text(
                ctx.t(
                    "Welcome, {name}! This is where {network} keeps learning between our meetings: "
                    "ideas we try, how it went, and quick talks two and two.",
                    name=name,
                    network=ctx.network.name,
                )
            )
        ]
        if extra:
            parts.append(Text(extra))
        parts.append(Buttons((Button(ctx.t("Join"), "membership.join", style="primary"),)))
        await ctx.reply(Message.of(*parts))


async def set_network_setting(ctx: MemberContext, service: MembershipService, name: str, raw: str) -> None:
    value: object
    if name in ("språk", "language"):
        value = normalise_language(raw)
        if value is None:
            await ctx.reply(ctx.t("Choose nb (bokmål), nn (nynorsk) or en (English)."))
            return
        name = "language"
    elif name in ("tidssone", "timezone"):
        if find_zone(raw) is None:
            await ctx.reply(ctx.t("Unknown time zone {tz}; use a name like Europe/Oslo.", tz=raw))
            return
        name, value = "timezone", raw
    elif name in ("navn", "namn", "name"):
        if not raw or len(raw) > 200:
            await ctx.reply(ctx.t("Give the network a name of at most 200 characters."))
            return
        name, value = "name", raw
    else:
        spec = ctx.bot.settings.network.get(setting_code(name))
        if spec is None:
            await ctx.reply(ctx.t("There is no setting called {name}.", name=name))
            await ctx.reply(leader_message(ctx))
            return
        try:
            value = spec.parse(raw)
        except SettingError as err:
            await ctx.reply(ctx.t(err.msgid, **err.kwargs))
            return
        name = spec.name
    await ctx.bot.set_network_setting(ctx.network, ctx.member, name, value)
    if name == "language":  # a member without a language of their own now reads the new one
        ctx.translator = ctx.bot.translator_for(ctx.member, ctx.network)
    shown = ctx.t(BUILT_IN_SETTINGS[name]) if name in BUILT_IN_SETTINGS else setting_name(name, ctx.language)
    shown_value = LANGUAGE_NAMES[str(value)] if name == "language" else value
    await ctx.reply(saved_message(ctx, shown, shown_value, ctx.bot.settings.network.get(name)))


def saved_message(ctx: Context, name: str, value: object, spec: SettingSpec | None = None) -> str:
    """ "Lagret: nettverksbrev = på." with the setting and its value in the reader's words."""
    return ctx.t("Saved: {name} = {value}.", name=name, value=show_value(ctx, value, spec))


def show_value(ctx: Context, value: object, spec: SettingSpec | None = None) -> str:
    if isinstance(value, bool):
        return ctx.t("on") if value else ctx.t("off")
    if value == "":
        return "–"
    return spec.show(value, ctx.language) if spec is not None and spec.show is not None else str(value)


def usage_text(ctx: Context, usage: str) -> str:
    """A command's arguments in the reader's words: "<number> [text]", "<nr> [tekst]"."""
    return ctx.t(usage) if usage else ""


def help_message(ctx: Context) -> Message:
    parts: list = [Section(ctx.t("*samskap* — learning together between the network meetings"))]
    if ctx.member is None:
        parts.append(Text(ctx.t("Start by joining: /samskap bli-med <your school>")))
    # Where a command with subcommands cannot run on its own (Discord), the adapter names the
    # subcommand that stands for it: `/ide start`.
    for group in ctx.bot.router.commands.values():
        lines = []
        command = f"/{shown_name(group.names, ctx.language)}"
        if group.default and group.default.help:
            sub = ctx.adapter.default_subcommand(group)
            typed = " ".join(word for word in (command, sub, usage_text(ctx, group.default.usage)) if word)
            lines.append(f"{typed} — {ctx.t(group.default.help)}")
        seen: set[int] = set()
        for sub_name in group.sub_names:
            route = group.subcommands[sub_name]
            if id(route) in seen or not route.help:
                continue
            seen.add(id(route))
            if route.access == "leader" and (ctx.member is None or not ctx.member.is_leader):
                continue
            typed = f"{command} {shown_name(group.sub_names[sub_name], ctx.language)} {usage_text(ctx, route.usage)}"
            lines.append(typed.rstrip() + f" — {ctx.t(route.help)}")
        if lines:
            parts.append(Text("\n".join(lines)))
    parts.append(Divider())
    parts.append(
        ContextLine(
            ctx.t(
                "Never write anything that can identify a student. "
                "Commands also work in English: /samskap join, /idea, /ideas."
            )
        )
    )
    return Message.of(*parts, summary=ctx.t("samskap help"))


def settings_message(ctx: MemberContext) -> Message:
    fields = [
        (ctx.t("Language"), LANGUAGE_NAMES[ctx.language]),
        (ctx.t("School"), ctx.member.school),
        (ctx.t("Role"), ctx.t(ROLE_NAMES[ctx.member.role])),
    ]
    buttons = []
    for spec in ctx.bot.settings.member.values():
        value = ctx.bot.settings.member_value(ctx.member, spec.name)
        name = setting_name(spec.name, ctx.language)
        fields.append((f"{name} — {ctx.t(spec.help)}", show_value(ctx, value, spec)))
        if isinstance(spec.default, bool):
            label = ctx.t("Turn {name} off", name=name) if value else ctx.t("Turn {name} on", name=name)
            buttons.append(Button(label, "membership.toggle", spec.name))
    parts: list = [Section(ctx.t("Your settings"), tuple(fields))]
    if buttons:
        parts.append(Buttons(tuple(buttons)))
    for command in dict.fromkeys(ctx.bot.settings.member_commands.values()):
        parts.append(ContextLine(ctx.t(command.help)))
    parts.append(
        ContextLine(
            ctx.t("Change one with /samskap innstillinger <name> <value>, e.g. /samskap innstillinger språk en")
        )
    )
    return Message.of(*parts)


def leader_message(ctx: MemberContext) -> Message:
    fields = [
        (ctx.t("name"), ctx.network.name),
        (ctx.t("language"), LANGUAGE_NAMES.get(ctx.network.language, ctx.network.language)),
        (ctx.t("timezone"), ctx.network.timezone),
    ]
    for spec in ctx.bot.settings.network.values():
        fields.append(
            (
                f"{setting_name(spec.name, ctx.language)} — {ctx.t(spec.help)}",
                show_value(ctx, ctx.bot.settings.network_value(ctx.network, spec.name), spec),
            )
        )
    return Message.of(
        Section(ctx.t("Network settings for {name}", name=ctx.network.name), tuple(fields)),
        ContextLine(
            ctx.t(
                "Change: /samskap leder innstilling <name> <value>. "
                "Roles: /samskap leder rolle @name nettverksleder|skoleleder|deltaker. "
                "The overview page: /samskap leder oversikt"
            )
        ),
    )


__all__ = ["parse_bool", "register"]
