"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file, polled often.

kombu's filesystem transport corrupts messages under concurrent processes (``_put`` creates
the file before writing it and ``_get`` reads it without the lock, kombu#1551). The
SQLAlchemy transport takes SQLite's write lock (``BEGIN IMMEDIATE``) around every read of the
queue, so one message goes to one consumer, whole. Two things it lacks are added here:

* a polling interval: kombu's virtual transport reads ``polling_interval`` from the transport
  options, but this transport hands every option to ``create_engine``, which refuses it; the
  option is taken out before the engine is made.
* deletion on delivery: the stock ``_get`` marks a delivered row invisible and never removes
  it, so the table (and every poll, which scans it) grows with each message ever sent. A
  delivered row is never read again by kombu, so deleting it loses nothing.

Configured with ``broker_url = "sqla+sqlite:///…"`` and
``broker_transport = "learning_platform.broker:Transport"``.
"""

from json import loads
from queue import Empty

from kombu.transport import sqlalchemy as kombu_sqlalchemy
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import create_engine, event, text

# Options kombu itself reads; none of them is a create_engine argument.
KOMBU_ONLY_OPTIONS = {
    "queue_tablename",
    "message_tablename",
    "callback",
    "errback",
    "max_retries",
    "interval_start",
    "interval_step",
    "interval_max",
    "retry_errors",
    "polling_interval",
}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the publishers' inserts and the consumers' reads proceed together.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Channel(kombu_sqlalchemy.Channel):
    def _engine_from_config(self):
        conninfo = self.connection.client
        options = {
            key: value
            for key, value in conninfo.transport_options.items()
            if key not in KOMBU_ONLY_OPTIONS
        }
        engine = create_engine(conninfo.hostname, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def _get(self, queue, timeout=None):
        obj = self._get_or_create(queue)
        if self.session.bind.name == "sqlite":
            self.session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            message = (
                self.session.query(self.message_cls)
                .with_for_update()
                .filter(self.message_cls.queue_id == obj.id)
                .filter(self.message_cls.visible.is_(True))
                .order_by(self.message_cls.sent_at, self.message_cls.id)
                .limit(1)
                .first()
            )
            if message is None:
                raise Empty()
            payload = loads(bytes_to_str(message.payload))
            self.session.delete(message)
            return payload
        finally:
            self.session.commit()


class Transport(kombu_sqlalchemy.Transport):
    Channel = Channel
