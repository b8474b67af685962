"""The Flask extensions, created unbound and initialised in ``create_app``.

The ``Api`` (flask-smorest) is not here: each app builds its own, with its own OpenAPI
document (``create_app`` may run more than once in a process)."""

from contextlib import contextmanager

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as BaseSession
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic autogenerate and migrate-check agree on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


MEMBER_READS = "member_reads"  # the bind key of the mini-program's read-only pool
# session.info key: the engine every statement of this session runs on (a read-only request
# of the mini-program on PostgreSQL: ``web.read_only``)
SESSION_ENGINE = "unioncard.engine"


class Session(BaseSession):
    """Flask-SQLAlchemy's session; ``info[SESSION_ENGINE]``, when set, is its only engine."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.info.get(SESSION_ENGINE) is not None:
            return self.info[SESSION_ENGINE]
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()


@contextmanager
def savepoint():
    """``session.begin_nested()`` that nests on SQLite too.

    pysqlite opens its transaction only at the first write, so a SAVEPOINT issued before
    any write would start a transaction of its own, and its RELEASE would commit everything
    so far. Opening the transaction first makes the SAVEPOINT nest, as on PostgreSQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        raw = db.session.connection().connection.driver_connection
        if not raw.in_transaction:
            raw.execute("BEGIN")
    with db.session.begin_nested():
        yield
