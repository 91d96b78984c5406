"""The results grid page (oap/admin/grid.py) and the action page's summary, through the admin."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from oap.choices import (
    ActionStatus,
    EntryStatus,
    HandlingLevel,
    OrganisationKind,
    ParticipationRole,
    ResultCategory,
    ResultUnit,
    UserRole,
)
from oap.models import ResultEntry
from tests import factories as f

pytestmark = pytest.mark.django_db
LEADER, PARTICIPANT = ParticipationRole.LEADER, ParticipationRole.PARTICIPANT


@pytest.fixture
def world(db):
    org = f.OrganisationFactory
    orgs = {
        "es": org(code="ES", name="Spain"),
        "de": org(code="DE", name="Germany"),
        "it": org(code="IT", name="Italy"),
        "co": org(code="CO", name="Colombia", kind=OrganisationKind.THIRD_COUNTRY),
    }
    plan = f.PlanFactory(code="DRUGS-CCH", driver=orgs["it"])
    action = f.ActionFactory(code="DRUGS-CCH 1.1", plan=plan, handling=HandlingLevel.EU)
    f.ParticipationFactory(action=action, organisation=orgs["es"], role=LEADER)
    f.ParticipationFactory(action=action, organisation=orgs["de"], role=PARTICIPANT)
    hidden = f.ActionFactory(code="DRUGS-CCH 9.9", plan=plan, handling=HandlingLevel.PARTICIPANTS)
    f.ParticipationFactory(action=hidden, organisation=orgs["it"], role=LEADER)
    counters = {
        "arrests": f.ResultTypeFactory(code="arrests", name="Arrests", order=1),
        "cocaine_kg": f.ResultTypeFactory(
            code="cocaine_kg",
            name="Cocaine seized",
            unit=ResultUnit.KG,
            category=ResultCategory.DRUGS,
            order=2,
        ),
        "seizures": f.ResultTypeFactory(code="seizures", name="Seizures", order=3),
        "checks_persons": f.ResultTypeFactory(
            code="checks_persons", name="Persons checked", category=ResultCategory.CHECKS, order=4
        ),
    }
    # the priority usually reports arrests and cocaine: another action's figures say so
    other = f.ActionFactory(code="DRUGS-CCH 2.1", plan=plan)
    for code in ("arrests", "cocaine_kg"):
        f.ResultEntryFactory(action=other, organisation=orgs["it"], result_type=counters[code])
    users = {
        name: f.UserFactory(username=f"{name}.user", organisation=orgs[name], is_staff=True)
        for name in ("es", "de", "it", "co")
    }
    users["viewer"] = f.UserFactory(
        username="de.viewer", organisation=orgs["de"], role=UserRole.VIEWER, is_staff=True
    )
    return {"orgs": orgs, "action": action, "hidden": hidden, "users": users, "counters": counters}


def grid(action, period="2024", **query):
    url = reverse("admin:oap_operationalaction_results", args=[action.pk])
    return f"{url}?" + "&".join(f"{k}={v}" for k, v in {"period": period, **query}.items())


def login(client, world, name):
    client.force_login(world["users"][name])
    return client


def figures(organisation="DE"):
    return {
        e.result_type.code: (e.value, e.status)
        for e in ResultEntry.objects.filter(organisation__code=organisation, year=2024).select_related(
            "result_type"
        )
    }


def test_every_counter_is_a_row_the_usual_ones_first_the_rest_folded(client, world):
    page = login(client, world, "de").get(grid(world["action"]))
    assert page.status_code == 200
    html = page.content.decode()
    for code in world["counters"]:
        assert f'name="value-{code}"' in html
    usual, _, folded = html.partition("<details")
    assert 'name="value-arrests"' in usual and 'name="value-cocaine_kg"' in usual
    assert 'name="value-checks_persons"' in folded and "Checks" in folded


def test_figures_are_saved_at_once_and_a_comma_is_a_decimal_point(client, world):
    client = login(client, world, "de")
    response = client.post(
        grid(world["action"]), {"value-arrests": "12", "value-cocaine_kg": "1250,5", "value-seizures": ""}
    )
    assert response.status_code == 302 and response.url == grid(world["action"])
    assert figures() == {"arrests": (Decimal(12), "draft"), "cocaine_kg": (Decimal("1250.5"), "draft")}
    assert "2 recorded" in next(str(m) for m in get_messages(response.wsgi_request))
    # the page shows what is stored, and emptying a box removes the draft
    assert 'value="1250.5"' in client.get(grid(world["action"])).content.decode()
    client.post(grid(world["action"]), {"value-arrests": "12", "value-cocaine_kg": ""})
    assert figures() == {"arrests": (Decimal(12), "draft")}


def test_one_bad_figure_saves_nothing_and_is_named_beside_its_row(client, world):
    client = login(client, world, "de")
    client.post(grid(world["action"]), {"value-arrests": "12"})
    response = client.post(
        grid(world["action"]),
        {"value-arrests": "14", "value-cocaine_kg": "1,250", "value-seizures": "1.5"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was saved" in html
    row = html[html.index('id="row-cocaine_kg"') :]
    row = row[: row.index("</tr>")]
    assert 'id="error-cocaine_kg"' in row and "1,250" in row and "1250" in row  # names the value
    row = html[html.index('id="row-seizures"') :]
    assert 'id="error-seizures"' in row[: row.index("</tr>")]
    assert 'id="error-arrests"' not in html
    assert 'value="14"' in html  # what was typed stays on the page
    assert figures() == {"arrests": (Decimal(12), "draft")}


def test_save_and_submit_submits_the_period(client, world):
    client = login(client, world, "de")
    response = client.post(
        grid(world["action"]), {"value-arrests": "3", "value-seizures": "4", "_submit": "1"}
    )
    assert response.status_code == 302
    assert figures() == {
        "arrests": (Decimal(3), EntryStatus.SUBMITTED),
        "seizures": (Decimal(4), EntryStatus.SUBMITTED),
    }
    page = client.get(grid(world["action"])).content.decode()
    assert 'name="value-arrests"' not in page and "waits for validation" in page
    # a submitted figure does not change through a hand-made POST either
    response = client.post(grid(world["action"]), {"value-arrests": "30"})
    assert response.status_code == 400 and figures()["arrests"][0] == Decimal(3)


def test_an_organisation_not_taking_part_is_refused_and_a_hidden_action_is_not_revealed(client, world):
    client = login(client, world, "it")  # drives the plan, sees the action, does not take part
    assert client.get(grid(world["action"])).status_code == 403
    assert client.post(grid(world["action"]), {"value-arrests": "5"}).status_code == 403
    client = login(client, world, "co")  # a partner: the action is for the EU side only
    hidden = client.get(grid(world["action"]))
    missing = client.get(reverse("admin:oap_operationalaction_results", args=[999_999]) + "?period=2024")
    assert (hidden.status_code, hidden.get("Location")) == (missing.status_code, missing.get("Location"))
    assert client.post(grid(world["action"]), {"value-arrests": "5"}).status_code == hidden.status_code
    assert login(client, world, "viewer").get(grid(world["action"])).status_code == 403
    assert not ResultEntry.objects.filter(year=2024).exists()


def test_a_post_for_another_organisations_figures_is_refused(client, world):
    client = login(client, world, "es")
    response = client.post(grid(world["action"], organisation="DE"), {"value-arrests": "99"})
    assert response.status_code == 403
    # a DE draft cannot be reached through ES's grid either: ES's grid holds ES's figures only
    f.ResultEntryFactory(
        action=world["action"],
        organisation=world["orgs"]["de"],
        result_type=world["counters"]["arrests"],
        year=2024,
    )
    client.post(grid(world["action"]), {"value-arrests": ""})
    assert figures("DE") == {"arrests": (Decimal(10), "draft")} and figures("ES") == {}


def test_a_period_outside_the_action_is_not_found(client, world):
    client = login(client, world, "de")
    assert client.get(grid(world["action"], period="2031")).status_code == 404
    assert client.get(grid(world["action"], period="2024-H3")).status_code == 404
    assert client.get(grid(world["action"], period="2024-H2")).status_code == 200


def test_the_action_page_sums_results_and_links_to_the_grid(client, world):
    action = world["action"]
    for organisation, status, value in (("de", "validated", 5), ("es", "submitted", 7), ("es", "draft", 1)):
        f.ResultEntryFactory(
            action=action,
            organisation=world["orgs"][organisation],
            result_type=world["counters"]["arrests"],
            year=2024,
            half_year=1 if status == "draft" else None if organisation == "de" else 2,
            value=value,
            status=status,
        )
    change = reverse("admin:oap_operationalaction_change", args=[action.pk])
    html = login(client, world, "de").get(change).content.decode()
    summary = html[html.index('id="results-summary"') :]
    assert 'id="record-results"' in html and grid(action).split("?")[0] in html
    # Germany sees its validated figure and none of Spain's open ones
    assert "<td>2024</td>" in summary and '<td class="number">5</td>' in summary
    assert '<td class="number">13</td>' not in summary and '<td class="number">5</td>' in summary
    assert "resultentry/?action=DRUGS-CCH+1.1" in summary
    # Spain, the leader, sees every figure: 13 in all, 5 validated
    html = login(client, world, "es").get(change).content.decode()
    summary = html[html.index('id="results-summary"') :]
    assert '<td class="number">13</td>' in summary
    # the plan's driver reads the summary but has no grid to record in
    html = login(client, world, "it").get(change).content.decode()
    assert 'id="results-summary"' in html and 'id="record-results"' not in html
    # the add page has no results section
    html = client.get(reverse("admin:oap_operationalaction_add")).content.decode()
    assert 'id="results-summary"' not in html and "resultentry" not in html.split('id="content-main"')[1]


def test_the_results_list_names_the_filter_a_link_applied(client, world):
    f.ResultEntryFactory(action=world["action"], organisation=world["orgs"]["de"], year=2024)
    url = reverse("admin:oap_resultentry_changelist") + "?action=DRUGS-CCH+1.1"
    html = login(client, world, "de").get(url).content.decode()
    assert 'id="active-filters"' in html and "DRUGS-CCH 1.1" in html.split('id="active-filters"')[1][:400]


def test_no_add_links_for_those_who_cannot_add(client, world):
    client = login(client, world, "co")
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:oap_operationalaction_add") not in index
    assert reverse("admin:oap_participation_add") not in index
    assert client.get(reverse("admin:oap_operationalaction_add")).status_code == 403
    # the plan's driver adds actions (and participants to the actions it manages)
    index = login(client, world, "it").get(reverse("admin:index")).content.decode()
    assert reverse("admin:oap_operationalaction_add") in index
    assert reverse("admin:oap_participation_add") in index


def test_the_action_chooser_of_a_new_result_offers_active_actions_only(client, world):
    finished = f.ActionFactory(code="DRUGS-CCH 0.1", plan=world["action"].plan, status=ActionStatus.COMPLETED)
    f.ParticipationFactory(action=finished, organisation=world["orgs"]["de"], role=LEADER)
    url = reverse("admin:autocomplete") + "?app_label=oap&model_name=resultentry&field_name=action&term=DRUGS"
    found = [row["text"] for row in login(client, world, "de").get(url).json()["results"]]
    assert any("DRUGS-CCH 1.1" in text for text in found)
    assert not any("DRUGS-CCH 0.1" in text for text in found)
