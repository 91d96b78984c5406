"""The data version: what lets an API list page be served again without being recomputed.

Every committed write to a table an API list reads (actions, participation, CHSGs, plans and
their co-drivers, priorities, cycles, organisations, result types, result entries, year locks,
users, their groups and permissions) changes the data version, in the database itself: a
statement-level trigger on each of those tables (migration `0006_data_version`, which holds the
SQL) adds one to a row of
`oap_datastamp` and gives that row a new random stamp. So does any path — the ORM, bulk
COPY, a `queryset.update()`, raw SQL, a cascade, the admin — with nothing to forget in Python.

Why it is exact:

- the version is read *before* the page's queries, and under READ COMMITTED each later query
  sees at least what the version read saw: a page is never older than the version it is
  stored under (it may be newer, which is harmless: that version is already past);
- a write becomes visible together with its version change (same transaction), so after any
  commit the version differs from every version read before it;
- a transaction that writes, reads a list and then rolls back leaves behind a key no later
  state can produce: the random stamp it wrote is rolled back with it and the next write
  draws another one;
- the version has 16 rows (a writer takes the row `txid % 16`), so concurrent writers rarely
  wait on each other; a reader sums them in one query.

Only PostgreSQL has the triggers; on the embedded SQLite fallback `current()` is None and
nothing is cached. `API_LIST_CACHE = False` turns the cache off (the benchmarks measure both).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

TABLE = "oap_datastamp"
#: the tables whose writes change the data version (what the API's lists and their access rule
#: read); a table added here needs a migration creating its trigger (tests check they agree)
TABLES = (
    "oap_organisation",
    "oap_cycle",
    "oap_prioritycrimearea",
    "oap_commonhorizontalstrategicgoal",
    "oap_operationalactionplan",
    "oap_operationalactionplan_co_drivers",
    "oap_operationalaction",
    "oap_operationalaction_chsgs",
    "oap_participation",
    "oap_resulttype",
    "oap_resultentry",
    "oap_yearlock",
    "oap_user",
    "oap_user_groups",
    "oap_user_user_permissions",
    "auth_group",
    "auth_group_permissions",
    "auth_permission",
)


def enabled() -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "API_LIST_CACHE", True)


#: the version as one text value: the sum of the shards' counters and a digest of their stamps
VERSION_SQL = f"SELECT sum(version)::text || '.' || left(md5(string_agg(stamp::text, ',' ORDER BY shard)), 16) FROM {TABLE}"


def current() -> str | None:
    """The data version as seen now (one query), or None where there is none (SQLite, cache off).

    Token requests get it with their token, in the same query (`oap.api.base.TokenAuthentication`
    sets `user.data_version`); `of(user)` prefers that one.
    """
    if not enabled():
        return None
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        return cursor.fetchone()[0]


def of(user) -> str | None:
    """The version read with the user's token in this request, else the version now."""
    return getattr(user, "data_version", None) or current()
