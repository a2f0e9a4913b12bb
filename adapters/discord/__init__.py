"""The Discord adapter: discord.py app commands, components, modals and threads.

What lives where:
- `adapter.py` `DiscordAdapter`, the core's `Adapter`: sending, updating, threads and groups;
- `client.py` discord.py's gateway client, the connection that events arrive on;
- `inbound.py` interactions, messages and member joins turned into core events and dispatched;
- `interaction.py` answering one interaction within Discord's 3 seconds, then by follow-ups;
- `forms.py` a form as a modal per step, a button between the steps;
- `form_store.py` the buttons and forms kept in the database between interactions;
- `events.py` and `render.py` payloads to core events and core messages to payloads (pure);
- `rest.py` and `errors.py` the HTTP API calls and their errors as `DeliveryError`s;
- `commands.py` the slash commands registered with Discord; `options.py` configuration;
- `runner.py` `samskap run --adapter discord`; `cli.py` the operator's commands.
"""

from pathlib import Path

from bot.i18n import add_catalogs

add_catalogs(Path(__file__).parent / "locale")  # the texts only Discord shows
