"""The admin index as a per-role dashboard: panels from the access rule's querysets, constant queries."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oap.choices import EntryStatus, HandlingLevel, OrganisationKind, ParticipationRole, UserRole
from oap.models import YearLock
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet
from tests import factories as f

pytestmark = pytest.mark.django_db
LEADER, PARTICIPANT = ParticipationRole.LEADER, ParticipationRole.PARTICIPANT
INDEX = "/admin/"


@pytest.fixture
def dash(db):
    org = f.OrganisationFactory
    orgs = {
        "hub": org(code="EUROPOL", name="Europol", kind=OrganisationKind.EU_AGENCY, is_hub=True),
        "es": org(code="ES", name="Spain"),
        "de": org(code="DE", name="Germany"),
        "it": org(code="IT", name="Italy"),
        "co": org(code="CO", name="Colombia", kind=OrganisationKind.THIRD_COUNTRY),
    }
    plan = f.PlanFactory(code="DRUGS-CCH", driver=orgs["it"])

    def action(code, handling, leader, *participants):
        a = f.ActionFactory(code=code, plan=plan, handling=handling, title=f"Title of {code}")
        f.ParticipationFactory(action=a, organisation=orgs[leader], role=LEADER)
        for p in participants:
            f.ParticipationFactory(action=a, organisation=orgs[p], role=PARTICIPANT)
        return a

    actions = {
        "shared": action("DRUGS-CCH 1.1", HandlingLevel.EU, "es", "de", "co"),
        "hidden": action("DRUGS-CCH 9.9", HandlingLevel.PARTICIPANTS, "it", "de"),
    }
    types = [f.ResultTypeFactory(code=f"counter_{i}") for i in range(6)]

    def entry(name, action_key, org_key, type_index, status, year=2023, **extra):
        return f.ResultEntryFactory(
            action=actions[action_key],
            organisation=orgs[org_key],
            result_type=types[type_index],
            year=year,
            status=status,
            value=Decimal(3),
            **extra,
        )

    entries = {
        "de_draft": entry("de_draft", "shared", "de", 0, EntryStatus.DRAFT),
        "de_returned": entry(
            "de_returned", "shared", "de", 1, EntryStatus.RETURNED, return_reason="Only 2023 arrests"
        ),
        "de_submitted": entry("de_submitted", "shared", "de", 2, EntryStatus.SUBMITTED),
        "de_validated": entry("de_validated", "shared", "de", 3, EntryStatus.VALIDATED),
        "de_locked_draft": entry("de_locked_draft", "shared", "de", 4, EntryStatus.DRAFT, year=2022),
        "es_draft": entry("es_draft", "shared", "es", 0, EntryStatus.DRAFT),
        "it_submitted_hidden": entry("it_submitted_hidden", "hidden", "it", 0, EntryStatus.SUBMITTED),
        "de_submitted_hidden": entry("de_submitted_hidden", "hidden", "de", 1, EntryStatus.SUBMITTED),
    }
    YearLock.objects.create(year=2022, reason="Factsheet 2022 published")
    users = {
        name: f.UserFactory(username=f"{name}.user", organisation=orgs[name], is_staff=True)
        for name in ("es", "de", "it", "co")
    }
    users["hub"] = f.UserFactory(
        username="hub.analyst", organisation=orgs["hub"], role=UserRole.ANALYST, is_staff=True
    )
    users["viewer"] = f.UserFactory(
        username="de.viewer", organisation=orgs["de"], role=UserRole.VIEWER, is_staff=True
    )
    return {"orgs": orgs, "actions": actions, "entries": entries, "users": users, "types": types}


def index(client, dash, name):
    client.force_login(dash["users"][name])
    response = client.get(INDEX)
    assert response.status_code == 200
    panels = {panel["id"]: panel for panel in response.context["dashboard"]["panels"]}
    return response, panels


def item_ids(panel) -> set[int]:
    return {int(re.search(r"/(\d+)/change/", item["url"]).group(1)) for item in panel["items"]}


def pks(dash, *names) -> set[int]:
    return {dash["entries"][name].pk for name in names}


def test_index_is_the_dashboard_and_keeps_the_app_list_below(client, dash):
    response, panels = index(client, dash, "de")
    page = response.content.decode()
    assert "admin/index.html" in [t.name for t in response.templates]
    assert list(panels) == [
        "my-actions",
        "to-submit",
        "to-validate",
        "deadlines",
        "factsheets",
        "notifications",
    ]
    # the panels come first, the admin's app list (with its models) after them
    assert page.index('id="dashboard"') < page.index('class="app-oap module')
    assert reverse("admin:oap_resultentry_changelist") in page


def test_coordinator_sees_its_organisations_actions_and_what_it_must_submit(client, dash):
    response, panels = index(client, dash, "de")
    actions = panels["my-actions"]
    assert actions["title"] == "Germany's operational actions"
    assert actions["count"] == 2
    assert {item["label"].split(" — ")[0] for item in actions["items"]} == {"DRUGS-CCH 1.1", "DRUGS-CCH 9.9"}
    to_submit = panels["to-submit"]
    # its own draft and returned entries; not the locked year's draft, not Spain's draft
    assert to_submit["count"] == 2
    assert item_ids(to_submit) == pks(dash, "de_draft", "de_returned")
    assert any("Only 2023 arrests" in item["note"] for item in to_submit["items"])
    # Germany leads nothing and drives no plan: an empty state that says so
    assert panels["to-validate"]["count"] == 0
    assert "Nothing waits for your validation." in response.content.decode()


def test_leader_sees_what_waits_for_its_validation(client, dash):
    _, panels = index(client, dash, "es")
    assert panels["to-validate"]["count"] == 1
    assert item_ids(panels["to-validate"]) == pks(dash, "de_submitted")
    # Spain's own draft waits for its submission
    assert item_ids(panels["to-submit"]) == pks(dash, "es_draft")
    # the plan's driver (Italy) validates the submitted entries of every action of its plan,
    # except its own organisation's (four eyes)
    _, panels = index(client, dash, "it")
    assert item_ids(panels["to-validate"]) == pks(dash, "de_submitted", "de_submitted_hidden")


@pytest.mark.parametrize(("name", "waiting"), [("de", "submit"), ("es", "validate"), ("it", "validate")])
def test_each_count_links_to_a_list_of_exactly_those_entries(client, dash, name, waiting):
    _, panels = index(client, dash, name)
    panel = panels[f"to-{waiting}"]
    assert panel["link"]["url"].endswith(f"?waiting={waiting}")
    response = client.get(panel["link"]["url"])
    assert response.status_code == 200
    listed = {entry.pk for entry in response.context["cl"].result_list}
    assert listed == item_ids(panel)
    assert len(listed) == panel["count"]


def test_my_actions_link_lists_the_organisations_actions(client, dash):
    _, panels = index(client, dash, "co")
    response = client.get(panels["my-actions"]["link"]["url"])
    assert response.status_code == 200
    assert [a.code for a in response.context["cl"].result_list] == ["DRUGS-CCH 1.1"]


def test_partner_counts_never_include_hidden_rows(client, dash):
    response, panels = index(client, dash, "co")
    page = response.content.decode()
    assert panels["my-actions"]["count"] == 1
    assert "DRUGS-CCH 9.9" not in page and "Title of DRUGS-CCH 9.9" not in page
    assert panels["to-validate"]["count"] == 0  # a participant, not the leader
    assert panels["to-submit"]["count"] == 0
    assert "Nothing waits for your submission" in page


def test_the_hub_validates_everything_submitted(client, dash):
    _, panels = index(client, dash, "hub")
    assert item_ids(panels["to-validate"]) == pks(
        dash, "de_submitted", "it_submitted_hidden", "de_submitted_hidden"
    )


def test_a_line_says_what_the_role_may_do(client, dash):
    response, _ = index(client, dash, "de")
    lines = response.context["dashboard"]["abilities"]
    assert lines[0].startswith("You are a coordinator of Germany")
    assert "record results for DE" in lines[0] and "validate or return" in lines[0]
    response, panels = index(client, dash, "viewer")
    lines = response.context["dashboard"]["abilities"]
    assert lines[0].startswith("You are a viewer of Germany") and "you may" not in lines[0]
    assert "to-submit" not in panels and "to-validate" not in panels  # not a viewer's job
    assert "You read the published factsheets." in lines
    response, _ = index(client, dash, "hub")
    assert "You read every factsheet version" in " ".join(response.context["dashboard"]["abilities"])


def test_latest_factsheets_follow_the_reporting_rule(client, dash):
    Factsheet.objects.create(
        year=2022, status=FactsheetStatus.PUBLISHED, checksum="a" * 64, figures={"headline": {}}
    )
    Factsheet.objects.create(year=2023, status=FactsheetStatus.COMPILED, checksum="b" * 64, figures={})
    _, panels = index(client, dash, "de")  # a coordinator reads published factsheets only
    assert panels["factsheets"]["count"] == 1
    assert [item["label"] for item in panels["factsheets"]["items"]] == ["2022 · EU-wide · version 1"]
    assert panels["factsheets"]["items"][0]["url"] == "/reports/factsheets/2022/?version=1"
    _, panels = index(client, dash, "hub")  # analysts also read open versions
    assert panels["factsheets"]["count"] == 2


def test_empty_states_when_nothing_exists(client, dash):
    response, panels = index(client, dash, "de")
    assert panels["factsheets"]["count"] == 0
    assert "No factsheet for you to read yet" in response.content.decode()


def count_index_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(INDEX).status_code == 200
    return len(captured)


def test_the_dashboard_costs_the_same_queries_with_few_and_many_rows(client, dash):
    client.force_login(dash["users"]["es"])
    client.get(INDEX)  # warm up: session, permissions
    few = count_index_queries(client)
    orgs, actions = dash["orgs"], dash["actions"]
    more_types = [f.ResultTypeFactory(code=f"extra_{i}") for i in range(25)]
    for result_type in more_types:  # submitted by Germany, for Spain to validate; Spain's drafts
        f.ResultEntryFactory(
            action=actions["shared"],
            organisation=orgs["de"],
            result_type=result_type,
            year=2023,
            status=EntryStatus.SUBMITTED,
        )
        f.ResultEntryFactory(
            action=actions["shared"],
            organisation=orgs["es"],
            result_type=result_type,
            year=2023,
            status=EntryStatus.RETURNED,
        )
    for i in range(15):  # more actions Spain takes part in
        extra = f.ActionFactory(code=f"DRUGS-CCH 5.{i}", plan=actions["shared"].plan)
        f.ParticipationFactory(action=extra, organisation=orgs["es"], role=LEADER)
    for year in range(2010, 2020):
        Factsheet.objects.create(year=year, status=FactsheetStatus.PUBLISHED, checksum="c" * 64)
    many = count_index_queries(client)
    response = client.get(INDEX)
    panels = {panel["id"]: panel for panel in response.context["dashboard"]["panels"]}
    assert panels["to-validate"]["count"] == 26 and len(panels["to-validate"]["items"]) == 5
    assert panels["to-submit"]["count"] == 26
    assert panels["my-actions"]["count"] == 16
    assert panels["factsheets"]["count"] == 10
    assert many == few, (few, many)


@pytest.mark.parametrize(
    "username", ["admin", "europol.analyst", "es.coordinator", "de.coordinator", "co.partner", "rs.partner"]
)
def test_every_panel_count_is_the_count_of_the_list_it_links_to(demo_data, client, username):
    """Against the demo data, as every demo role: a panel never counts a row its list would hide."""
    from django.utils import timezone

    from notifications.models import Notification
    from oap import access
    from oap.models import OperationalAction, ResultEntry, User
    from oap.selectors import periods_open

    user = User.objects.get(username=username)
    client.force_login(user)
    Factsheet.objects.create(year=2091, status=FactsheetStatus.COMPILED, checksum="e" * 64)  # a draft
    Factsheet.objects.create(year=2090, status=FactsheetStatus.PUBLISHED, checksum="f" * 64)
    response = client.get(INDEX)
    for panel in response.context["dashboard"]["panels"]:
        listed = client.get(panel["link"]["url"])
        assert listed.status_code == 200, panel["id"]
        if panel["id"] == "factsheets":
            shown = list(listed.context["factsheets"])
            assert len(shown) == panel["count"] == Factsheet.objects.visible_to(user).count()
            continue
        if panel["id"] == "deadlines":  # the periods under way, each linked to its completeness matrix
            assert panel["count"] == len(periods_open(timezone.localdate())) == len(panel["items"])
            assert listed.context["result"].cells is not None
            continue
        changelist = listed.context["cl"]
        assert changelist.result_count == panel["count"], panel["id"]
        model = changelist.model
        visible = access.restrict(model.objects.all(), user).values_list("pk", flat=True)
        assert set(changelist.queryset.values_list("pk", flat=True)) <= set(visible), panel["id"]
        assert model in (OperationalAction, ResultEntry, Notification)
