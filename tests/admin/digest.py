"""The domain tables' state, and which of their rows a request changed.

`snapshot()` reads every row of every table of the oap, reporting and notifications models — the many-to-many
tables included, the audit history (django-simple-history) left out — as {table: {pk: row}};
`fingerprint()` is a cheap per-table hash of the same, taken after every request. When a table's
hash moved, `changes(before)` says which rows were added, changed or deleted, so the crawler can
ask the access rule whether the user was allowed each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import connection

APPS = ("oap", "reporting", "notifications")


def domain_models() -> list:
    models = []
    for label in APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if "historical" in model._meta.db_table.lower():
                continue  # the audit trail grows with every allowed write; its rows are not data
            models.append(model)
    return models


def _rows(model) -> dict:
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY {pk}")
        columns = [c[0] for c in cursor.description]
        at = columns.index(model._meta.pk.column)
        return {row[at]: row for row in cursor.fetchall()}


def snapshot() -> dict:
    return {model: _rows(model) for model in domain_models()}


def fingerprint() -> dict:
    """One hash per table: equal fingerprints mean equal rows (up to a hash collision).

    PostgreSQL hashes in the database (one statement for every table); elsewhere the rows are
    read and hashed here.
    """
    models = domain_models()
    if connection.vendor != "postgresql":
        return {model: hash(tuple(_rows(model).values())) for model in models}
    parts = []
    for model in models:
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        parts.append(
            f"SELECT '{model._meta.label}', md5(coalesce(string_agg(t::text, '|' ORDER BY t.{pk}), '')) "
            f"FROM {table} t"
        )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        hashes = dict(cursor.fetchall())
    return {model: hashes[model._meta.label] for model in models}


@dataclass(frozen=True)
class Change:
    model: type
    pk: object
    kind: str  # "add", "change" or "delete"

    def __str__(self) -> str:
        return f"{self.kind} {self.model._meta.label} #{self.pk}"


def changes(before: dict, before_prints: dict) -> list[Change]:
    """The rows that differ from `before` now (only the tables whose fingerprint moved are read)."""
    found = []
    now = fingerprint()
    for model, print_ in now.items():
        if before_prints.get(model) == print_:
            continue
        old, new = before.get(model, {}), _rows(model)
        for pk in new.keys() - old.keys():
            found.append(Change(model, pk, "add"))
        for pk in old.keys() - new.keys():
            found.append(Change(model, pk, "delete"))
        for pk in old.keys() & new.keys():
            if old[pk] != new[pk]:
                found.append(Change(model, pk, "change"))
    return found
