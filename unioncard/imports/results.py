"""What the import engine takes and gives: context, lookups, errors, rows, header."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class UnionContext:
    """The importing union."""

    union_name: str  # the full legal name, matched exactly (surrounding blanks aside)
    branch_codes: frozenset[str]  # the 领卡网点 codes it may name


@dataclass(frozen=True)
class ExistingMember:
    """A member already in the database holding an ID number being imported."""

    name: str
    org_id: int
    org_name: str
    mobile_bidx: str | None = None  # the holder's mobile (blind index), when known


class Lookups(Protocol):
    """What the engine asks the database, once per chunk and only for well-formed values."""

    def find_ids(self, id_numbers: list[str]) -> dict[str, ExistingMember]:
        """The given normalised ID numbers that already exist, with their holders."""
        ...

    def find_mobiles(self, mobiles: list[str]) -> set[str]:
        """The given mobiles that already belong to a member."""
        ...

    def index(self, kind: str, value: str) -> str:
        """The blind index of a value (only asked for when an ``ExistingMember`` has one)."""
        ...


@dataclass(frozen=True, slots=True)
class CellError:
    """One problem, where the clerk will find it."""

    row: int  # Excel row number (1-based)
    column: str  # Excel column letter, e.g. "D"; "" for a whole-row/file error
    field: str  # column header without the *, e.g. "证件号码"
    message: str  # Chinese


@dataclass(slots=True)
class ImportedRow:
    """A valid member row, normalised."""

    row: int
    name: str
    id_type: str
    id_number: str
    id_expiry: date | None
    country: str
    gender: str
    birth_date: date
    mobile: str
    work_address: str
    join_date: date | None
    wants_card: bool
    remark: str


@dataclass(slots=True)
class RowOutcome:
    """One non-blank data row: the member if the row is valid, else its errors."""

    row: int
    member: ImportedRow | None
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class HeaderInfo:
    """The header block (row 3) as read; a value is None where it is missing or invalid."""

    union_name: str = ""
    income_code: int | None = None
    unit_type: str | None = None
    branch_code: str | None = None
    transport_card: bool | None = None
