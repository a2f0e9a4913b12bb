"""The console adapter: reads lines, speaks as simulated members, prints what the bot sends."""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from adapters.console.render import describe_destination, render
from bot.adapter import Destination, SentMessage
from bot.events import ActionEvent, CommandEvent, Conversation, Event, FormSubmitted, MessageEvent, User
from bot.i18n import Translator, translator
from bot.messages import Attachment, Button, Buttons, Form, FormField, Message
from bot.numbers import parse_id
from bot.router import CommandGroup

PLATFORM = "console"
WORKSPACE = "demo"
CHANNEL = "generelt"
# Buttons remembered for pressing by number: the newest ones (a long session would otherwise keep
# every button it ever printed). An older number is answered with a pointer to the command.
MAX_BUTTONS = 1000
SPEAKER = re.compile(r"^([a-zæøå][\wæøå.-]{0,30}):\s*(.*)$", re.IGNORECASE)


@dataclass
class PendingForm:
    form: Form
    event: Event
    answers: dict[str, str] = field(default_factory=dict)

    def next_field_index(self) -> int:
        return len(self.answers)


@dataclass
class ButtonChoice:
    button: Button
    conversation: Conversation
    visible_to: str | None


class ConsoleAdapter:
    platform = PLATFORM
    auto_setup = True  # the terminal is one workspace, a network from the first command

    def __init__(
        self,
        out: TextIO | None = None,
        default_member: str = "meg",
        attachments: Path | None = None,
        max_buttons: int = MAX_BUTTONS,
    ) -> None:
        self.out = out or sys.stdout
        # Files the bot sends (an .ics, a mine-data export) are written here, so they can be opened.
        self.attachments = attachments
        # The console's own words (headers, hints); `serve` sets the configured language.
        self.t: Translator = translator(None)
        self.default_member = default_member
        self.channel_names = {CHANNEL: CHANNEL}
        self.buttons: dict[int, ButtonChoice] = {}  # oldest first
        self.max_buttons = max_buttons
        self._last_button = 0
        self.forms: dict[str, PendingForm] = {}
        self._button_numbers = itertools.count(1)
        self._message_ids = itertools.count(1)

    # -- Adapter protocol ----------------------------------------------------------------------
    def default_subcommand(self, group: CommandGroup) -> str | None:
        return None  # a command with subcommands runs on its own too: `/ide`

    async def send(self, destination: Destination, message: Message, *, key: str = "") -> SentMessage | None:
        conv = destination.conversation
        if destination.kind == "dm":
            assert destination.user is not None
            conv = self.dm(destination.user.id)
        assert conv is not None
        visible_to = destination.user.id if destination.kind in ("dm", "ephemeral") and destination.user else None
        numbers = []
        for part in message.parts:
            if isinstance(part, Buttons):
                for button in part.buttons:
                    numbers.append(self._remember(ButtonChoice(button, conv, visible_to)))
        message_id = str(next(self._message_ids))
        header = describe_destination(destination, self.channel_names, self.t)
        saved = [self.t.t("  (saved as {path})", path=path) for path in self._save_attachments(message, message_id)]
        body = "\n".join([render(message, numbers, self.t), *saved])
        self.write(f"{header} samskap (#{message_id}):\n" + _indent(body))
        if destination.kind == "ephemeral":
            return None
        return SentMessage(conv, message_id)

    def _save_attachments(self, message: Message, message_id: str) -> list[Path]:
        if self.attachments is None:
            return []
        saved = []
        for part in message.parts:
            if isinstance(part, Attachment):
                self.attachments.mkdir(parents=True, exist_ok=True)
                path = self.attachments / f"{message_id}-{Path(part.filename).name}"
                path.write_text(part.content, encoding="utf-8")
                saved.append(path)
        return saved

    def _remember(self, choice: ButtonChoice) -> int:
        number = self._last_button = next(self._button_numbers)
        self.buttons[number] = choice
        while len(self.buttons) > self.max_buttons:
            del self.buttons[next(iter(self.buttons))]
        return number

    async def find_sent(
        self, destination: Destination, message: Message, *, key: str, since: datetime
    ) -> SentMessage | None:
        """Nothing to look in: what an earlier process printed is gone with it."""
        return None

    async def update(self, sent: SentMessage, message: Message) -> None:
        updated = self.t.t("[updated message #{id}]", id=sent.message_id)
        self.write(updated + "\n" + _indent(render(message, [], self.t)))

    async def open_form(self, event: Event, form: Form) -> None:
        pending = PendingForm(form, event)
        self.forms[event.user.id] = pending
        intro = self.t.t("[form for {name}] {title}", name=event.user.id, title=form.title)
        if form.notice:
            intro += f"\n  ⚠ {form.notice}"
        intro += "\n  " + self.t.t("(answer one line per field; «-» skips a field you may leave out, /cancel cancels)")
        self.write(intro)
        self._ask(event.user.id, pending)

    async def open_group(self, users: list[User], topic: str) -> Conversation:
        group_id = "group-" + "-".join(sorted(u.id for u in users))
        return Conversation(PLATFORM, WORKSPACE, group_id, is_direct=True)

    async def start_thread(self, sent: SentMessage, name: str) -> Conversation:
        return sent.conversation.in_thread(sent.message_id)

    # -- reading lines ----------------------------------------------------------------------------
    def user(self, name: str) -> User:
        # In the console everyone may set things up: it is your own demo.
        return User(PLATFORM, WORKSPACE, name, name, is_workspace_admin=True)

    def channel(self) -> Conversation:
        return Conversation(PLATFORM, WORKSPACE, CHANNEL)

    def dm(self, name: str) -> Conversation:
        return Conversation(PLATFORM, WORKSPACE, f"dm-{name}", is_direct=True)

    def parse_line(self, line: str) -> Event | str | None:
        """Turn an input line into an event, or a console message (str) to print, or None."""
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        speaker = self.default_member
        if match := SPEAKER.match(line):
            speaker, line = match.group(1).lower(), match.group(2).strip()
            if not line:
                return None
        if (pending := self.forms.get(speaker)) and not _is_command(line):
            return self._answer(speaker, pending, line)
        if (number := parse_id(line)) is not None:
            return self._click(speaker, number)
        user = self.user(speaker)
        if line.startswith("/"):
            name, _, args = line[1:].partition(" ")
            return CommandEvent(user=user, conversation=self.channel(), name=name.lower(), args=args.strip())
        return MessageEvent(
            user=user, conversation=self.channel(), text=line, message_id=f"in-{next(self._message_ids)}"
        )

    def _click(self, speaker: str, number: int) -> Event | str:
        choice = self.buttons.get(number)
        if choice is None and 0 < number <= self._last_button:
            return self.t.t("(choice [{number}] is too old and no longer works; use the command instead, e.g. /ideas)",
                            number=number)  # fmt: skip
        if choice is None:
            return self.t.t("(there is no choice [{number}])", number=number)
        if choice.visible_to is not None and choice.visible_to != speaker:
            return self.t.t("(choice [{number}] is only for {name})", number=number, name=choice.visible_to)
        return ActionEvent(
            user=self.user(speaker),
            conversation=choice.conversation,
            action_id=choice.button.action_id,
            value=choice.button.value,
        )

    def _answer(self, speaker: str, pending: PendingForm, line: str) -> Event | str | None:
        if line.lower() in ("/avbryt", "/cancel"):
            del self.forms[speaker]
            return self.t.t("(the form is cancelled; nothing was sent)")
        field_ = pending.form.fields[pending.next_field_index()]
        answer = "" if line == "-" else line  # "-" skips; a field that must be filled in is asked again
        if field_.kind == "choice" and answer:
            choices = dict(field_.choices)
            by_number = {str(i): value for i, (value, _) in enumerate(field_.choices, 1)}
            answer = by_number.get(answer, answer)
            if answer not in choices:
                self._ask(speaker, pending)
                return self.t.t("(choose one of the numbers)")
        if field_.required and not answer:
            self._ask(speaker, pending)
            return self.t.t("(this field must be filled in)")
        if field_.kind == "number" and answer and not _number_fits(answer, field_):
            self._ask(speaker, pending)
            low, high = field_.min_value, field_.max_value
            if low is not None and high is not None:
                return self.t.t("(write a whole number from {low} to {high})", low=low, high=high)
            return self.t.t("(write a whole number)")
        pending.answers[field_.name] = answer
        if pending.next_field_index() < len(pending.form.fields):
            self._ask(speaker, pending)
            return None
        del self.forms[speaker]
        return FormSubmitted(
            user=self.user(speaker),
            conversation=pending.event.conversation,
            form_id=pending.form.form_id,
            values=pending.answers,
            state=pending.form.state,
        )

    def _ask(self, speaker: str, pending: PendingForm) -> None:
        field_ = pending.form.fields[pending.next_field_index()]
        question = f"  {speaker}, {field_.label}" + ("" if field_.required else " " + self.t.t("(optional)"))
        if field_.hint:
            question += f" — {field_.hint}"
        if field_.choices:
            question += "\n" + "\n".join(f"    {i}) {label}" for i, (_, label) in enumerate(field_.choices, 1))
        self.write(question)

    def write(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _is_command(line: str) -> bool:
    """A line that starts with a command: run as one even while a form waits (the form waits on)."""
    return line.startswith("/") and line.split(maxsplit=1)[0].lower() not in ("/avbryt", "/cancel")


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.splitlines())


LineSource = Callable[[], str]


def _number_fits(answer: str, field_: FormField) -> bool:
    try:
        number = int(answer)
    except ValueError:
        return False
    return (field_.min_value is None or number >= field_.min_value) and (
        field_.max_value is None or number <= field_.max_value
    )
