"""Routes events to feature handlers: commands (with subcommands), actions, forms, messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from bot.command_names import shown_name, with_nynorsk

if TYPE_CHECKING:
    from bot.i18n import Translator

# A handler takes a `Context` (or, on a member-only route, a `MemberContext`), for one kind of
# event: `async def adopt(ctx: MemberContext[ActionEvent]) -> None`.
Handler = Callable[[Any], Awaitable[None]]
H = TypeVar("H", bound=Handler)
# Who may use a handler: anyone; a member who has joined; a network leader; a workspace
# admin (network set-up). The first two kinds of handler get a `MemberContext`.
Access = Literal["anyone", "member", "leader", "admin"]
MEMBER_ONLY: frozenset[Access] = frozenset({"member", "leader"})


def _route(handler: Handler, access: Access, **kwargs: Any) -> Route:
    """A route, refusing a handler that expects a member where none is guaranteed."""
    wanted = str(getattr(handler, "__annotations__", {}).get("ctx", ""))
    if access not in MEMBER_ONLY and "MemberContext" in wanted:
        raise ValueError(f"{handler.__qualname__} takes a MemberContext but its access is {access!r}")
    return Route(handler, access, **kwargs)


@dataclass(frozen=True)
class Route:
    handler: Handler
    access: Access
    help: str = ""  # an English msgid, translated when help is shown
    usage: str = ""  # an English msgid too: N_("<number> [text]"), "<nummer> [tekst]" in bokmål
    # A form's longest answer per field (its fields' max_length); checked before the handler runs.
    limits: Mapping[str, int] = field(default_factory=dict)
    # Actions: whether the button carries a value. Every value a client hands back is checked
    # again by the handler; a button that carries none must come back without one.
    takes_value: bool = True
    # Commands: whether the arguments are the member's own writing (an idea, a contribution, a
    # note). A refusal then gives them back however short, so nothing written is lost.
    writing: bool = False


@dataclass
class CommandGroup:
    name: str
    aliases: tuple[str, ...] = ()
    default: Route | None = None
    subcommands: dict[str, Route] = field(default_factory=dict)
    # canonical sub name -> its names (for help)
    sub_names: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Match:
    route: Route
    args: str
    command: str
    subcommand: str | None


def _names(names: str | tuple[str, ...]) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else tuple(names)


class Router:
    def __init__(self) -> None:
        self.commands: dict[str, CommandGroup] = {}
        self._command_lookup: dict[str, CommandGroup] = {}
        self.actions: dict[str, Route] = {}
        self.action_prefixes: dict[str, Route] = {}
        self.forms: dict[str, Route] = {}
        self.message_listeners: list[Route] = []
        self.reaction_listeners: list[Route] = []
        self.join_listeners: list[Route] = []

    # -- registration ------------------------------------------------------------------
    def command(
        self,
        names: str | tuple[str, ...],
        *,
        sub: str | tuple[str, ...] | None = None,
        access: Access = "member",
        help: str = "",
        usage: str = "",
        writing: bool = False,
    ) -> Callable[[H], H]:
        """Register `/name` (first name canonical, the rest aliases), or `/name sub` with `sub`.

        The first name is bokmål; the nynorsk forms are added (bot/command_names.py)."""
        all_names = with_nynorsk(_names(names))

        def register(handler: H) -> H:
            group = self._group(all_names)
            route = _route(handler, access, help=help, usage=usage, writing=writing)
            if sub is None:
                if group.default is not None:
                    raise ValueError(f"/{group.name} is registered twice")
                group.default = route
            else:
                sub_names = with_nynorsk(_names(sub))
                for name in sub_names:
                    if name in group.subcommands:
                        raise ValueError(f"/{group.name} {name} is registered twice")
                    group.subcommands[name] = route
                group.sub_names[sub_names[0]] = sub_names
            return handler

        return register

    def _group(self, names: tuple[str, ...]) -> CommandGroup:
        group = self._command_lookup.get(names[0])
        if group is None:
            group = CommandGroup(names[0], names[1:])
            self.commands[names[0]] = group
        for name in names:
            existing = self._command_lookup.get(name)
            if existing is not None and existing is not group:
                raise ValueError(f"/{name} belongs to /{existing.name} already")
            self._command_lookup[name] = group
        group.aliases = tuple(dict.fromkeys(group.aliases + names[1:]))
        return group

    def action(
        self, action_id: str, *, access: Access = "member", prefix: bool = False, takes_value: bool = True
    ) -> Callable[[H], H]:
        def register(handler: H) -> H:
            table = self.action_prefixes if prefix else self.actions
            if action_id in table:
                raise ValueError(f"action {action_id} is registered twice")
            table[action_id] = _route(handler, access, takes_value=takes_value)
            return handler

        return register

    def form(
        self, form_id: str, *, access: Access = "member", limits: Mapping[str, int] | None = None
    ) -> Callable[[H], H]:
        """`limits`: the longest answer per field, as the form's fields declare (`max_length`)."""

        def register(handler: H) -> H:
            if form_id in self.forms:
                raise ValueError(f"form {form_id} is registered twice")
            self.forms[form_id] = _route(handler, access, limits=dict(limits or {}))
            return handler

        return register

    def on_message(self, *, access: Access = "anyone") -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.message_listeners.append(_route(handler, access))
            return handler

        return register

    def on_reaction(self, *, access: Access = "anyone") -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.reaction_listeners.append(_route(handler, access))
            return handler

        return register

    def on_member_joined(self) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.join_listeners.append(_route(handler, "anyone"))
            return handler

        return register

    # -- lookup --------------------------------------------------------------------------
    def _lookup(self, name: str) -> CommandGroup | None:
        # "/idé" is how both bokmål and nynorsk write the word; the commands are registered without
        # the accent, which not every platform takes in a command name.
        name = name.lower()
        return self._command_lookup.get(name) or self._command_lookup.get(name.replace("é", "e"))

    def is_command(self, name: str) -> bool:
        return self._lookup(name) is not None

    def match_command(self, name: str, args: str) -> Match | None:
        group = self._lookup(name)
        if group is None:
            return None
        first, _, rest = args.strip().partition(" ")
        route = group.subcommands.get(first.lower()) if first else None
        if route is not None:
            return Match(route, rest.strip(), group.name, first.lower())
        if group.default is None:
            return None
        return Match(group.default, args.strip(), group.name, None)

    def match_action(self, action_id: str) -> Route | None:
        if route := self.actions.get(action_id):
            return route
        for prefix, route in self.action_prefixes.items():
            if action_id.startswith(prefix):
                return route
        return None

    def typed(self, command: str, sub: str | None, usage: str, t: Translator) -> str:
        """How a reader types a command, in their own words: `/idea try <number>`, `/ide prøv <nr>`."""
        group = self._lookup(command) or self._command_lookup[command]
        words = [f"/{shown_name(group.names, t.language)}"]
        if sub:
            # `sub` may be any of the subcommand's names: "try" is shown as "prøv" to a bokmål reader.
            names = next((names for names in group.sub_names.values() if sub in names), (sub,))
            words.append(shown_name(names, t.language))
        if usage:
            words.append(t.t(usage))
        return " ".join(words)

    def command_names(self) -> list[str]:
        """Every top-level command name and alias (adapters register these with the platform)."""
        return sorted(self._command_lookup)
