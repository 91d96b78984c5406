"""A synthetic, reproducible EMPACT data set at scale, loaded with PostgreSQL COPY.

    BENCH_SCALE=0.05 .venv/bin/python bench/generate.py          # 1 000 actions, ~50 000 entries
    .venv/bin/python bench/generate.py                          # 20 000 actions, ~1 000 000 entries
    .venv/bin/python bench/generate.py --force                  # regenerate even if present

On the dedicated database BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/empact_bench,
created when missing): migrate, load the reference data (`loaddata reference`), then COPY in
operational actions across the plans of the 2022–2025 cycle (dates within their plan's years),
their participation (one leader, most actions 2–15 organisations, some third countries), the
CHSGs they serve, and result entries (mostly validated) valid under the row checker's rules
(oap/services/checks.py): by an organisation taking part in the action, in a year within the
action's years, one period per action, organisation, counter and year (a whole year, or both
half-years, never both), whole numbers for counts and at most 3 decimals for amounts, within
each unit's maximum. Validated entries carry no validator (`validated_by` NULL: nobody of the
reporting organisation validated them, the four-eyes rule holds). History tables are left
empty: the benchmarks do not read them.

The same BENCH_SCALE and BENCH_SEED give the same rows. A run that finds the data set of its
scale and seed already loaded does nothing (unless --force).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

ACTIONS = 20_000
ENTRIES = 1_000_000
SEED = 20_222_025
HANDLING = (("participants", 0.15), ("eu", 0.55), ("partners", 0.30))
ACTION_STATUS = (
    ("completed", 0.55),
    ("ongoing", 0.2),
    ("not_completed", 0.1),
    ("planned", 0.1),
    ("cancelled", 0.05),
)
ENTRY_STATUS = (("validated", 0.85), ("submitted", 0.06), ("draft", 0.05), ("returned", 0.04))
HALF_YEARS = 0.15  # share of (organisation, counter, year) figures reported as two half-years
META_TABLE = "bench_meta"
NULL = "\\N"  # COPY text format


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def copy_text(cursor, table: str, columns: list[str], lines: list[str]) -> None:
    """COPY `lines` (tab-separated text, \\N for NULL) into `table`."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        chunk = 20_000
        for start in range(0, len(lines), chunk):
            copy.write("".join(lines[start : start + chunk]))


def participants_count(rng: random.Random) -> int:
    """Most actions 2–15 organisations (smaller more often), a few large ones up to 30."""
    if rng.random() < 0.07:
        return rng.randint(16, 30)
    return min(15, 2 + int(rng.expovariate(1 / 4.5)))


def cycle_plans():
    """The plans of the 2022–2025 cycle in the reference data (2022–2023 and their -24 sequels)."""
    from oap.models import OperationalActionPlan

    return list(
        OperationalActionPlan.objects.filter(priority__cycle__code="2022-2025")
        .select_related("priority")
        .order_by("code")
    )


def action_dates(rng: random.Random, plan) -> tuple[date, date]:
    """Start and end within the plan's years (and so its cycle): entries go in the years between."""
    first, last = date(plan.start_year, 1, 1), date(plan.end_year, 12, 31)
    start = first + timedelta(days=rng.randint(0, 400))
    return start, min(last, start + timedelta(days=rng.randint(30, 700)))


def ensure_users():
    from django.contrib.auth import get_user_model

    from oap.models import Organisation

    User = get_user_model()
    specs = [
        (common.HUB_ANALYST, "EUROPOL", "analyst", False),
        (common.PARTNER, "CO", "coordinator", False),
        (common.IMPORTER, "DE", "coordinator", False),
        (common.ADMIN, None, "viewer", True),
    ]
    for username, org, role, superuser in specs:
        User.objects.update_or_create(
            username=username,
            defaults={
                "organisation": Organisation.objects.get(code=org) if org else None,
                "role": role,
                "is_superuser": superuser,
                "is_staff": True,
                "is_active": True,
            },
        )


def loaded_signature(cursor) -> str | None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value text NOT NULL)")
    cursor.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'dataset'")
    row = cursor.fetchone()
    return row[0] if row else None


#: rows breaking the rules of oap/services/checks.py and oap/services/actions.py (each must find none)
RULE_CHECKS = {
    "entries outside their action's years": """
        SELECT count(*) FROM oap_resultentry e JOIN oap_operationalaction a ON a.id = e.action_id
         WHERE e.year NOT BETWEEN extract(year FROM a.start) AND extract(year FROM a."end")""",
    "actions outside their plan's years": """
        SELECT count(*) FROM oap_operationalaction a JOIN oap_operationalactionplan p ON p.id = a.plan_id
         WHERE extract(year FROM a.start) < p.start_year OR extract(year FROM a."end") > p.end_year""",
    "whole-year beside half-year figures": """
        SELECT count(*) FROM (SELECT 1 FROM oap_resultentry GROUP BY action_id, organisation_id, result_type_id, year
                              HAVING bool_or(half_year IS NULL) AND bool_or(half_year IS NOT NULL)) x""",
    "entries of organisations not taking part": """
        SELECT count(*) FROM oap_resultentry e WHERE NOT EXISTS (
          SELECT 1 FROM oap_participation p WHERE p.action_id = e.action_id AND p.organisation_id = e.organisation_id)""",
    "counts with decimals": """
        SELECT count(*) FROM oap_resultentry e JOIN oap_resulttype t ON t.id = e.result_type_id
         WHERE t.unit IN ('count', 'rounds', 'units') AND e.value <> trunc(e.value)""",
    "validated by their own organisation": """
        SELECT count(*) FROM oap_resultentry e JOIN oap_user u ON u.id = e.validated_by_id
         WHERE u.organisation_id = e.organisation_id""",
}


def check_rules(cursor) -> None:
    """Refuse a data set that the rules would not have let in."""
    broken = {}
    for name, sql in RULE_CHECKS.items():
        cursor.execute(sql)
        if found := cursor.fetchone()[0]:
            broken[name] = found
    if broken:
        raise SystemExit(f"the generated data set breaks the rules: {broken}")


def generate(scale: float, seed: int, force: bool = False) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from oap.models import (
        CommonHorizontalStrategicGoal,
        OperationalAction,
        Organisation,
        Participation,
        ResultEntry,
        ResultType,
    )

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("loaddata", "reference", verbosity=0)
    plans = cycle_plans()
    ensure_users()
    n_actions = max(40, round(ACTIONS * scale))
    n_entries = max(1000, round(ENTRIES * scale))
    signature = f"scale={scale} seed={seed} actions={n_actions} entries={n_entries} v2"
    with connection.cursor() as c:
        if loaded_signature(c) == signature and not force:
            c.execute(f"SELECT count(*) FROM {ResultEntry._meta.db_table}")
            print(f"data set already loaded ({signature}); --force to regenerate")
            return {"signature": signature, "entries": c.fetchone()[0], "skipped": True}

    rng = random.Random(seed)
    orgs = list(Organisation.objects.order_by("code"))
    by_kind: dict[str, list] = {}
    for org in orgs:
        by_kind.setdefault(org.kind, []).append(org)
    member_states = by_kind["member_state"]
    agencies = by_kind.get("eu_agency", []) + by_kind.get("eu_institution", [])
    third = by_kind.get("third_country", [])
    intl = by_kind.get("international_organisation", [])
    hub = next(o for o in orgs if o.is_hub)
    types = list(ResultType.objects.order_by("order", "code"))
    chsgs = list(CommonHorizontalStrategicGoal.objects.order_by("number").values_list("pk", flat=True))
    now = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    def stamp(year: int) -> str:
        moment = datetime(year, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 364 * 86400))
        return moment.isoformat()

    # --- actions, participation, CHSGs ---------------------------------------------------------
    action_lines, part_lines, chsg_lines = [], [], []
    actions = []  # (id, plan, [org ids])
    part_id = 0
    per_plan: dict[int, int] = {}
    for action_id in range(1, n_actions + 1):
        plan = plans[rng.randrange(len(plans))]
        per_plan[plan.pk] = per_plan.get(plan.pk, 0) + 1
        code = f"{plan.code} B{per_plan[plan.pk]}"
        start, end = action_dates(rng, plan)
        handling = weighted(rng, HANDLING)
        status = weighted(rng, ACTION_STATUS)
        title = f"Joint action {per_plan[plan.pk]} of {plan.code}"
        description = f"Synthetic operational action {code}, generated for the benchmarks (seed {seed})."
        action_lines.append(
            f"{action_id}\t{plan.pk}\t{code}\t{title}\t{description}\t{status}\t{start}\t{end}\t{handling}\t"
            f"{now.isoformat()}\t{now.isoformat()}\n"
        )
        size = participants_count(rng)
        chosen = {}
        leader = rng.choice(member_states) if rng.random() < 0.9 else rng.choice(agencies)
        chosen[leader.pk] = "leader"
        if rng.random() < 0.45:
            chosen.setdefault(hub.pk, "participant")
        if rng.random() < 0.25 and third:  # some third countries, sometimes an international org.
            for org in rng.sample(third, min(len(third), rng.randint(1, 3))):
                chosen.setdefault(org.pk, "participant")
        if rng.random() < 0.08 and intl:
            chosen.setdefault(rng.choice(intl).pk, "participant")
        pool = member_states + agencies
        while len(chosen) < size:
            org = pool[rng.randrange(len(pool))] if rng.random() < 0.9 else rng.choice(third + intl)
            chosen.setdefault(org.pk, "participant")
        co_leaders = rng.randint(0, 2)
        for org_pk in list(chosen)[1:]:
            if co_leaders and chosen[org_pk] == "participant":
                chosen[org_pk] = "co_leader"
                co_leaders -= 1
        for org_pk, role in chosen.items():
            part_id += 1
            part_lines.append(f"{part_id}\t{action_id}\t{org_pk}\t{role}\n")
        for chsg in rng.sample(chsgs, rng.randint(1, 2)):
            chsg_lines.append(f"{action_id}\t{chsg}\n")
        actions.append((action_id, range(start.year, end.year + 1), list(chosen)))

    # --- result entries ----------------------------------------------------------------------
    # Each action gets a share of the entries (varying ±70 %), as distinct (organisation, year,
    # counter) slots; a share of the slots are reported as two half-years.
    weights = [rng.uniform(0.3, 1.7) * len(orgs_) for _, _, orgs_ in actions]
    total_weight = sum(weights)
    entry_lines = []
    entry_id = 0
    for (action_id, years, org_ids), weight in zip(actions, weights, strict=True):
        want = round(n_entries * weight / total_weight / (1 + HALF_YEARS))
        space = len(org_ids) * len(years) * len(types)
        for slot in rng.sample(range(space), min(want, space)):
            org_idx, rest = divmod(slot, len(years) * len(types))
            year_idx, type_idx = divmod(rest, len(types))
            org_pk, year, rtype = org_ids[org_idx], years[year_idx], types[type_idx]
            periods = (1, 2) if rng.random() < HALF_YEARS else (None,)
            for half in periods:
                entry_id += 1
                status = weighted(rng, ENTRY_STATUS)
                if rtype.unit in ("eur", "units", "rounds"):
                    value = Decimal(rng.randint(100, 2_000_000))
                elif rtype.unit in ("kg", "t", "l"):
                    value = Decimal(rng.randint(1, 5_000_000)) / 1000
                else:
                    value = Decimal(int(rng.expovariate(1 / 12)))
                entered = stamp(year)
                submitted = entered if status in ("submitted", "validated", "returned") else None
                validated = entered if status == "validated" else None
                reason = (
                    "Please check the figure against the national statistics." if status == "returned" else ""
                )
                entry_lines.append(
                    f"{entry_id}\t{action_id}\t{org_pk}\t{rtype.pk}\t{year}\t{half or NULL}\t{value}\t{status}\t"
                    f"\t{reason}\t{NULL}\t{entered}\t{submitted or NULL}\t{NULL}\t{validated or NULL}\t{entered}\n"
                )
    t_generated = time.perf_counter()

    tables = {
        "action": OperationalAction._meta.db_table,
        "participation": Participation._meta.db_table,
        "chsgs": OperationalAction.chsgs.through._meta.db_table,
        "entry": ResultEntry._meta.db_table,
    }
    history = [
        OperationalAction.history.model._meta.db_table,
        Participation.history.model._meta.db_table,
        ResultEntry.history.model._meta.db_table,
    ]
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SET LOCAL synchronous_commit = off")
        c.execute("SET LOCAL maintenance_work_mem = '256MB'")
        c.execute(
            f"TRUNCATE {tables['entry']}, {tables['chsgs']}, {tables['participation']}, {tables['action']}, "
            f"{', '.join(history)}, knox_authtoken RESTART IDENTITY CASCADE"
        )
        raw = c.cursor
        copy_text(
            raw,
            tables["action"],
            [
                "id",
                "plan_id",
                "code",
                "title",
                "description",
                "status",
                "start",
                '"end"',
                "handling",
                "created_at",
                "updated_at",
            ],
            action_lines,
        )
        copy_text(raw, tables["participation"], ["id", "action_id", "organisation_id", "role"], part_lines)
        copy_text(
            raw, tables["chsgs"], ["operationalaction_id", "commonhorizontalstrategicgoal_id"], chsg_lines
        )
        t_copy = time.perf_counter()
        copy_text(
            raw,
            tables["entry"],
            [
                "id",
                "action_id",
                "organisation_id",
                "result_type_id",
                "year",
                "half_year",
                "value",
                "status",
                "comment",
                "return_reason",
                "entered_by_id",
                "entered_at",
                "submitted_at",
                "validated_by_id",
                "validated_at",
                "updated_at",
            ],
            entry_lines,
        )
        t_entries = time.perf_counter()
        c.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign key checks
        for table, count in (
            (tables["action"], n_actions),
            (tables["participation"], part_id),
            (tables["entry"], entry_id),
        ):
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [max(count, 1)])
        c.execute(
            f"INSERT INTO {META_TABLE} (key, value) VALUES ('dataset', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [signature],
        )
    with connection.cursor() as c:
        for table in tables.values():
            c.execute(f"VACUUM ANALYZE {table}")
        c.execute("ANALYZE")  # the reference tables too (plans, organisations): the planner's estimates
        check_rules(c)
    done = time.perf_counter()
    summary = {
        "signature": signature,
        "actions": n_actions,
        "participations": part_id,
        "entries": entry_id,
        "generate_seconds": round(t_generated - t0, 1),
        "copy_entries_seconds": round(t_entries - t_copy, 1),
        "copy_entries_rows_per_s": round(entry_id / (t_entries - t_copy)),
        "total_seconds": round(done - t0, 1),
    }
    print(
        f"loaded {n_actions} actions, {part_id} participations, {entry_id} result entries "
        f"(COPY of the entries {summary['copy_entries_seconds']} s, {summary['copy_entries_rows_per_s']} rows/s, "
        f"total {summary['total_seconds']} s)"
    )
    return summary


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="regenerate even if the data set is loaded")
    parser.add_argument("--seed", type=int, default=None, help=f"random seed (BENCH_SEED, default {SEED})")
    args = parser.parse_args(argv)
    common.setup_django()
    import os

    seed = args.seed if args.seed is not None else int(os.environ.get("BENCH_SEED", SEED))
    return generate(common.scale(), seed, force=args.force)


if __name__ == "__main__":
    main()
