"""The demo data set: reference data, demo actions, demo users and validated results.

`load_demo()` (called by `manage.py load_demo`) is idempotent and deterministic:

- reference data comes from `fixtures/reference.yaml` (natural keys, loaded with loaddata);
- the operational actions, their participants and CHSGs from `fixtures/demo_actions.yaml`;
- the result figures are generated here, from a fixed seed, so that the validated entries add
  up *exactly* to the headline figures Europol published for 2022 and 2023 (`HEADLINE_TOTALS`).

Rows are looked up by their natural keys and written only when missing or different, so a
second run changes nothing (same rows, same values, same `updated_at`).
"""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from simple_history.utils import bulk_create_with_history

from .choices import (
    ActionStatus,
    EntryStatus,
    HandlingLevel,
    OrganisationKind,
    ParticipationRole,
    ResultCategory,
    UserRole,
)
from .models import (
    CommonHorizontalStrategicGoal,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
    ResultEntry,
    ResultType,
    User,
)

DEMO_ACTIONS_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo_actions.yaml"
REFERENCE_FIXTURE = "reference"

#: The seed of every random choice the demo makes (never Python's global random).
SEED = "empact-demo-2021-05-26"
YEARS = (2022, 2023)

#: Counters whose values carry three decimals (kg, tonnes); the others are whole numbers.
DECIMAL_COUNTERS = frozenset(
    {"cocaine_kg", "cannabis_kg", "heroin_kg", "synthetic_drugs_kg", "explosives_kg", "waste_seized_t"}
)

#: Published EMPACT headline results (DOMAIN.md); the demo's validated entries sum to these exactly.
#: Assets and drugs were published as "over EUR 180 million / over 62 t" (2022) and "over EUR 797
#: million / over 197 t" (2023); the drug total is split across substances below.
HEADLINE_TOTALS: dict[int, dict[str, str]] = {
    2022: {
        "arrests": "9922",
        "migrant_smugglers_arrested": "3646",
        "victims_identified": "4019",
        "investigations_initiated": "9262",
        "assets_seized_eur": "180436512",
        "cocaine_kg": "27315.480",
        "cannabis_kg": "24806.215",
        "heroin_kg": "3102.640",
        "synthetic_drugs_kg": "7193.890",
    },
    2023: {
        "arrests": "13871",
        "migrant_smugglers_arrested": "6801",
        "victims_identified": "7500",
        "investigations_initiated": "15644",
        "assets_seized_eur": "797318944",
        "cocaine_kg": "98640.375",
        "cannabis_kg": "71212.530",
        "heroin_kg": "6905.120",
        "synthetic_drugs_kg": "20823.905",
    },
}

#: Plausible totals for the other counters (not published; the demo just needs realistic figures).
OTHER_TOTALS: dict[int, dict[str, str]] = {
    2022: {
        "suspects_identified": "14350",
        "high_value_targets": "312",
        "firearms_seized": "2140",
        "ammunition_rounds": "186400",
        "explosives_kg": "412.500",
        "forged_documents": "1865",
        "illegal_entries_detected": "11420",
        "waste_seized_t": "37815.400",
        "cigarettes_units": "418600000",
        "checks_persons": "412800",
        "checks_vehicles": "96450",
        "checks_parcels": "58210",
        "checks_premises": "7340",
        "officers_deployed": "21600",
    },
    2023: {
        "suspects_identified": "19870",
        "high_value_targets": "455",
        "firearms_seized": "3285",
        "ammunition_rounds": "241900",
        "explosives_kg": "655.750",
        "forged_documents": "2734",
        "illegal_entries_detected": "16980",
        "waste_seized_t": "52390.700",
        "cigarettes_units": "532250000",
        "checks_persons": "538900",
        "checks_vehicles": "121700",
        "checks_parcels": "73460",
        "checks_premises": "9120",
        "officers_deployed": "27850",
    },
}

#: Which plans report a counter, and their relative share of its yearly total. For `arrests`
#: the weights split the arrests *beyond* the migrant smugglers, who are all arrested under MS.
PLAN_WEIGHTS: dict[str, dict[str, float]] = {
    "migrant_smugglers_arrested": {"MS": 1},
    "arrests": {
        "HRCN": 8,
        "CYBER": 4,
        "THB": 8,
        "CSE": 6,
        "MS": 6,
        "DRUGS-CCH": 14,
        "DRUGS-SYN": 6,
        "FRAUD-OFS": 8,
        "FRAUD-EXCISE": 4,
        "FRAUD-MTIC": 3,
        "FRAUD-IPC": 4,
        "FRAUD-CFLAR": 5,
        "OPC": 8,
        "ENVI": 4,
        "FIREARMS": 6,
    },
    "investigations_initiated": {
        "HRCN": 7,
        "CYBER": 6,
        "THB": 7,
        "CSE": 8,
        "MS": 12,
        "DRUGS-CCH": 12,
        "DRUGS-SYN": 6,
        "FRAUD-OFS": 10,
        "FRAUD-EXCISE": 4,
        "FRAUD-MTIC": 4,
        "FRAUD-IPC": 5,
        "FRAUD-CFLAR": 6,
        "OPC": 7,
        "ENVI": 4,
        "FIREARMS": 5,
    },
    "victims_identified": {"THB": 85, "CSE": 15},
    "assets_seized_eur": {
        "FRAUD-CFLAR": 28,
        "HRCN": 16,
        "FRAUD-MTIC": 14,
        "FRAUD-OFS": 11,
        "FRAUD-IPC": 7,
        "FRAUD-EXCISE": 6,
        "DRUGS-CCH": 9,
        "DRUGS-SYN": 3,
        "CYBER": 3,
        "OPC": 2,
        "ENVI": 1,
    },
    "cocaine_kg": {"DRUGS-CCH": 1},
    "cannabis_kg": {"DRUGS-CCH": 1},
    "heroin_kg": {"DRUGS-CCH": 1},
    "synthetic_drugs_kg": {"DRUGS-SYN": 1},
    "suspects_identified": {
        "HRCN": 3,
        "CYBER": 4,
        "THB": 2,
        "CSE": 4,
        "MS": 4,
        "DRUGS-CCH": 3,
        "DRUGS-SYN": 2,
        "FRAUD-OFS": 5,
        "FRAUD-CFLAR": 2,
        "OPC": 2,
    },
    "high_value_targets": {"HRCN": 6, "DRUGS-CCH": 2, "MS": 1, "FRAUD-CFLAR": 1},
    "firearms_seized": {"FIREARMS": 6, "HRCN": 2, "OPC": 1, "DRUGS-CCH": 1},
    "ammunition_rounds": {"FIREARMS": 1},
    "explosives_kg": {"FIREARMS": 3, "OPC": 1},
    "forged_documents": {"MS": 8, "THB": 1},
    "illegal_entries_detected": {"MS": 1},
    "waste_seized_t": {"ENVI": 1},
    "cigarettes_units": {"FRAUD-EXCISE": 1},
    "checks_persons": {"MS": 5, "THB": 2, "DRUGS-CCH": 1, "FRAUD-CFLAR": 1},
    "checks_vehicles": {"MS": 4, "OPC": 2, "FRAUD-EXCISE": 1},
    "checks_parcels": {"DRUGS-CCH": 2, "FRAUD-IPC": 2, "FRAUD-EXCISE": 1},
    "checks_premises": {"THB": 3, "ENVI": 1, "OPC": 1},
    "officers_deployed": {"MS": 3, "THB": 2, "FIREARMS": 2, "DRUGS-CCH": 1, "OPC": 1, "ENVI": 1},
}

#: Counters every reporting organisation of an action reports; the others are reported by the
#: leader and, with this probability, by each other reporting organisation.
ALWAYS_REPORTED = frozenset({"arrests", "migrant_smugglers_arrested", "investigations_initiated"})
REPORT_PROBABILITY = 0.7
FOCUS_FACTOR = 6.0
ROLE_FACTOR = {
    ParticipationRole.LEADER: 2.5,
    ParticipationRole.CO_LEADER: 1.5,
    ParticipationRole.PARTICIPANT: 1,
}
REPORTING_KINDS = (OrganisationKind.MEMBER_STATE, OrganisationKind.THIRD_COUNTRY)
NO_RESULT_STATUSES = (ActionStatus.PLANNED, ActionStatus.CANCELLED)

ANALYST_USERNAME = "europol.analyst"
#: The reason recorded in the audit history for the demo's writes.
CHANGE_REASON = "Demo data (manage.py load_demo)"

#: Demo logins; every one uses settings.DEMO_PASSWORD.
DEMO_USERS: tuple[dict, ...] = (
    {
        "username": "admin",
        "first_name": "Ada",
        "last_name": "Admin",
        "organisation": None,
        "role": UserRole.ANALYST,
        "is_staff": True,
        "is_superuser": True,
    },
    {
        "username": ANALYST_USERNAME,
        "first_name": "Elena",
        "last_name": "Marchetti",
        "organisation": "EUROPOL",
        "role": UserRole.ANALYST,
        "is_staff": True,
        "is_superuser": False,
    },
    {
        "username": "es.coordinator",
        "first_name": "Lucía",
        "last_name": "García Romero",
        "organisation": "ES",
        "role": UserRole.COORDINATOR,
        "is_staff": True,
        "is_superuser": False,
    },
    {
        "username": "de.coordinator",
        "first_name": "Jonas",
        "last_name": "Becker",
        "organisation": "DE",
        "role": UserRole.COORDINATOR,
        "is_staff": True,
        "is_superuser": False,
    },
    {
        "username": "co.partner",
        "first_name": "Camilo",
        "last_name": "Restrepo",
        "organisation": "CO",
        "role": UserRole.COORDINATOR,
        "is_staff": True,
        "is_superuser": False,
    },
    {
        "username": "rs.partner",
        "first_name": "Milica",
        "last_name": "Jovanović",
        "organisation": "RS",
        "role": UserRole.COORDINATOR,
        "is_staff": True,
        "is_superuser": False,
    },
)


def submitted_at(year: int) -> datetime.datetime:
    """When the demo's results for `year` were submitted (the spring report of the next year)."""
    return datetime.datetime(year + 1, 1, 31, 10, 0, tzinfo=datetime.UTC)


def validated_at(year: int) -> datetime.datetime:
    return datetime.datetime(year + 1, 2, 28, 15, 0, tzinfo=datetime.UTC)


# --- The demo actions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAction:
    plan: str
    code: str
    title: str
    description: str
    status: str
    start: datetime.date
    end: datetime.date
    handling: str
    chsgs: tuple[int, ...]
    leader: str
    co_leaders: tuple[str, ...]
    participants: tuple[str, ...]
    focus: frozenset[str]

    @property
    def roles(self) -> list[tuple[str, str]]:
        """(organisation code, role), the leader first."""
        return (
            [(self.leader, ParticipationRole.LEADER)]
            + [(code, ParticipationRole.CO_LEADER) for code in self.co_leaders]
            + [(code, ParticipationRole.PARTICIPANT) for code in self.participants]
        )

    @property
    def years(self) -> list[int]:
        """The demo years the action reports results for (none when planned or cancelled)."""
        if self.status in NO_RESULT_STATUSES:
            return []
        return [year for year in YEARS if self.start.year <= year <= self.end.year]


_ACTION_KEYS = {
    "code",
    "title",
    "description",
    "status",
    "start",
    "end",
    "handling",
    "chsgs",
    "leader",
    "co_leaders",
    "participants",
    "focus",
}


def read_demo_actions(path: Path = DEMO_ACTIONS_FILE) -> list[DemoAction]:
    """Parse and check `fixtures/demo_actions.yaml`; raise ValueError naming every problem."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    actions, problems, seen = [], [], set()
    for plan, items in data.items():
        for item in items:
            code = item.get("code", "?")
            unknown = set(item) - _ACTION_KEYS
            if unknown:
                problems.append(f"{code}: unknown keys {sorted(unknown)}")
            action = DemoAction(
                plan=plan,
                code=code,
                title=item["title"],
                description=item.get("description", ""),
                status=item["status"],
                start=item["start"],
                end=item["end"],
                handling=item.get("handling", HandlingLevel.EU),
                chsgs=tuple(item.get("chsgs", ())),
                leader=item["leader"],
                co_leaders=tuple(item.get("co_leaders", ())),
                participants=tuple(item.get("participants", ())),
                focus=frozenset(item.get("focus", ())),
            )
            orgs = [org for org, _ in action.roles]
            if code in seen:
                problems.append(f"{code}: duplicate code")
            seen.add(code)
            if len(set(orgs)) != len(orgs):
                problems.append(f"{code}: an organisation is listed twice")
            if not 2 <= len(orgs) <= 15:
                problems.append(f"{code}: {len(orgs)} organisations (2 to 15 expected)")
            if action.status not in ActionStatus.values:
                problems.append(f"{code}: unknown status {action.status!r}")
            if action.handling not in HandlingLevel.values:
                problems.append(f"{code}: unknown handling level {action.handling!r}")
            if action.end < action.start or action.start.year < YEARS[0] or action.end.year > YEARS[-1]:
                problems.append(f"{code}: dates must lie within {YEARS[0]}–{YEARS[-1]}, start before end")
            if action.focus - set(PLAN_WEIGHTS) - {"minor_victims_identified"}:
                problems.append(f"{code}: unknown focus counters {sorted(action.focus - set(PLAN_WEIGHTS))}")
            actions.append(action)
    if problems:
        raise ValueError("demo_actions.yaml: " + "; ".join(problems))
    return actions


# --- The result figures -------------------------------------------------------------------------


def _to_units(counter: str, value: str) -> int:
    """A total in the counter's smallest demo unit (thousandths for kg and tonnes)."""
    return int(Decimal(value).scaleb(3 if counter in DECIMAL_COUNTERS else 0))


def _from_units(counter: str, units: int) -> Decimal:
    return Decimal(units).scaleb(-3) if counter in DECIMAL_COUNTERS else Decimal(units)


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split the integer `total` in proportion to `weights` (largest remainder, exact, stable)."""
    if total == 0 or not weights:
        return [0] * len(weights)
    top = max(weights)
    ints = [max(1, round(w / top * 10**9)) for w in weights]
    scale = sum(ints)
    shares = [total * w // scale for w in ints]
    rests = [total * w % scale for w in ints]
    short = total - sum(shares)
    for i in sorted(range(len(ints)), key=lambda i: (-rests[i], i))[:short]:
        shares[i] += 1
    return shares


Cell = tuple[str, str]  # (action code, organisation code)


def _reporting_cells(actions: list[DemoAction], kinds: dict[str, str], year: int) -> dict[str, list[Cell]]:
    """Per plan, the (action, organisation) pairs able to report in `year`: participating countries."""
    cells: dict[str, list[Cell]] = defaultdict(list)
    for action in actions:
        if year not in action.years:
            continue
        orgs = [org for org, _ in action.roles if kinds[org] in REPORTING_KINDS] or [action.leader]
        cells[action.plan].extend((action.code, org) for org in orgs)
    return cells


def _distribute(
    counter: str,
    total: int,
    year: int,
    actions: dict[str, DemoAction],
    cells_by_plan: dict[str, list[Cell]],
    kinds: dict[str, str],
) -> dict[Cell, int]:
    """Split one counter's yearly total over the reporting cells of the plans that report it."""
    rng = random.Random(f"{SEED}:{year}:{counter}")
    # Each year a plan's share moves a little, so plans of equal weight do not get equal figures.
    plan_weights = {
        plan: weight * rng.uniform(0.75, 1.25)
        for plan, weight in PLAN_WEIGHTS[counter].items()
        if cells_by_plan.get(plan)
    }
    if not plan_weights:
        raise ValueError(f"no demo action reports {counter} in {year}")
    plan_total = sum(plan_weights.values())
    action_factor: dict[str, float] = {}
    cells, weights = [], []
    for plan, plan_weight in plan_weights.items():
        plan_cells, plan_cell_weights = [], []
        for action_code, org in cells_by_plan[plan]:
            action = actions[action_code]
            role = dict(action.roles)[org]
            if action_code not in action_factor:
                focus = FOCUS_FACTOR if counter in action.focus else 1.0
                action_factor[action_code] = rng.uniform(0.4, 1.6) * focus
            reports = (
                counter in ALWAYS_REPORTED
                or role == ParticipationRole.LEADER
                or rng.random() < REPORT_PROBABILITY
            )
            if not reports:
                continue
            org_factor = ROLE_FACTOR[role] * rng.uniform(0.3, 1.0)
            if kinds[org] == OrganisationKind.THIRD_COUNTRY:
                org_factor *= 0.6
            plan_cells.append((action_code, org))
            plan_cell_weights.append(action_factor[action_code] * org_factor)
        cell_total = sum(plan_cell_weights)
        cells.extend(plan_cells)
        weights.extend(plan_weight / plan_total * w / cell_total for w in plan_cell_weights)
    return dict(zip(cells, apportion(total, weights), strict=True))


def compute_results(
    actions: list[DemoAction], kinds: dict[str, str]
) -> dict[tuple[str, str, str, int], Decimal]:
    """The demo figures: {(action code, organisation code, counter, year): value}, zeros left out.

    Pure and deterministic: the same actions give the same figures on every machine.
    Migrant smugglers are allocated first and each MS cell's arrests include them, so an
    "of which" figure never exceeds its parent; minors are a share of each cell's victims.
    """
    by_code = {action.code: action for action in actions}
    results: dict[tuple[str, str, str, int], Decimal] = {}
    for year in YEARS:
        cells_by_plan = _reporting_cells(actions, kinds, year)
        targets = {**HEADLINE_TOTALS[year], **OTHER_TOTALS[year]}
        units: dict[str, dict[Cell, int]] = {}
        for counter in PLAN_WEIGHTS:
            total = _to_units(counter, targets[counter])
            if counter == "arrests":
                total -= sum(units["migrant_smugglers_arrested"].values())
            units[counter] = _distribute(counter, total, year, by_code, cells_by_plan, kinds)
        for cell, smugglers in units["migrant_smugglers_arrested"].items():
            units["arrests"][cell] = units["arrests"].get(cell, 0) + smugglers
        rng = random.Random(f"{SEED}:{year}:minor_victims_identified")
        units["minor_victims_identified"] = {}
        for cell, victims in units["victims_identified"].items():
            action = by_code[cell[0]]
            share = rng.uniform(0.7, 0.95) if action.plan == "CSE" else rng.uniform(0.08, 0.3)
            if "minor_victims_identified" in action.focus:
                share = min(0.9, share * 2.5)
            units["minor_victims_identified"][cell] = math.floor(victims * share)
        for counter, values in units.items():
            for (action_code, org), value in values.items():
                if value > 0:
                    results[(action_code, org, counter, year)] = _from_units(counter, value)
    return results


# --- Writing to the database --------------------------------------------------------------------


@dataclass
class Changes:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.deleted} deleted"


def _password_work(password: str, encoded: list[str | None]) -> list[str | None]:
    """For each stored hash (None: a new user), the new hash to store, or None if it still matches.

    PBKDF2 releases the GIL, so the hashing runs in threads; nothing here touches the database.
    """

    def one(stored: str | None) -> str | None:
        if stored is not None and check_password(password, stored):
            return None
        return make_password(password)

    with ThreadPoolExecutor(max_workers=len(encoded) or 1) as pool:
        return list(pool.map(one, encoded))


def _sync_users(orgs: dict[str, Organisation]) -> tuple[dict[str, User], Changes]:
    """The demo logins; a password is set only for a new user or when it no longer matches."""
    existing = {u.username: u for u in User.objects.filter(username__in=[s["username"] for s in DEMO_USERS])}
    new_hashes = _password_work(
        settings.DEMO_PASSWORD,
        [existing[s["username"]].password if s["username"] in existing else None for s in DEMO_USERS],
    )
    changes = Changes()
    users = {}
    for spec, new_hash in zip(DEMO_USERS, new_hashes, strict=True):
        wanted = {
            **spec,
            "organisation": orgs[spec["organisation"]] if spec["organisation"] else None,
            "email": f"{spec['username']}@example.org",
            "is_active": True,
        }
        user = existing.get(spec["username"])
        if user is None:
            user = User(**wanted, password=new_hash)
            user.save()
            changes.created += 1
        else:
            dirty = [name for name, value in wanted.items() if getattr(user, name) != value]
            for name in dirty:
                setattr(user, name, wanted[name])
            if new_hash is not None:
                user.password = new_hash
                dirty.append("password")
            if dirty:
                user.save()
                changes.updated += 1
        users[spec["username"]] = user
    return users, changes


def _sync_actions(
    demo_actions: list[DemoAction], orgs: dict[str, Organisation]
) -> tuple[dict[str, OperationalAction], Changes]:
    plans = {plan.code: plan for plan in OperationalActionPlan.objects.all()}
    missing_plans = {a.plan for a in demo_actions} - set(plans)
    missing_orgs = {org for a in demo_actions for org, _ in a.roles} - set(orgs)
    if missing_plans or missing_orgs:
        raise ValueError(f"unknown plans {sorted(missing_plans)} or organisations {sorted(missing_orgs)}")
    changes = Changes()
    existing = {a.code: a for a in OperationalAction.objects.filter(code__in=[a.code for a in demo_actions])}
    actions = {}
    for demo in demo_actions:
        wanted = {
            "plan_id": plans[demo.plan].pk,
            "title": demo.title,
            "description": demo.description,
            "status": demo.status,
            "start": demo.start,
            "end": demo.end,
            "handling": demo.handling,
        }
        action = existing.get(demo.code)
        if action is None:
            action = OperationalAction(code=demo.code, **wanted)
            action._change_reason = CHANGE_REASON
            action.save()
            changes.created += 1
        else:
            dirty = [name for name, value in wanted.items() if getattr(action, name) != value]
            if dirty:
                for name in dirty:
                    setattr(action, name, wanted[name])
                action._change_reason = CHANGE_REASON
                action.save()
                changes.updated += 1
        actions[demo.code] = action
    return actions, changes


def _sync_participations(
    demo_actions: list[DemoAction], actions: dict[str, OperationalAction], orgs: dict[str, Organisation]
) -> Changes:
    """Make each demo action's participants exactly the demo's (a changed role is re-created)."""
    wanted = {
        (actions[demo.code].pk, orgs[org].pk): role for demo in demo_actions for org, role in demo.roles
    }
    existing = {
        (p.action_id, p.organisation_id): p
        for p in Participation.objects.filter(action__in=actions.values()).only(
            "pk", "action_id", "organisation_id", "role"
        )
    }
    extra = [p.pk for key, p in existing.items() if key not in wanted]
    recast = [p.pk for key, p in existing.items() if key in wanted and wanted[key] != p.role]
    if extra or recast:
        # Deleted before anything is created, so the one-leader constraint holds throughout.
        Participation.objects.filter(pk__in=extra + recast).delete()
    new = [
        Participation(action_id=action_id, organisation_id=org_id, role=role)
        for (action_id, org_id), role in wanted.items()
        if (action_id, org_id) not in existing or existing[(action_id, org_id)].pk in recast
    ]
    bulk_create_with_history(new, Participation, default_change_reason=CHANGE_REASON)
    return Changes(created=len(new) - len(recast), updated=len(recast), deleted=len(extra))


def _sync_chsgs(demo_actions: list[DemoAction], actions: dict[str, OperationalAction]) -> Changes:
    goals = {goal.number: goal.pk for goal in CommonHorizontalStrategicGoal.objects.all()}
    through = OperationalAction.chsgs.through
    wanted = {(actions[demo.code].pk, goals[number]) for demo in demo_actions for number in demo.chsgs}
    rows = through.objects.filter(operationalaction_id__in=[a.pk for a in actions.values()])
    existing = {(r.operationalaction_id, r.commonhorizontalstrategicgoal_id): r.pk for r in rows}
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        through.objects.filter(pk__in=stale).delete()
    new = [
        through(operationalaction_id=action_id, commonhorizontalstrategicgoal_id=goal_id)
        for action_id, goal_id in sorted(wanted - set(existing))
    ]
    through.objects.bulk_create(new)
    return Changes(created=len(new), deleted=len(stale))


def _sync_results(
    figures: dict[tuple[str, str, str, int], Decimal],
    actions: dict[str, OperationalAction],
    orgs: dict[str, Organisation],
    users: dict[str, User],
) -> Changes:
    """Write the figures as validated whole-year entries; drop demo-made entries no longer wanted."""
    types = {rt.code: rt.pk for rt in ResultType.objects.all()}
    analyst = users[ANALYST_USERNAME]
    coordinators = {
        user.organisation_id: user.pk
        for user in users.values()
        if user.role == UserRole.COORDINATOR and user.organisation_id
    }
    wanted: dict[tuple, dict] = {}
    for (action_code, org_code, counter, year), value in figures.items():
        org_id = orgs[org_code].pk
        key = (actions[action_code].pk, org_id, types[counter], year, None)
        wanted[key] = {
            "value": value,
            "status": EntryStatus.VALIDATED,
            "comment": "",
            "return_reason": "",
            "entered_by_id": coordinators.get(org_id),
            "submitted_at": submitted_at(year),
            "validated_by_id": analyst.pk,
            "validated_at": validated_at(year),
        }
    existing = ResultEntry.objects.filter(action__in=actions.values(), year__in=YEARS)
    changes = Changes()
    stale = []
    for entry in existing:
        key = (entry.action_id, entry.organisation_id, entry.result_type_id, entry.year, entry.half_year)
        fields = wanted.pop(key, None)
        if fields is None:
            # Only entries the demo itself made (validated by the analyst at the demo's moment).
            if entry.validated_by_id == analyst.pk and entry.validated_at == validated_at(entry.year):
                stale.append(entry.pk)
            continue
        dirty = [name for name, value in fields.items() if getattr(entry, name) != value]
        if dirty:
            for name in dirty:
                setattr(entry, name, fields[name])
            entry._change_reason = CHANGE_REASON
            entry.save(update_fields=[*dirty, "updated_at"])
            changes.updated += 1
    if stale:
        changes.deleted = ResultEntry.objects.filter(pk__in=stale).delete()[0]
    new = [
        ResultEntry(
            action_id=action_id,
            organisation_id=org_id,
            result_type_id=type_id,
            year=year,
            half_year=half_year,
            **fields,
        )
        for (action_id, org_id, type_id, year, half_year), fields in sorted(
            wanted.items(), key=lambda item: item[0][:4]
        )
    ]
    bulk_create_with_history(new, ResultEntry, batch_size=500, default_change_reason=CHANGE_REASON)
    changes.created = len(new)
    return changes


def headline_totals(year: int) -> dict[str, Decimal]:
    """Totals of validated entries for `year`: the headline counters and all drugs together."""
    validated = ResultEntry.objects.filter(year=year, status=EntryStatus.VALIDATED)
    codes = ["arrests", "migrant_smugglers_arrested", "victims_identified", "investigations_initiated"]
    totals = {
        row["result_type__code"]: row["total"]
        for row in validated.filter(result_type__code__in=[*codes, "assets_seized_eur"])
        .values("result_type__code")
        .annotate(total=Sum("value"))
    }
    drugs = validated.filter(result_type__category=ResultCategory.DRUGS).aggregate(total=Sum("value"))[
        "total"
    ]
    result = {code: totals.get(code) or Decimal(0) for code in [*codes, "assets_seized_eur"]}
    result["drugs_kg"] = drugs or Decimal(0)
    return result


def load_demo(*, stdout=None, verbosity: int = 1) -> dict:
    """Load (or bring back) the demo data set; idempotent. Returns a summary dict."""
    demo_actions = read_demo_actions()
    with transaction.atomic():
        call_command("loaddata", REFERENCE_FIXTURE, verbosity=0)
        orgs = {org.code: org for org in Organisation.objects.all()}
        kinds = {code: org.kind for code, org in orgs.items()}
        users, user_changes = _sync_users(orgs)
        actions, action_changes = _sync_actions(demo_actions, orgs)
        participation_changes = _sync_participations(demo_actions, actions, orgs)
        chsg_changes = _sync_chsgs(demo_actions, actions)
        figures = compute_results(demo_actions, kinds)
        result_changes = _sync_results(figures, actions, orgs, users)
    summary = {
        "actions": len(actions),
        "participations": Participation.objects.filter(action__in=actions.values()).count(),
        "entries": ResultEntry.objects.filter(action__in=actions.values(), year__in=YEARS).count(),
        "changes": {
            "users": user_changes,
            "actions": action_changes,
            "participations": participation_changes,
            "chsgs": chsg_changes,
            "entries": result_changes,
        },
        "totals": {year: headline_totals(year) for year in YEARS},
    }
    if stdout is not None and verbosity:
        _print_summary(summary, stdout)
    return summary


def _fmt(value: Decimal) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".").replace(",", " ")


def _print_summary(summary: dict, out) -> None:
    out.write(
        f"Demo data: {summary['actions']} actions, {summary['participations']} participations, "
        f"{summary['entries']} validated result entries."
    )
    for name, changes in summary["changes"].items():
        out.write(f"  {name}: {changes}")
    for year, totals in summary["totals"].items():
        out.write(
            f"  {year}: arrests {_fmt(totals['arrests'])} (of which migrant smugglers "
            f"{_fmt(totals['migrant_smugglers_arrested'])}), victims {_fmt(totals['victims_identified'])}, "
            f"investigations {_fmt(totals['investigations_initiated'])}, "
            f"assets EUR {_fmt(totals['assets_seized_eur'])}, drugs {_fmt(totals['drugs_kg'])} kg"
        )
