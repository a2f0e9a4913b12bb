"""errbot's side of `benchmarks.peers`: run with the python of errbot's own virtualenv.

    <venv>/bin/python benchmarks/peers/errbot_driver.py --members 200 --commands 20 \
        --line "/ide Uteskole hver fredag, runde {n}" --data-dir /tmp/x --storage Shelf

errbot's own test backend (`errbot.backends.test.TestBot`, as errbot's `testbot` fixture starts
it, but at log level WARNING): its main thread reads each message from the incoming queue and
runs `callback_message` (prefix, command lookup, ACLs, the plugins' `callback_message`); the
command runs in errbot's pool of worker threads (`BOT_ASYNC`, 10 threads); the plugin `Ide`
(errbot_plugins/ide) stores the words with `self[...]` in the storage plugin given (`Shelf`,
errbot's default, or `SQLite` from errbot_storage/), and its answer goes to the outgoing queue.
The command is `!ide`: errbot's prefix (the test backend itself speaks to the bot with `!`).
The one change to errbot: the test backend's Markdown-to-text conversion of the answers is made
one at a time (`serialize_answers`). Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from pathlib import Path
from typing import Any

from driver_common import ErrorCount, arguments, check_stored, drive, expected_ideas, report

HERE = Path(__file__).resolve().parent


def main() -> None:
    args = arguments()
    from errbot.backends.test import TestBot
    from errbot.version import VERSION

    extra = {
        "STORAGE": args.storage,
        "BOT_EXTRA_STORAGE_PLUGINS_DIR": str(HERE / "errbot_storage"),
        "BOT_DATA_DIR": args.data_dir,
    }
    bot = TestBot(extra_plugin_dir=str(HERE / "errbot_plugins"), loglevel=logging.WARNING, extra_config=extra)
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    bot.start(timeout=30)
    serialize_answers(bot.bot)
    result = asyncio.run(run(bot, args))
    stored, unreadable = read_back(bot.bot.plugin_manager.get_plugin_obj_by_name("Ide"))
    bot.stop()
    result["problems"] += check_stored(stored, expected_ideas(args.members, args.commands, args.line))
    if unreadable:
        result["problems"].append(f"{unreadable} stored ideas could not be read back")
    result["peer"] = f"errbot {VERSION}"
    report(result, errors)


def serialize_answers(backend: Any) -> None:
    """One answer converted at a time. The test backend turns every answer from Markdown into text
    with one `Markdown` object, which is not safe to share: when the worker threads convert at
    once, now and then one command's answer comes out twice and another's never (seen in about
    one run in four of 200 members × 5 commands; none in six with this lock)."""
    lock = threading.Lock()
    convert = backend.md.convert

    def one_at_a_time(text: str) -> str:
        with lock:
            return str(convert(text))

    backend.md.convert = one_at_a_time


def read_back(plugin: Any) -> tuple[dict[str, str], int]:
    """The ideas in the plugin's storage, and how many of its entries could not be read."""
    stored, unreadable = {}, 0
    for key in list(plugin.keys()):
        try:
            stored[key.removeprefix("idea:")] = plugin[key]["text"]
        except Exception:  # a damaged entry: counted, so the run fails instead of stopping here
            unreadable += 1
    return stored, unreadable


async def run(bot: Any, args: Any) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[str]] = {}
    unexpected: list[str] = []
    done = threading.Event()

    def settle(answer: str) -> None:
        future = waiting.pop(answer.rsplit(" ", 1)[-1], None)
        if future is None:
            unexpected.append(answer[:80])
        elif not future.done():
            future.set_result(answer)

    def read_answers() -> None:
        while not done.is_set():
            try:
                answer = bot.pop_message(timeout=0.2)
            except queue.Empty:
                continue
            loop.call_soon_threadsafe(settle, answer)

    reader = threading.Thread(target=read_answers, name="answers", daemon=True)
    reader.start()

    async def send(member: str, command_id: str, line: str) -> str:
        future = waiting[command_id] = loop.create_future()
        bot.push_message("!" + line.removeprefix("/"), extras={"member": member, "id": command_id})
        try:
            answer = await asyncio.wait_for(future, 60)
        except TimeoutError:
            return "a command was not answered"
        return "" if answer == f"Idé lagret {command_id}" else f"answered {answer[:80]!r}"

    try:
        result = await drive(args.members, args.commands, args.line, send)
    finally:
        done.set()
        await asyncio.to_thread(reader.join)
    result["problems"] += [f"an answer to no command: {answer!r}" for answer in unexpected]
    return result


if __name__ == "__main__":
    main()
