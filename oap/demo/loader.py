"""`load_demo()`: the reference data, the demo users, actions and entries, in one transaction.

Idempotent and deterministic: rows are looked up by their natural keys and written only when
missing or different, so a second run changes nothing (same rows, same values, same
`updated_at`). Publishing the published years' factsheets is reporting's part
(`reporting.demo`, run by `manage.py load_demo` after this).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Sum

from ..choices import EntryStatus, ResultCategory, ResultUnit
from ..formats import number
from ..models import Organisation, Participation, ResultEntry, ResultType
from .actions import sync_actions, sync_chsgs, sync_participations
from .base import PRESENT_YEARS, PUBLISHED_YEARS, REFERENCE_FIXTURE
from .entries import sync_entries
from .files import read_demo_actions, read_present
from .periods import sync_periods
from .present import present_entries
from .published import published_entries
from .users import sync_users

HEADLINE = ["arrests", "migrant_smugglers_arrested", "victims_identified", "investigations_initiated"]


def headline_totals(year: int) -> dict[str, Decimal]:
    """Totals of validated entries for `year`: the headline counters and all drugs together."""
    validated = ResultEntry.objects.filter(year=year, status=EntryStatus.VALIDATED)
    totals = {
        row["result_type__code"]: row["total"]
        for row in validated.filter(result_type__code__in=[*HEADLINE, "assets_seized_eur"])
        .values("result_type__code")
        .annotate(total=Sum("value"))
    }
    drugs = validated.filter(result_type__category=ResultCategory.DRUGS).aggregate(total=Sum("value"))[
        "total"
    ]
    result = {code: totals.get(code) or Decimal(0) for code in [*HEADLINE, "assets_seized_eur"]}
    result["drugs_kg"] = drugs or Decimal(0)
    return result


def load_demo(*, stdout=None, verbosity: int = 1) -> dict:
    """Load (or bring back) the demo data set; idempotent. Returns a summary dict."""
    published_actions = read_demo_actions()
    present_actions, overrides = read_present()
    demo_actions = published_actions + present_actions
    twice = {a.code for a in published_actions} & {a.code for a in present_actions}
    if twice:
        raise ValueError(f"demo actions in both files: {sorted(twice)}")
    with transaction.atomic():
        call_command("loaddata", REFERENCE_FIXTURE, verbosity=0)
        orgs = {org.code: org for org in Organisation.objects.all()}
        kinds = {code: org.kind for code, org in orgs.items()}
        catalogue = {
            rt.code: (rt.unit, rt.parent.code if rt.parent else None)
            for rt in ResultType.objects.select_related("parent")
        }
        users, user_changes = sync_users(orgs)
        actions, action_changes = sync_actions(demo_actions, orgs)
        participation_changes = sync_participations(demo_actions, actions, orgs)
        chsg_changes = sync_chsgs(demo_actions, actions)
        wanted = published_entries(published_actions, kinds)
        wanted.update(present_entries(present_actions, overrides, kinds, catalogue))
        entry_changes = sync_entries(wanted, actions, orgs, users)
        period_changes = sync_periods()
    entries = ResultEntry.objects.filter(action__in=actions.values())
    summary = {
        "actions": len(actions),
        "participations": Participation.objects.filter(action__in=actions.values()).count(),
        "entries": entries.count(),
        "validated": entries.filter(status=EntryStatus.VALIDATED).count(),
        "changes": {
            "users": user_changes,
            "actions": action_changes,
            "participations": participation_changes,
            "chsgs": chsg_changes,
            "entries": entry_changes,
            "periods": period_changes,
        },
        "totals": {year: headline_totals(year) for year in PUBLISHED_YEARS},
        "present": dict(
            entries.filter(year__in=PRESENT_YEARS).values_list("status").annotate(n=Count("pk")).order_by()
        ),
    }
    if stdout is not None and verbosity:
        _print_summary(summary, stdout)
    return summary


def _print_summary(summary: dict, out) -> None:
    out.write(
        f"Demo data: {summary['actions']} actions, {summary['participations']} participations, "
        f"{summary['entries']} result entries ({summary['validated']} validated)."
    )
    for name, changes in summary["changes"].items():
        out.write(f"  {name}: {changes}")
    for year, totals in summary["totals"].items():
        out.write(
            f"  {year}: arrests {number(totals['arrests'], ResultUnit.COUNT)} (of which migrant smugglers "
            f"{number(totals['migrant_smugglers_arrested'], ResultUnit.COUNT)}), "
            f"victims {number(totals['victims_identified'], ResultUnit.COUNT)}, "
            f"investigations {number(totals['investigations_initiated'], ResultUnit.COUNT)}, "
            f"assets {number(totals['assets_seized_eur'], ResultUnit.EUR)}, "
            f"drugs {number(totals['drugs_kg'], ResultUnit.KG)}"
        )
    counts = ", ".join(f"{summary['present'].get(status, 0)} {status}" for status in EntryStatus.values)
    out.write(f"  {PRESENT_YEARS[0]}–{PRESENT_YEARS[-1]} (open years): {counts}")
