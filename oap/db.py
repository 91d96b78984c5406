"""The database features the rules need, and the one place that asks which database this is.

Two rules must hold in every interleaving of concurrent requests, so the database holds them:

- **A locked year stays locked.** Every write to a year's entries holds that year in SHARE mode
  until it commits (`hold_years`); locking a year takes it EXCLUSIVE (`hold_year_exclusively`).
  The lock therefore waits for the writes in flight to commit, and a write that starts after
  waits for the lock to commit — and then sees it, because its check of the locked years runs
  after it holds the year. A write and the lock of its year can never both succeed.
- **One period per counter.** Writes of one organisation's entries hold that organisation
  (`hold_organisations`), so the check "no whole-year figure beside half-years, no period twice"
  and the write it allows happen with no other write of the same figures in between.

On PostgreSQL these are transaction-scoped advisory locks (released at commit or rollback). On
SQLite, the embedded single-process fallback, a write transaction already excludes every other
writer, so there is nothing to take.

Many rows are written with `insert_rows`: one COPY on PostgreSQL (an import of 50 000 checked
entries and their history rows in about a second), a batched INSERT elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.db import connection

#: advisory lock namespaces (the high 32 bits of the bigint key; the low ones are the year or id)
_YEAR, _ORGANISATION = 8301, 8302


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _advisory(function: str, namespace: int, keys: Iterable[int]) -> None:
    if not is_postgresql():
        return
    ordered = [(namespace << 32) | key for key in sorted({int(key) for key in keys})]
    if not ordered:
        return
    with connection.cursor() as cursor:  # in one order for everybody (no deadlock), in one query
        cursor.execute(
            f"SELECT {function}(key) FROM unnest(%s::bigint[]) WITH ORDINALITY AS k(key, n)", [ordered]
        )


def hold_years(years: Iterable[int]) -> None:
    """Hold `years` against being locked until this transaction ends (call inside atomic)."""
    _advisory("pg_advisory_xact_lock_shared", _YEAR, years)


def hold_year_exclusively(year: int) -> None:
    """Wait for every write in flight to `year` to commit, and keep new ones out until this
    transaction ends (call inside atomic, before checking and locking the year)."""
    _advisory("pg_advisory_xact_lock", _YEAR, [year])


def hold_organisations(organisation_ids: Iterable[int]) -> None:
    """Serialise writes of these organisations' entries until this transaction ends."""
    _advisory("pg_advisory_xact_lock", _ORGANISATION, organisation_ids)


def insert_rows(
    model, columns: Sequence[str], rows: Sequence[tuple], *, returning: bool = False
) -> list[int]:
    """INSERT `rows` (values of the fields `columns`, by attname, ready for the database: ids,
    numbers, text, aware datetimes) into `model`'s table; their new primary keys when `returning`,
    in the order of `rows`.

    On PostgreSQL, one COPY (the keys drawn from the table's sequence first); elsewhere batched
    INSERTs. Nothing else happens: no `save()`, no signals, and the values are stored as given
    (`auto_now` fields too). The caller has checked the rows.
    """
    if not rows:
        return []
    if not is_postgresql():
        return _insert_batches(model, columns, rows, returning)
    table, pk = model._meta.db_table, model._meta.pk.column
    fields = [model._meta.get_field(name) for name in columns]
    if returning:
        fields.insert(0, model._meta.pk)
    ids: list[int] = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, len(rows)],
            )
            ids = sorted(key for (key,) in cursor.fetchall())
        quoted = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN (FORMAT binary)"
        with cursor.cursor.copy(sql) as copy:
            # binary, typed as the columns (`numeric(18, 3)` → numeric): no text formatting of each value
            copy.set_types([re.sub(r"\(.*\)", "", field.cast_db_type(connection)) for field in fields])
            if returning:
                for key, row in zip(ids, rows, strict=True):
                    copy.write_row((key, *row))
            else:
                for row in rows:
                    copy.write_row(row)
    return ids


def _insert_batches(model, columns: Sequence[str], rows: Sequence[tuple], returning: bool) -> list[int]:
    """INSERT in batches of the database's parameter limit, values as given (`raw`: as loaddata
    writes fixtures, without the fields' `pre_save`)."""
    fields = [model._meta.get_field(name) for name in columns]
    objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    many = connection.features.can_return_rows_from_bulk_insert or not returning
    size = (connection.ops.bulk_batch_size(fields, objects) or len(objects)) if many else 1
    ids: list[int] = []
    for start in range(0, len(objects), size):
        returned = model._base_manager._insert(
            objects[start : start + size],
            fields=fields,
            returning_fields=[model._meta.pk] if returning else None,
            raw=True,
        )
        ids += [row[0] for row in returned or []]
    return ids
