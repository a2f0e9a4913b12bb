"""What members see of joining, help, their settings and their data. Pure functions of data and a translator."""

from __future__ import annotations

from collections.abc import Callable

from bot.command_names import setting_name, shown_name
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.messages import Attachment, Button, Buttons, ContextLine, Divider, Message, Part, Section, Text
from bot.router import CommandGroup, Router
from bot.settings import SettingSpec, SettingsRegistry
from storage.models.core import Member, Network, Role

ROLE_NAMES = {
    Role.PARTICIPANT: N_("participant"),
    Role.SCHOOL_LEADER: N_("school leader"),
    Role.NETWORK_LEADER: N_("network leader"),
}
# The network's own settings, beside those the features declare; shown in the reader's words.
BUILT_IN_SETTINGS = {"language": N_("language"), "timezone": N_("timezone"), "name": N_("name")}

JOIN = "membership.join"
TOGGLE = "membership.toggle"
ERASE = "membership.erase"
KEEP = "membership.keep"


def joined(t: Translator, network: Network, member: Member) -> Message:
    return Message.of(
        Text(
            t.t(
                "Welcome to {network}, {name}! You are registered from {school}.",
                network=network.name,
                name=member.display_name,
                school=member.school,
            )
        ),
        Text(
            t.t(
                "Share something you have tried with /ide, find ideas from the others with /ideer, "
                "and see everything with /samskap."
            )
        ),
        ContextLine(
            t.t("You lead this network, since you were the first to join.")
            if member.role == Role.NETWORK_LEADER
            else t.t("I store your name, school and what you share. See it with /samskap mine-data.")
        ),
    )


def welcome(t: Translator, network: Network, name: str, extra: str) -> Message:
    """The welcome when someone comes into the network's channel before joining."""
    parts: list[Part] = [
        Text(t.t("Welcome, {name}! This is where {network} keeps learning between our meetings: "
                 "ideas we try, how it went, and quick talks two and two.", name=name, network=network.name))
    ]  # fmt: skip
    if extra:
        parts.append(Text(extra))
    parts.append(Buttons((Button(t.t("Join"), JOIN, style="primary"),)))
    return Message.of(*parts)


def my_data(t: Translator, data: str) -> Message:
    return Message.of(
        Text(t.t("This is everything I store about you:")),
        Attachment("samskap-mine-data.json", data, "application/json"),
    )


def delete_me_question(t: Translator) -> Message:
    return Message.of(
        Text(
            t.t(
                "Do you want me to delete everything I store about you: your membership, ideas, "
                "reports and notes? This cannot be undone."
            )
        ),
        Buttons((Button(t.t("Yes, delete me"), ERASE, style="danger"), Button(t.t("No, keep it"), KEEP))),
        ContextLine(t.t("Or type /samskap slett-meg bekreft")),
    )


def saved(t: Translator, name: str, value: object, spec: SettingSpec | None = None) -> str:
    """ "Lagret: nettverksbrev = på." with the setting and its value in the reader's words."""
    return t.t("Saved: {name} = {value}.", name=name, value=show_value(t, value, spec))


def show_value(t: Translator, value: object, spec: SettingSpec | None = None) -> str:
    if isinstance(value, bool):
        return t.t("on") if value else t.t("off")
    if value == "":
        return "–"
    return spec.show(value, t.language) if spec is not None and spec.show is not None else str(value)


def help_message(
    t: Translator,
    router: Router,
    member: Member | None,
    default_subcommand: Callable[[CommandGroup], str | None],
) -> Message:
    """Every command the reader may use, in their words. Where a command with subcommands cannot run on
    its own (Discord), `default_subcommand` names the subcommand that stands for it: `/ide start`."""
    parts: list[Part] = [Section(t.t("*samskap* — learning together between the network meetings"))]
    if member is None:
        parts.append(Text(t.t("Start by joining: /samskap bli-med <your school>")))
    for group in router.commands.values():
        lines = []
        command = f"/{shown_name(group.names, t.language)}"
        if group.default and group.default.help:
            sub = default_subcommand(group)
            usage = t.t(group.default.usage) if group.default.usage else ""
            typed = " ".join(word for word in (command, sub, usage) if word)
            lines.append(f"{typed} — {t.t(group.default.help)}")
        seen: set[int] = set()
        for sub_name in group.sub_names:
            route = group.subcommands[sub_name]
            if id(route) in seen or not route.help:
                continue
            seen.add(id(route))
            if route.access == "leader" and (member is None or not member.is_leader):
                continue
            usage = t.t(route.usage) if route.usage else ""
            typed = f"{command} {shown_name(group.sub_names[sub_name], t.language)} {usage}"
            lines.append(typed.rstrip() + f" — {t.t(route.help)}")
        if lines:
            parts.append(Text("\n".join(lines)))
    parts.append(Divider())
    parts.append(ContextLine(t.t("Never write anything that can identify a student. "
                                 "Commands also work in English: /samskap join, /idea, /ideas.")))  # fmt: skip
    return Message.of(*parts, summary=t.t("samskap help"))


def settings_message(t: Translator, settings: SettingsRegistry, member: Member) -> Message:
    fields = [
        (t.t("Language"), LANGUAGE_NAMES[t.language]),
        (t.t("School"), member.school),
        (t.t("Role"), t.t(ROLE_NAMES[member.role])),
    ]
    buttons = []
    for spec in settings.member.values():
        value = settings.member_value(member, spec.name)
        name = setting_name(spec.name, t.language)
        fields.append((f"{name} — {t.t(spec.help)}", show_value(t, value, spec)))
        if isinstance(spec.default, bool):
            label = t.t("Turn {name} off", name=name) if value else t.t("Turn {name} on", name=name)
            buttons.append(Button(label, TOGGLE, spec.name))
    parts: list[Part] = [Section(t.t("Your settings"), tuple(fields))]
    if buttons:
        parts.append(Buttons(tuple(buttons)))
    for command in dict.fromkeys(settings.member_commands.values()):
        parts.append(ContextLine(t.t(command.help)))
    parts.append(ContextLine(t.t("Change one with /samskap innstillinger <name> <value>, "
                                 "e.g. /samskap innstillinger språk en")))  # fmt: skip
    return Message.of(*parts)


def leader_message(t: Translator, settings: SettingsRegistry, network: Network) -> Message:
    fields = [
        (t.t("name"), network.name),
        (t.t("language"), LANGUAGE_NAMES.get(network.language, network.language)),
        (t.t("timezone"), network.timezone),
    ]
    for spec in settings.network.values():
        value = show_value(t, settings.network_value(network, spec.name), spec)
        fields.append((f"{setting_name(spec.name, t.language)} — {t.t(spec.help)}", value))
    return Message.of(
        Section(t.t("Network settings for {name}", name=network.name), tuple(fields)),
        ContextLine(
            t.t(
                "Change: /samskap leder innstilling <name> <value>. "
                "Roles: /samskap leder rolle @name nettverksleder|skoleleder|deltaker. "
                "The overview page: /samskap leder oversikt"
            )
        ),
    )
