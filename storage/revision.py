"""Developer tool: autogenerate a migration against a scratch database at the current heads.

    python -m storage.revision --rev-id 0003_kritisk_venn --down 0001_core -m "kritisk venn"

Features branch from `0001_core` (splice), so several can add tables side by side; `upgrade heads`
applies them all. Check the generated file: it must only hold the tables of your change.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from alembic import command

from storage.db import Database, alembic_config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rev-id", required=True)
    parser.add_argument("--down", required=True, help="the revision this one builds on")
    parser.add_argument("-m", "--message", required=True)
    args = parser.parse_args()

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'scratch.db'}")
            await db.migrate()

            def generate(connection: object) -> None:
                cfg = alembic_config()
                cfg.attributes["connection"] = connection
                command.revision(
                    cfg, message=args.message, autogenerate=True, rev_id=args.rev_id, head=args.down, splice=True
                )

            async with db.engine.begin() as conn:
                await conn.run_sync(generate)
            await db.dispose()

    asyncio.run(run())


if __name__ == "__main__":
    main()
