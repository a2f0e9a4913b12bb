"""opsdroid's side of `benchmarks.peers`: run with the python of opsdroid's own virtualenv.

    <venv>/bin/python benchmarks/peers/opsdroid_driver.py --members 200 --commands 20 \
        --line "/ide Uteskole hver fredag, runde {n}" --data-dir /tmp/x [--storage sqlite-wal]

opsdroid is loaded from a configuration as its command line does (`gettext`, `OpsDroid` as a
context manager, `load`, databases started): the connector and skill of `opsdroid_ide`, and
opsdroid's own `sqlite` database module, with its defaults (a rollback journal and
synchronous=FULL: each `put` is a DELETE and an INSERT, each committed and synced) or, with
`--storage sqlite-wal`, samskap's settings (WAL, synchronous=NORMAL) set on its connection.
Every message goes through `OpsDroid.parse` (the constraint check, the regex parser ranking
the skills, `run_skill`); the skill stores the idea with `memory.put` and answers through the
connector. Prints one JSON line.
"""

from __future__ import annotations

import gettext
import json
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from driver_common import ErrorCount, arguments, check_stored, drive, expected_ideas, report


def main() -> None:
    args = arguments()
    data = Path(args.data_dir)
    # opsdroid keeps its modules and logs under the user's data folders: a throwaway one here.
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[variable] = str(data / variable.lower())
    gettext.install("opsdroid")  # as opsdroid's command line does
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)

    from opsdroid import __version__
    from opsdroid.core import OpsDroid

    database = data / "opsdroid.db"
    config = {
        "connectors": {"memory": {"module": "opsdroid_ide"}},
        "skills": {"ide": {"module": "opsdroid_ide"}},
        "databases": {"sqlite": {"path": str(database)}},
    }
    with OpsDroid(config=config) as opsdroid:
        result = opsdroid.eventloop.run_until_complete(run(opsdroid, args))
        opsdroid.eventloop.run_until_complete(opsdroid.memory.databases[0].disconnect())
    result["problems"] += check_stored(stored_ideas(database), expected_ideas(args.members, args.commands, args.line))
    result["peer"] = f"opsdroid {__version__}"
    report(result, errors)


async def run(opsdroid: Any, args: Any) -> dict[str, Any]:
    await opsdroid.load()
    await opsdroid.start_databases()
    if args.storage == "sqlite-wal":  # samskap's journal settings on opsdroid's own connection
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):
            await opsdroid.memory.databases[0].client.execute(pragma)
    await opsdroid.start_connectors()
    connector = opsdroid.connectors[0]

    async def send(member: str, command_id: str, line: str) -> str:
        answer = await connector.said(member, command_id, line)
        return "" if answer == "Idé lagret" else f"answered {answer!r}"

    return await drive(args.members, args.commands, args.line, send)


def stored_ideas(database: Path) -> dict[str, str]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT key, data FROM opsdroid WHERE key LIKE 'idea:%'").fetchall()
    return {key.removeprefix("idea:"): json.loads(data)["text"] for key, data in rows}


if __name__ == "__main__":
    main()
