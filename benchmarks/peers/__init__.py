"""samskap's `/ide` beside opsdroid and errbot doing the same work, in one run.

    .venv/bin/python -m benchmarks.peers                       # 5 rounds, ~10–15 minutes
    .venv/bin/python -m benchmarks.peers --rounds 3 --commands 10
    .venv/bin/python -m benchmarks.peers --with errbot-shelf   # also errbot's default storage
    .venv/bin/python -m benchmarks.peers --venv-dir /tmp/peers # virtualenvs elsewhere

The work: 200 members at once (`--members`), each posting `--commands` ideas one after the other
("/ide Uteskole hver fredag, runde {n}"), each waiting for the answer to one before sending the
next: saturated, as fast as the bot answers. Every idea must be stored before it is answered.
Measured: commands per second over the whole run; the CPU time of the bot's process (all its
threads) per command, which a busy shared machine moves far less than the clock; and each
command's time from being handed to the bot to its answer (p50, p99). Printed: the median of
the rounds, the slowest and fastest round, and samskap's figure divided by each peer's
(commands/s: above 1, samskap handles more; CPU, p50, p99: below 1, samskap needs less).

The contestants, each in a fresh process with a fresh database in a temporary folder on the same
disk, in an order that rotates every round (the machine's speed drifts; rotating spreads it):

- samskap: `benchmarks.core_commands` with `--script ide`, saturated, on SQLite (its machinery,
  not a copy): members joined first, one untimed warm-up command each (`/ideer`), then the
  timed `/ide`s through `Bot.dispatch` on the in-memory adapter. Per command: the member and
  network looked up (remembered after the first), the student-data check of the words, tags
  parsed, the idea inserted, the idea card rendered and posted, the card's place stored (two
  writes). SQLite in WAL mode with synchronous=NORMAL, several commands' writes grouped in one
  commit, each command answered only after its commit.
- opsdroid 0.31.0 (`opsdroid_driver.py`): its `OpsDroid.parse` with a regex skill that stores
  the words per message with `memory.put` in its `sqlite` database module, and answers through
  a connector in memory. Once as opsdroid ships its database (rollback journal,
  synchronous=FULL, each `put` a DELETE and an INSERT committed and synced on its own: on this
  virtual disk each commit waits for the disk), and once (`opsdroid-wal`) with samskap's
  settings, WAL and synchronous=NORMAL, so that the bots are compared and not the durability.
- errbot 6.2.1 (`errbot_driver.py`): its test backend (the same message path as its real
  backends: the main thread's `callback_message`, the command run in its pool of 10 worker
  threads, the answer sent back), with a plugin that stores the words with `self[...]`. The
  storage plugin is `SQLite` (errbot_storage/, written here, since errbot's SQL storage plugin is
  not on PyPI: one table, each `set` its own transaction, samskap's WAL settings). `errbot-shelf`
  (with `--with`) uses errbot's default storage, `Shelf`: Python's `shelve` on the best `dbm`
  the interpreter has, which on this machine's Python (built without gdbm) is `dbm.dumb`;
  errbot's worker threads write to it at once, and about one run in three ends with damaged
  entries, so it is reported but not run by default.

Why this is fair, and where it is not: every bot does the closest equivalent of `/ide` in its
own idiom, through its real message path (parsing, routing to the handler, storing, answering)
and its own storage code; nobody skips a step samskap takes that the peer has an equivalent for.
The peers do less per command than samskap (one write of a small JSON or pickle, no member or
network lookup, no privacy check, no rendering), so the comparison is generous to them. The
clients differ in the way each bot is driven (samskap and opsdroid: a coroutine call in the
bot's own event loop; errbot: its test backend's queues, read by one thread), and each runs in
the bot's process, as samskap's own benchmark does; errbot's command is `!ide` (its prefix).
Every run checks its own result and the benchmark exits non-zero when any check fails: every
command answered with the expected answer, no error logged, and the ideas stored are the ideas
sent (as many rows as commands, warm-up included, each with the words that were sent).

The peers are installed by this script, once, into throwaway virtualenvs under
`~/.cache/samskap-peers` (or `--venv-dir`), from the pinned lists in `requirements/`; never
into the project's environment. Each peer's driver runs with its virtualenv's python and prints
its figures as JSON. The machine has 2 cores shared with other work: figures move by a third
from minute to minute, which is why rounds alternate and medians are shown.
"""
