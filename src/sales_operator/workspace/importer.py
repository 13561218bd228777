"""CSV imports into the SQLite CRM: all rows or none, errors that name file, row and column.

Each kind reads one CSV with a header row. Columns are the field names below; `--map COL=FIELD`
renames a column of your export to one of ours (`--map COL=` drops it). Empty cells are
missing values. A deal's custom fields come from columns named `fields.NAME`.

- `reps` (key `id`): name, email, role, territory, segments (`smb;mid_market`), capacity,
  weight, manager_id, slack, timezone, working_hours (`9-18`), out_of_office
  (`2026-12-24..2026-12-31;...`).
- `accounts` (key `id`): name, domain, industry, employees, territory, country, segment.
- `contacts` (key `id`): account_id, name, email, title, role, seniority.
- `deals` (key `id`): name, account_id, lead_id, stage, amount, close_date, owner_id, outcome,
  created_at, closed_at, and `fields.NAME` for custom fields.
- `activities` (no key): at, kind, direction, summary, account_id, deal_id.

Every row is validated, and every reference (a contact's account, a deal's owner, account and
stage, an activity's deal) is checked against the CRM and the same file, before one
transaction writes them all. A row whose key exists is updated; an activity that is already
stored (same deal, account, time, kind and summary) is skipped, so re-running an import
changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from sales_operator.adapters._records import iso, new_deal_row, outcome_for
from sales_operator.adapters.base import Rep
from sales_operator.adapters.sqlite_crm import (
    SQLiteCRM,
    _insert_deal,
    _record_stage,
    _SampleAccount,
    _SampleActivity,
    _SampleContact,
    _SampleDeal,
    _update_deal,
    _upsert_account,
    _upsert_contact,
    moment_text,
)
from sales_operator.errors import DataError
from sales_operator.policy import Policy
from sales_operator.state import Account, Contact
from sales_operator.workspace import IMPORT_KINDS

_MODELS: dict[str, type[BaseModel]] = {
    "reps": Rep,
    "accounts": _SampleAccount,
    "contacts": _SampleContact,
    "deals": _SampleDeal,
    "activities": _SampleActivity,
}

_MAX_BYTES = 200 * 1024 * 1024
"""Largest CSV file read (200 MB)."""


@dataclass(frozen=True)
class ImportResult:
    """What one import stored."""

    kind: str
    """The record kind."""
    source: str
    """The file."""
    rows: int
    """Data rows read."""
    created: int = 0
    """Records added."""
    updated: int = 0
    """Existing records (same id) updated."""
    skipped: int = 0
    """Rows already stored (activities)."""
    ids: list[str] = field(default_factory=list)
    """Ids of the records created or updated, in file order."""


@dataclass(frozen=True)
class _Row:
    line: int
    record: BaseModel
    columns: dict[str, str]
    """Our field name to the CSV column it came from (for error messages)."""


def fields_of(kind: str) -> list[str]:
    """Return the field names a CSV of `kind` may have (deals also take `fields.NAME`)."""
    model = _MODELS.get(kind)
    if model is None:
        raise DataError(f"unknown import kind {kind!r}; expected one of {', '.join(IMPORT_KINDS)}")
    names = list(model.model_fields)
    if kind == "deals":
        names = [n for n in names if n != "fields"]
    return names


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """Parse `COL=FIELD` items into a column-to-field dict (`COL=` drops the column).

    Raises:
        DataError: for an item without `=`, or a column mapped twice.
    """
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, target = item.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column:
            raise DataError(f"--map {item!r}: expected COLUMN=FIELD (or COLUMN= to drop it)")
        if column in mapping:
            raise DataError(f"--map: column {column!r} is mapped twice")
        mapping[column] = target
    return mapping


def import_csv(
    crm: SQLiteCRM,
    kind: str,
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    policy: Policy | None = None,
    clock: Callable[[], datetime] | None = None,
) -> ImportResult:
    """Import the records of one CSV file into `crm`, all or none.

    Args:
        crm: The workspace's SQLite CRM.
        kind: `reps`, `accounts`, `contacts`, `deals` or `activities`.
        path: The CSV file (UTF-8, a BOM is fine; header row first).
        mapping: CSV column to our field name; an empty field name drops the column.
        policy: The policy whose `stages` imported deals must use (default: the bundled one).
        clock: "Now", for deals without `created_at`.

    Returns:
        What was stored.

    Raises:
        DataError: naming the file, the row (spreadsheet numbering: the header is row 1) and
            the column of the first problem; nothing is stored then.
    """
    from sales_operator.policy import default_policy

    allowed = fields_of(kind)
    name = str(path)
    text = _read(Path(path))
    mapping = mapping or {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise DataError(f"{name}, row 1: not valid CSV: {exc}") from exc
    if not header:
        raise DataError(f"{name}, row 1: the file has no header row")
    reader.fieldnames = header
    unmapped = sorted(set(mapping) - set(header))
    if unmapped:
        raise DataError(f"{name}, row 1: --map names column(s) {unmapped} that the header lacks")
    targets: dict[str, str] = {}
    for column in header:
        target = mapping.get(column, column)
        if not target:
            continue
        known = target in allowed or (kind == "deals" and target.startswith("fields."))
        if not known:
            raise DataError(
                f"{name}, row 1, column {column!r}: not a field of {kind} (fields: "
                f"{', '.join(allowed)}{', fields.NAME' if kind == 'deals' else ''}); rename it "
                f"with --map {column}=FIELD or drop it with --map {column}="
            )
        if target in targets.values():
            raise DataError(f"{name}, row 1, column {column!r}: a second column for {target!r}")
        targets[column] = target
    rows: list[_Row] = []
    try:
        for raw in reader:
            line = reader.line_num
            if None in raw:
                raise DataError(f"{name}, row {line}: the row has more cells than the header")
            if not any((v or "").strip() for v in raw.values()):
                continue
            rows.append(_parse_row(name, line, kind, raw, targets))
    except csv.Error as exc:  # a NUL byte, a cell over the csv module's size limit
        raise DataError(f"{name}, row {reader.line_num + 1}: not valid CSV: {exc}") from exc
    if not rows:
        raise DataError(f"{name}: no data rows to import")
    _check_duplicates(name, rows)
    return _store(crm, kind, name, rows, policy or default_policy(), clock)


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > _MAX_BYTES:
            raise DataError(f"{path}: {size} bytes is more than the {_MAX_BYTES} a CSV may have")
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not UTF-8 text at byte {exc.start}; save the export as UTF-8 CSV"
        ) from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _parse_row(
    name: str, line: int, kind: str, raw: dict[str, str], targets: dict[str, str]
) -> _Row:
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    columns: dict[str, str] = {}
    for column, target in targets.items():
        cell = (raw.get(column) or "").strip()
        columns[target.split(".", 1)[0] if target.startswith("fields.") else target] = column
        if not cell:
            continue
        control = next((c for c in cell if ord(c) < 32 and c not in "\t\n\r"), None)
        if control is not None:
            raise DataError(
                f"{name}, row {line}, column {column!r}: control character {control!r} in the cell"
            )
        try:
            if target.startswith("fields."):
                custom[target[len("fields.") :]] = cell
            elif kind == "reps" and target == "segments":
                values[target] = _split(cell)
            elif kind == "reps" and target == "working_hours":
                start, sep, end = cell.replace("–", "-").partition("-")
                if not sep:
                    raise ValueError(f"expected START-END hours such as 9-18, got {cell!r}")
                values[target] = (int(start), int(end))
            elif kind == "reps" and target == "out_of_office":
                ranges = []
                for part in _split(cell):
                    first, sep, last = part.partition("..")
                    ranges.append((first, last if sep else first))
                values[target] = ranges
            else:
                values[target] = cell
        except ValueError as exc:
            raise DataError(f"{name}, row {line}, column {column!r}: {exc}") from exc
    if custom:
        values["fields"] = custom
    model = _MODELS[kind]
    try:
        record = model.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        target = str(error["loc"][0]) if error["loc"] else ""
        column = columns.get(target, target)
        where = f", column {column!r}" if column else ""
        got = f" (got {error['input']!r})" if target in values else ""
        raise DataError(f"{name}, row {line}{where}: {error['msg']}{got}") from exc
    return _Row(line=line, record=record, columns=columns)


def _check_duplicates(name: str, rows: Sequence[_Row]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        key = getattr(row.record, "id", None)
        if key is None:
            continue
        if key in seen:
            raise DataError(
                f"{name}, row {row.line}, column {row.columns.get('id', 'id')!r}: duplicate id "
                f"{key!r} (first on row {seen[key]})"
            )
        seen[key] = row.line


def _fail(name: str, row: _Row, target: str, message: str) -> DataError:
    return DataError(
        f"{name}, row {row.line}, column {row.columns.get(target, target)!r}: {message}"
    )


def _exists(conn: sqlite3.Connection, table: str, key: str) -> bool:
    return conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (key,)).fetchone() is not None


def _store(
    crm: SQLiteCRM,
    kind: str,
    name: str,
    rows: list[_Row],
    policy: Policy,
    clock: Callable[[], datetime] | None,
) -> ImportResult:
    now = (clock or (lambda: datetime.now(UTC)))()
    counts = {"created": 0, "updated": 0, "skipped": 0}
    ids: list[str] = []
    store = {
        "reps": _store_rep,
        "accounts": _store_account,
        "contacts": _store_contact,
        "deals": _store_deal,
        "activities": _store_activity,
    }[kind]
    file_ids = {getattr(r.record, "id", "") for r in rows}
    try:
        with crm._transaction(f"import {kind}") as conn:
            for row in rows:
                outcome, key = store(conn, name, row, policy, now, file_ids)
                counts[outcome] += 1
                if key:
                    ids.append(key)
    except sqlite3.Error as exc:
        raise DataError(f"{name}: the import was rolled back, nothing was stored: {exc}") from exc
    return ImportResult(kind=kind, source=name, rows=len(rows), ids=ids, **counts)


_Stored = tuple[Literal["created", "updated", "skipped"], str | None]


def _store_rep(
    conn: sqlite3.Connection, name: str, row: _Row, policy: Policy, now: datetime, ids: set[str]
) -> _Stored:
    rep = row.record
    assert isinstance(rep, Rep)
    if rep.manager_id and rep.manager_id not in ids and not _exists(conn, "reps", rep.manager_id):
        raise _fail(name, row, "manager_id", f"unknown rep {rep.manager_id!r} (import it first)")
    if rep.working_hours[0] not in range(24) or rep.working_hours[1] not in range(1, 25):
        raise _fail(name, row, "working_hours", f"hours out of range: {rep.working_hours}")
    existed = _exists(conn, "reps", rep.id)
    conn.execute(
        """
        INSERT INTO reps (id, name, email, role, territory, data) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email,
            role = excluded.role, territory = excluded.territory, data = excluded.data
        """,
        (rep.id, rep.name, rep.email, rep.role, rep.territory, rep.model_dump_json()),
    )
    return ("updated" if existed else "created"), rep.id


def _store_account(
    conn: sqlite3.Connection, name: str, row: _Row, policy: Policy, now: datetime, ids: set[str]
) -> _Stored:
    account = row.record
    assert isinstance(account, _SampleAccount)
    existed = _exists(conn, "accounts", account.id)
    _upsert_account(conn, Account(**account.model_dump(exclude={"segment"})), account.segment)
    return ("updated" if existed else "created"), account.id


def _store_contact(
    conn: sqlite3.Connection, name: str, row: _Row, policy: Policy, now: datetime, ids: set[str]
) -> _Stored:
    contact = row.record
    assert isinstance(contact, _SampleContact)
    if contact.account_id and not _exists(conn, "accounts", contact.account_id):
        raise _fail(
            name,
            row,
            "account_id",
            f"unknown account {contact.account_id!r} (import accounts first)",
        )
    existed = _exists(conn, "contacts", contact.id)
    _upsert_contact(
        conn,
        Contact(**contact.model_dump(exclude={"account_id", "seniority"})),
        contact.account_id,
        contact.seniority,
    )
    return ("updated" if existed else "created"), contact.id


def _store_deal(
    conn: sqlite3.Connection, name: str, row: _Row, policy: Policy, now: datetime, ids: set[str]
) -> _Stored:
    deal = row.record
    assert isinstance(deal, _SampleDeal)
    if deal.stage not in policy.stages:
        raise _fail(
            name,
            row,
            "stage",
            f"stage {deal.stage!r} is not in the policy's stages {policy.stages}",
        )
    implied = outcome_for(deal.stage)
    if deal.outcome and implied and deal.outcome != implied:
        raise _fail(name, row, "outcome", f"{deal.outcome!r} contradicts stage {deal.stage!r}")
    if deal.outcome and not implied:
        raise _fail(name, row, "outcome", f"an open deal (stage {deal.stage!r}) has no outcome")
    for target, table, what in (
        ("account_id", "accounts", "account"),
        ("lead_id", "leads", "lead"),
        ("owner_id", "reps", "rep"),
    ):
        key = getattr(deal, target)
        if key and not _exists(conn, table, key):
            raise _fail(name, row, target, f"unknown {what} {key!r} (import {table} first)")
    closed_at: str | None = None
    if deal.closed_at is not None:
        closed_at = moment_text(deal.closed_at)
    elif implied and deal.close_date:
        closed_at = deal.close_date.isoformat()
    elif implied:
        raise _fail(name, row, "close_date", "a closed deal needs close_date or closed_at")
    created = iso(deal.created_at) if deal.created_at else iso(now)
    previous = conn.execute("SELECT stage FROM deals WHERE id = ?", (deal.id,)).fetchone()
    values = new_deal_row(
        deal,
        account_id=deal.account_id,
        lead_id=deal.lead_id,
        created_at=created,
        closed_at=closed_at,
        updated_at=iso(now),
    )
    if previous is None:
        _insert_deal(conn, values)
        _record_stage(conn, deal.id, None, deal.stage, created)
        return "created", deal.id
    update = {k: v for k, v in values.items() if k not in {"id", "created_at"}}
    if deal.created_at is not None:
        update["created_at"] = created
    _update_deal(conn, deal.id, update)
    if previous["stage"] != deal.stage:
        _record_stage(conn, deal.id, previous["stage"], deal.stage, iso(now))
    return "updated", deal.id


def _store_activity(
    conn: sqlite3.Connection, name: str, row: _Row, policy: Policy, now: datetime, ids: set[str]
) -> _Stored:
    activity = row.record
    assert isinstance(activity, _SampleActivity)
    account_id = activity.account_id
    if activity.deal_id:
        found = conn.execute(
            "SELECT account_id FROM deals WHERE id = ?", (activity.deal_id,)
        ).fetchone()
        if found is None:
            raise _fail(
                name, row, "deal_id", f"unknown deal {activity.deal_id!r} (import deals first)"
            )
        account_id = account_id or found["account_id"]
    if account_id and not _exists(conn, "accounts", account_id):
        raise _fail(name, row, "account_id", f"unknown account {account_id!r}")
    if not account_id and not activity.deal_id:
        raise _fail(name, row, "deal_id", "an activity needs a deal_id or an account_id")
    values = (
        account_id,
        activity.deal_id,
        iso(activity.at),
        activity.kind,
        activity.direction,
        activity.summary,
    )
    stored = conn.execute(
        "SELECT 1 FROM activities WHERE account_id IS ? AND deal_id IS ? AND at = ? AND kind = ?"
        " AND direction = ? AND summary = ?",
        values,
    ).fetchone()
    if stored is not None:
        return "skipped", None
    conn.execute(
        "INSERT INTO activities (account_id, deal_id, at, kind, direction, summary)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        values,
    )
    return "created", None


def result_json(result: ImportResult) -> str:
    """Return `result` as one line of JSON (for the CLI's `--json`)."""
    return json.dumps(
        {
            "kind": result.kind,
            "source": result.source,
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "skipped": result.skipped,
        }
    )
