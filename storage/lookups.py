"""Which network a channel belongs to, and who the user is in it: asked by every event, so remembered.

A worker keeps the answers in memory and forgets all of them whenever a network, channel or member
changes: at once after its own commits, and when another worker says so over PostgreSQL's
LISTEN/NOTIFY (the NOTIFY is sent in the writing transaction, so it arrives exactly when the change
is visible). A worker that cannot be sure it hears the others remembers nothing. A time limit
covers changes made outside samskap, such as by hand in the database.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.dml import UpdateBase

from storage.models.core import Channel, Member, Network
from storage.repositories.core import ConversationRef, Networks, UserRef

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from storage.db import Database

log = logging.getLogger("samskap.storage")

NOTIFY_CHANNEL = "samskap_lookups"
LISTEN_RETRY_SECONDS = 30.0
PROBE_SECONDS = 2.0
WATCHED_TABLES = frozenset({Network.__tablename__, Channel.__tablename__, Member.__tablename__})
CHANGED = "samskap_lookups_changed"
# Set in the info of a session whose commit only ends a savepoint (SQLite's writer): the writer
# forgets the lookups once the transaction around it commits.
GROUPED = "samskap_grouped"

Found = tuple[Network | None, Member | None]
Key = tuple[str, ...]
Snapshot = tuple["_Frozen", "_Frozen | None"]


class ChannelLookups:
    def __init__(
        self,
        db: Database,
        session_class: type[Session],
        *,
        ttl_seconds: float = 60.0,
        max_entries: int = 5_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.hits = self.misses = 0  # answered from memory, or asked of the database (for /metrics)
        self._monotonic = monotonic
        self._entries: dict[Key, tuple[float, Snapshot]] = {}
        # Bumped on every change, so that an answer read before a change is never remembered after it.
        self.generation = 0
        self._listener: AsyncConnection | None = None
        self._heard_on: object = None  # the driver's connection that LISTENs
        self._listening = not db.is_postgres  # one process per SQLite file: its own commits are all there is
        self._next_listen_attempt = 0.0
        self._probe: tuple[str, asyncio.Future[None]] | None = None
        event.listen(session_class, "after_flush", self._after_flush)
        event.listen(session_class, "do_orm_execute", self._on_statement)
        event.listen(session_class, "after_commit", self._after_commit)

    async def find(self, conv: ConversationRef, user: UserRef) -> Found | None:
        """The channel's network and the user's membership in it (fresh copies, safe to change)."""
        key = ("channel", conv.platform, conv.workspace_id, conv.id, user.platform, user.workspace_id, user.id)
        return await self.remembered(key, lambda: self._by_channel(conv, user))

    async def remembered(self, key: Key, load: Callable[[], Awaitable[Found | None]]) -> Found | None:
        """What `load` answers for `key`, remembered. `load` must read (or write) only networks,
        channels and members, so that a change to them is what makes it forgotten."""
        entry = self._entries.get(key)
        if entry is not None and self._monotonic() - entry[0] < self.ttl_seconds:
            self.hits += 1
            return _thaw(entry[1])
        self.misses += 1
        remember = await self._listen()
        generation = self.generation
        found = await load()
        if found is not None and found[0] is not None and remember and generation == self.generation:
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            member = _frozen(found[1]) if found[1] is not None else None
            self._entries[key] = (self._monotonic(), (_frozen(found[0]), member))
        return found

    async def _by_channel(self, conv: ConversationRef, user: UserRef) -> Found | None:
        async with self.db.read() as s:
            return await Networks(s).with_member_by_channel(conv, user)

    def remembered_keys(self) -> list[Key]:
        return list(self._entries)

    def forget_all(self) -> None:
        self.generation += 1
        self._entries.clear()

    async def close(self) -> None:
        """Stop listening (the connection is closed, not given back to the pool with its listener)."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._listening = False
        try:
            await listener.invalidate()
            await listener.close()
        except Exception:
            log.debug("closing the listening connection failed", exc_info=True)

    # -- noticing changes -----------------------------------------------------------------------
    def _mark_changed(self, session: Session) -> None:
        if session.info.get(CHANGED):
            return
        session.info[CHANGED] = True
        if self.db.is_postgres:
            # Delivered by PostgreSQL when (and only if) this transaction commits.
            session.connection().exec_driver_sql(f"NOTIFY {NOTIFY_CHANNEL}")

    def _after_flush(self, session: Session, _context: object) -> None:
        changed = (*session.new, *session.dirty, *session.deleted)
        if any(inspect(obj).mapper.local_table.name in WATCHED_TABLES for obj in changed):
            self._mark_changed(session)

    def _on_statement(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            if getattr(table, "name", None) in WATCHED_TABLES:
                self._mark_changed(state.session)

    def _after_commit(self, session: Session) -> None:
        if session.info.get(GROUPED):
            return
        if session.info.pop(CHANGED, False):
            self.forget_all()

    # -- other workers' changes (PostgreSQL) ------------------------------------------------------
    async def _listen(self) -> bool:
        """True when changes by other workers will be heard; tries to (re)connect now and then."""
        if self._listening:
            return True
        now = self._monotonic()
        if now < self._next_listen_attempt:
            return False
        self._next_listen_attempt = now + LISTEN_RETRY_SECONDS
        await self.close()
        try:
            self._listener = await self.db.engine.connect()
            raw = self._heard_on = (await self._listener.get_raw_connection()).driver_connection
            assert raw is not None  # None only once the connection is invalidated
            await raw.add_listener(NOTIFY_CHANNEL, self._heard)
            raw.add_termination_listener(self._lost)
            await self._hear_a_probe()
        except Exception:
            log.warning("cannot hear other workers' changes; not remembering lookups for now", exc_info=True)
            await self.close()
            return False
        # Whatever changed while nobody listened is forgotten.
        self.forget_all()
        self._listening = True
        return True

    async def _hear_a_probe(self) -> None:
        """Send a notification and wait for it: LISTEN through a transaction-mode pooler, for
        example, succeeds but never hears anything."""
        token = secrets.token_hex(8)
        self._probe = (token, asyncio.get_running_loop().create_future())
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(
                    text("SELECT pg_notify(:channel, :token)"), {"channel": NOTIFY_CHANNEL, "token": token}
                )
            await asyncio.wait_for(self._probe[1], PROBE_SECONDS)
        finally:
            self._probe = None

    def _heard(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self.forget_all()
        if self._probe is not None and payload == self._probe[0] and not self._probe[1].done():
            self._probe[1].set_result(None)

    def _lost(self, connection: object) -> None:
        if self._listener is None or connection is not self._heard_on:  # closed on purpose
            return
        log.warning("lost the connection that hears other workers' changes; will reconnect")
        self._listening = False
        self.forget_all()


def changes_watched(statement: object) -> bool:
    """Whether `statement` changes networks, channels or members."""
    return (
        isinstance(statement, UpdateBase) and getattr(getattr(statement, "table", None), "name", None) in WATCHED_TABLES
    )


def refuse_watched_write(statement: object) -> None:
    """`db.one_statement()` runs its statement outside any session, where a change to networks,
    channels or members would go unnoticed: such changes belong in `db.session()`."""
    if changes_watched(statement):
        raise RuntimeError("networks, channels and members are changed in db.session(), not db.one_statement()")


def _frozen(obj: Network | Member) -> _Frozen:
    state = instance_state(obj)
    values = {attr.key: getattr(obj, attr.key) for attr in state.mapper.column_attrs}
    mutable = tuple(key for key, value in values.items() if isinstance(value, dict | list))
    for key in mutable:  # the caller gets `obj` itself, and may change it
        values[key] = _json_copy(values[key])
    unloaded = tuple(attr.key for attr in state.mapper.attrs if attr.key not in values)
    return _Frozen(type(obj), values, mutable, state.mapper.identity_key_from_instance(obj), unloaded)


class _Frozen(NamedTuple):
    """A remembered network or member: its column values, and which of them can be changed in place."""

    model: type[Network] | type[Member]
    values: dict[str, Any]
    mutable: tuple[str, ...]  # JSON columns (settings, opt_ins): each copy gets its own
    identity: Any  # as SQLAlchemy names a loaded object: its class and primary key
    unloaded: tuple[str, ...]  # attributes that are not columns (relationships), which a copy does not have


def _copy(frozen: _Frozen) -> Any:
    # As if just loaded and its session closed: what an uncached lookup hands out. Made as loading
    # makes objects (values put in place, no __init__): through __init__ every value is an
    # attribute event, and this runs for every event the bot handles. A new object has no history
    # to commit, so being "detached" is only its identity (what `make_transient_to_detached` would
    # work out again from its primary key each time).
    obj = frozen.model.__mapper__.class_manager.new_instance()
    values = obj.__dict__
    values.update(frozen.values)
    for key in frozen.mutable:
        values[key] = _json_copy(values[key])
    state = instance_state(obj)
    state.key = frozen.identity
    if frozen.unloaded:
        state._expire_attributes(values, frozen.unloaded)
    return obj


def _json_copy(value: Any) -> Any:
    """A deep copy of JSON values (dicts, lists and immutable scalars), without deepcopy's bookkeeping."""
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


def _thaw(snapshot: Snapshot) -> Found:
    network, member = snapshot
    return _copy(network), _copy(member) if member is not None else None
