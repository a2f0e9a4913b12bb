"""A core form on Discord: a modal per step, a button between the steps.

A Discord modal holds at most five inputs and cannot open another modal, so a longer form is
several modals (`render.form_steps`). Each step's answers wait in the `FormStore`; submitting a
step that is not the last answers with a button that opens the next one. Only the last step becomes
the core's `FormSubmitted`, with every step's values. A modal opens only as the first answer to an
interaction; otherwise (a message, an answer already given) the form starts with a button.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import events
from adapters.discord.form_store import FormStore
from adapters.discord.interaction import InteractionReply, current, translator_of
from adapters.discord.render import FORM_PREFIX, MODAL_PREFIX, Payload, form_steps, modal_values, render_modal
from bot.adapter import Destination
from bot.events import Event, FormSubmitted
from bot.i18n import N_, Translator
from bot.messages import Form

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter
    from bot.core import Bot

FORM_GONE = N_("This form is no longer open. Run the command again to get a new one.")


class Forms:
    def __init__(self, bot: Bot, adapter: DiscordAdapter, store: FormStore) -> None:
        self.bot = bot
        self.adapter = adapter
        self.store = store

    async def open(self, event: Event, form: Form) -> None:
        """The core's `open_form`: a modal when the event's interaction can still open one, else a button."""
        key = secrets.token_urlsafe(12)
        await self.store.save_form(key, event.user.id, form, event.conversation, {})
        reply = current.get()
        if reply is not None and reply.interaction is event.platform_ref and reply.can_open_modal:
            steps = len(form_steps(form))
            if await reply.open_modal(render_modal(form, f"{MODAL_PREFIX}{key}|0", 0, steps)):
                return
        # No modal can open here (a message, a deferred or submitted interaction): offer a button.
        t = self.bot.translator_for()
        if reply is not None and reply.interaction is event.platform_ref:
            t = translator_of(reply.interaction, self.bot.config.language)
        payloads = [_form_button(form.title, t.t("Open the form"), f"{FORM_PREFIX}{key}|0")]
        destination = Destination.ephemeral(event.conversation, event.user)
        if reply is not None and reply.takes(destination):
            await reply.send(destination, payloads)
            return
        await self.adapter.post_to_user(event.user.id, f"form:{key}", payloads)

    async def open_step(self, interaction: discord.Interaction, reply: InteractionReply, custom_id: str) -> None:
        """A click on a form's button (`f|key|<step>`): open that step's modal."""
        key, _, step_text = custom_id[len(FORM_PREFIX) :].partition("|")
        stored = await self.store.load_form(key, str(interaction.user.id))
        step = _form_step(step_text, stored[0]) if stored is not None else None
        if stored is None or step is None:
            await reply.say(translator_of(interaction, self.bot.config.language).t(FORM_GONE))
            return
        form = stored[0]
        await reply.open_modal(render_modal(form, f"{MODAL_PREFIX}{key}|{step}", step, len(form_steps(form))))

    async def submitted(
        self, interaction: discord.Interaction, reply: InteractionReply, data: dict[str, Any], t: Translator
    ) -> Event | None:
        """A submitted step (`m|key|<step>`): the whole form's event after its last step, else None
        (the step's values are kept and a button continues with the next one)."""
        key, _, step_text = str(data.get("custom_id", ""))[len(MODAL_PREFIX) :].partition("|")
        stored = await self.store.load_form(key, str(interaction.user.id))
        step = _form_step(step_text, stored[0]) if stored is not None else None
        if stored is None or step is None:
            await reply.say(t.t(FORM_GONE))
            return None
        form, conversation, values = stored
        values.update(modal_values(list(data.get("components") or [])))
        steps = len(form_steps(form))
        if step + 1 < steps:  # a modal cannot open another: a button continues with the next part
            # What is kept between steps passes the core's cleaning and student-data guard first.
            partial = events.form_event(interaction, conversation, form.form_id, values, form.state)
            checked = await self.bot.screen(partial, self.adapter)
            if not isinstance(checked, FormSubmitted):
                return None
            values = dict(checked.values)
            await self.store.save_form(key, str(interaction.user.id), form, conversation, values)
            label = t.t("Continue ({step}/{steps})", step=step + 2, steps=steps)
            payload = _form_button(t.t("Saved so far. Continue with the next part of the form."), label,
                                   f"{FORM_PREFIX}{key}|{step + 1}")  # fmt: skip
            await reply.send(Destination.ephemeral(reply.conversation, reply.user), [payload])
            return None
        await self.store.remove_form(key)
        return events.form_event(interaction, conversation, form.form_id, values, form.state)


def _form_step(text: str, form: Form) -> int | None:
    """The step a form button or modal names (`f|key|<step>`): one the form has, or None."""
    if not text:
        return 0
    if text.isascii() and text.isdigit() and len(text) <= 3 and int(text) < len(form_steps(form)):
        return int(text)
    return None


def _form_button(text: str, label: str, custom_id: str) -> Payload:
    button = {"type": 2, "style": 1, "label": label[:80], "custom_id": custom_id}
    return Payload(content=text, components=[{"type": 1, "components": [button]}])
