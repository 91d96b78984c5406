"""The demo's present: actions of 2024–2025 and 2026–2027, and figures in every state in the open
years, which every entry path's rules accept, so that every demo user has work on first run.

Against the demo as `manage.py load_demo` leaves it (loaded once for the module, rolled back after).
"""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from oap import access, demo
from oap.choices import EntryStatus, ParticipationRole
from oap.models import OperationalAction, Organisation, Participation, ResultEntry, ResultType, User, YearLock
from oap.services import check_new_entries

pytestmark = pytest.mark.django_db

OPEN_YEARS = {2024, 2025, 2026}
RESULTS = "/api/v1/results"


def present():
    return ResultEntry.objects.filter(year__in=OPEN_YEARS)


def row_of(entry: ResultEntry) -> dict:
    return {
        "action": entry.action.code,
        "organisation": entry.organisation.code,
        "result_type": entry.result_type.code,
        "year": entry.year,
        "half_year": entry.half_year,
        "value": str(entry.value),
        "comment": entry.comment,
    }


# --- the rules every entry path applies ---------------------------------------------------------


def test_every_demo_entry_passes_the_row_checker(demo_data):
    """Every entry, typed again as a new row into a copy without entries and locks: the row
    checker (fields, units, taking part, years within the action, periods) accepts it unchanged —
    and each demo coordinator's own figures as that coordinator."""
    entries = list(ResultEntry.objects.select_related("action", "organisation", "result_type").order_by("pk"))
    assert len(entries) > 5000
    with connection.cursor() as cursor:  # the copy: this test's savepoint, rolled back after it
        cursor.execute(f"DELETE FROM {ResultEntry._meta.db_table}")
    YearLock.objects.all().delete()
    checked = check_new_entries(by=None, rows=[row_of(e) for e in entries])
    assert [
        (c.action.pk, c.organisation.pk, c.result_type.pk, c.year, c.half_year, c.value) for c in checked
    ] == [(e.action_id, e.organisation_id, e.result_type_id, e.year, e.half_year, e.value) for e in entries]
    for user in User.objects.filter(role="coordinator", organisation__isnull=False):
        own = [
            row_of(e) for e in entries if e.organisation_id == user.organisation_id and e.year in OPEN_YEARS
        ]
        assert len(own) > 50, user.username
        assert len(check_new_entries(by=user, rows=own)) == len(own)


def test_a_counter_is_reported_for_the_whole_year_or_by_half_years(demo_data):
    """2024 and 2025 by whole year, 2026 (the year being reported) by half-years; never both."""
    periods = set(present().values_list("year", "half_year").distinct())
    assert periods == {(2024, None), (2025, None), (2026, 1), (2026, 2)}
    kinds = {}
    for key in present().values_list("action_id", "organisation_id", "result_type_id", "year", "half_year"):
        kinds.setdefault(key[:4], set()).add(key[4] is None)
    assert all(len(whole) == 1 for whole in kinds.values())


def test_statuses_follow_the_course_of_their_period(demo_data):
    """Each period's usual status (`demo.COURSE`), but for the cells the file puts elsewhere; the
    moments and the validator follow the status."""
    overrides = {(o.action, o.organisation, o.year, o.half_year): o for o in demo.read_present()[1]}
    analyst = User.objects.get(username="europol.analyst")
    used = set()
    for entry in present().select_related("action", "organisation", "validated_by"):
        cell = (entry.action.code, entry.organisation.code, entry.year, entry.half_year)
        override = overrides.get(cell)
        used.add(cell if override else None)
        assert entry.status == (override.status if override else demo.COURSE[(entry.year, entry.half_year)])
        assert entry.return_reason == (override.reason if override else "")
        assert (entry.submitted_at is None) == (entry.status == EntryStatus.DRAFT), cell
        assert (entry.validated_at is None) == (entry.status != EntryStatus.VALIDATED), cell
        assert entry.validated_by == (analyst if entry.status == EntryStatus.VALIDATED else None), cell
    assert used - {None} == set(overrides)
    for status in EntryStatus.values:  # every state in the open years, for several organisations
        assert present().filter(status=status).values("organisation").distinct().count() >= 3, status


def test_every_demo_organisation_takes_part_in_both_present_cycles(demo_data):
    for code in ("ES", "DE", "CO", "RS", "EUROPOL"):
        joined = OperationalAction.objects.filter(participations__organisation__code=code)
        for cycle, years in (("2022-2025", (2024, 2025)), ("2026-2029", (2026, 2027))):
            assert joined.filter(
                plan__priority__cycle__code=cycle, plan__start_year=years[0], plan__end_year=years[1]
            ).exists(), (code, cycle)
    # Colombia's present actions run into the open years (none of them ended in 2023)
    colombia = OperationalAction.objects.filter(participations__organisation__code="CO", end__year__gte=2026)
    assert colombia.count() >= 3


# --- every demo user has work on first run ------------------------------------------------------


def dashboard(client, username) -> dict[str, int]:
    client.force_login(User.objects.get(username=username))
    response = client.get("/admin/")
    assert response.status_code == 200
    return {panel["id"]: panel["count"] for panel in response.context["dashboard"]["panels"]}


def waiting(username: str, step: str):
    user = User.objects.get(username=username)
    sources = {"submit": [EntryStatus.DRAFT, EntryStatus.RETURNED], "validate": [EntryStatus.SUBMITTED]}[step]
    return access.restrict(ResultEntry.objects.all(), user, step).filter(status__in=sources)


def test_each_demo_user_finds_work_on_the_dashboard(demo_data, client):
    panels = {name: dashboard(client, name) for name in ("es.coordinator", "de.coordinator", "co.partner",
                                                           "rs.partner", "europol.analyst")}  # fmt: skip
    for name in ("es.coordinator", "de.coordinator", "co.partner", "rs.partner"):
        assert panels[name]["to-submit"] == waiting(name, "submit").count() > 0, name
        assert waiting(name, "submit").filter(status=EntryStatus.DRAFT).exists(), name
    for name in ("co.partner", "rs.partner"):
        assert waiting(name, "submit").filter(status=EntryStatus.RETURNED).exists(), name
    for name in ("es.coordinator", "de.coordinator", "europol.analyst"):
        assert panels[name]["to-validate"] == waiting(name, "validate").count() > 0, name
    assert "to-submit" not in panels["europol.analyst"]
    # Spain validates as an action leader (not only as a plan driver), others' figures only
    led_by_spain = Participation.objects.filter(organisation__code="ES", role=ParticipationRole.LEADER)
    spain = waiting("es.coordinator", "validate")
    assert (
        spain.filter(action__in=led_by_spain.values("action"))
        .exclude(action__plan__driver__code="ES")
        .exists()
    )
    assert not spain.filter(organisation__code="ES").exists()
    # the hub validates every organisation's submitted figures
    assert waiting("europol.analyst", "validate").values("organisation").distinct().count() >= 10


def api(username) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def first(client, **query) -> dict:
    response = client.get(f"{RESULTS}/", {**query, "ordering": "id"})
    assert response.status_code == 200, response.content
    assert response.json()["results"], query
    return response.json()["results"][0]


def test_each_demo_user_acts_through_the_api(demo_data):
    # Colombia submits a draft, and reads why a figure came back
    colombia = api("co.partner")
    draft = first(colombia, organisation="CO", status="draft")
    assert colombia.post(f"{RESULTS}/{draft['id']}/submit/").json()["status"] == "submitted"
    assert first(colombia, organisation="CO", status="returned")["return_reason"]
    # Serbia corrects a returned figure and submits it again
    serbia = api("rs.partner")
    returned = first(serbia, organisation="RS", status="returned")
    changed = serbia.patch(f"{RESULTS}/{returned['id']}/", {"value": "7"}, format="json")
    assert changed.status_code == 200, changed.content
    assert serbia.post(f"{RESULTS}/{returned['id']}/submit/").json()["status"] == "submitted"
    # Spain validates a figure of another organisation in an action it leads
    spain = api("es.coordinator")
    led = waiting("es.coordinator", "validate").filter(
        action__participations__organisation__code="ES",
        action__participations__role=ParticipationRole.LEADER,
    )
    entry = led.order_by("pk").first()
    response = spain.post(f"{RESULTS}/{entry.pk}/validate/")
    assert response.status_code == 200 and response.json()["status"] == "validated", response.content
    # Germany sends one back, saying why; the hub validates another
    germany = api("de.coordinator")
    entry = waiting("de.coordinator", "validate").order_by("pk").first()
    response = germany.post(f"{RESULTS}/{entry.pk}/return/", {"reason": "Check the arrests."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "returned", response.content
    hub = api("europol.analyst")
    entry = waiting("europol.analyst", "validate").exclude(pk=entry.pk).order_by("pk").first()
    assert hub.post(f"{RESULTS}/{entry.pk}/validate/").json()["status"] == "validated"


def test_figures_not_yet_validated_are_seen_only_by_their_reviewers(demo_data):
    """Serbia leads no action and drives no plan: of the others' figures it sees validated ones only
    (in the actions visible to it), never Colombia's drafts."""
    serbia = User.objects.get(username="rs.partner")
    assert not Participation.objects.filter(organisation=serbia.organisation, role=ParticipationRole.LEADER)
    assert not serbia.organisation.driven_plans.exists() and not serbia.organisation.co_driven_plans.exists()
    seen = ResultEntry.objects.visible_to(serbia).exclude(organisation__code="RS")
    assert seen.filter(status=EntryStatus.VALIDATED, year__in=OPEN_YEARS).exists()
    assert not seen.exclude(status=EntryStatus.VALIDATED).exists()
    assert (
        ResultEntry.objects.visible_to(serbia)
        .filter(organisation__code="RS", status=EntryStatus.DRAFT)
        .exists()
    )


# --- the present file's own checks --------------------------------------------------------------


def test_present_file_problems_are_reported(tmp_path):
    bad = tmp_path / "present.yaml"
    bad.write_text(
        "actions:\n"
        "  MS-26:\n"
        "    - {code: MS-26 9.9, title: T, status: ongoing, start: 2026-01-01, end: 2031-01-01,\n"
        "       leader: AT, participants: [RS], focus: [arrests]}\n"
        "statuses:\n"
        "  - {action: MS-26 9.9, organisation: RS, year: 2026, status: returned}\n"
        "  - {action: MS-26 9.9, organisation: RS, year: 2026, status: lost, colour: red}\n"
        "figures: {}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as excinfo:
        demo.read_present(bad)
    message = str(excinfo.value)
    for fragment in (
        "unknown sections ['figures']",
        "MS-26 9.9: no counters",
        "focus is for the published years",
        "dates must lie within 2024–2027",
        "a reason is given exactly for returned figures",
        "unknown status 'lost'",
        "unknown keys ['colour']",
    ):
        assert fragment in message


def test_present_entries_problems_are_reported(demo_data):
    kinds = dict(Organisation.objects.values_list("code", "kind"))
    catalogue = {rt.code: (rt.unit, rt.parent.code if rt.parent else None) for rt in ResultType.objects.all()}
    actions, _ = demo.read_present()
    action = next(a for a in actions if a.code == "MS-26 1.1")
    broken = demo.DemoAction(
        **{**vars(action), "counters": ("migrant_smugglers_arrested", "no_such_counter")}
    )
    stray = demo.StatusOverride("MS-26 1.1", "FR", 2025, None, EntryStatus.SUBMITTED)
    with pytest.raises(ValueError) as excinfo:
        demo.present_entries([broken], [stray], kinds, catalogue)
    message = str(excinfo.value)
    assert "MS-26 1.1: unknown counter 'no_such_counter'" in message
    assert "migrant_smugglers_arrested is counted within arrests, which is not listed" in message
    assert "statuses: FR reports no figures for MS-26 1.1 in 2025" in message
