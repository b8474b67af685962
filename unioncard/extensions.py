"""The Flask extensions, created unbound and initialised in ``create_app``.

The ``Api`` (flask-smorest) is not here: each app builds its own, with its own OpenAPI
document (``create_app`` may run more than once in a process)."""

from contextlib import contextmanager

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
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


db = SQLAlchemy(model_class=Base)
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
