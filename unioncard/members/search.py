"""Finding members by name, at city scale.

Chinese names are two to four characters, so a trigram index cannot serve the commonest
search (张伟 has no trigram inside it). On PostgreSQL the member table has a GIN index over the
name's two-character pieces (``uc_name_bigrams(name)``, created by the migration
``name_bigram_search``): a search of two or more characters first asks that index for the
names holding every piece of the text, then ``LIKE`` keeps those holding the text itself (in
order). A one-character search, and SQLite, use ``LIKE`` alone.
"""

from __future__ import annotations

from sqlalchemy import and_, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.expression import ColumnElement, literal
from sqlalchemy.types import Text

from ..bulk import is_postgres
from .idcard import normalise_text
from .models import Member


def bigrams(text: str) -> list[str]:
    """The text's two-character pieces, as ``uc_name_bigrams`` cuts them in the database."""
    return sorted({text[i : i + 2] for i in range(len(text) - 1)})


def name_matches(raw: object) -> ColumnElement[bool]:
    """Members whose name contains the text the clerk typed (normalised as names are stored)."""
    text = normalise_text(raw)
    contains = Member.name.contains(text, autoescape=True)
    if len(text) < 2 or not is_postgres():
        return contains
    pieces = literal(bigrams(text), ARRAY(Text))
    return and_(func.uc_name_bigrams(Member.name).op("@>")(pieces), contains)
