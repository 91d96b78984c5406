"""Smoke tests of the coordinators' admin: every registered oap model, its filters and searches,
the one-leader rule of the action form, and changelists whose query count does not grow with rows."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oap.choices import ParticipationRole
from oap.models import ImportJob, OperationalAction, Participation, ReportingPeriod, ResultEntry, YearLock
from oap.models.api import IdempotencyKey
from tests.factories import (
    ActionFactory,
    CHSGFactory,
    OrganisationFactory,
    ParticipationFactory,
    PlanFactory,
    ResultEntryFactory,
    ResultTypeFactory,
    UserFactory,
)

LEADER, PARTICIPANT = ParticipationRole.LEADER, ParticipationRole.PARTICIPANT
ONE_LEADER_ERROR = "An operational action needs exactly one leader."

OAP_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "oap"),
    key=lambda model: model._meta.model_name,
)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The superuser and coordinators need a password; hashing it properly costs a second a user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def data(db):
    """A small world: one action with a leader and a participant, and one result."""
    spain = OrganisationFactory(code="ES", name="Spain")
    germany = OrganisationFactory(code="DE", name="Germany")
    plan = PlanFactory(code="DRUGS-CCH", driver=spain)
    plan.co_drivers.add(germany)
    action = ActionFactory(plan=plan, code="DRUGS-CCH 3.2", title="Cocaine corridors")
    action.chsgs.add(CHSGFactory())
    ParticipationFactory(action=action, organisation=spain, role=LEADER)
    ParticipationFactory(action=action, organisation=germany, role=PARTICIPANT)
    arrests = ResultTypeFactory(code="arrests")
    smugglers = ResultTypeFactory(code="migrant_smugglers", parent=arrests)
    coordinator = UserFactory(username="coordinator-es", organisation=spain)
    ResultEntryFactory(action=action, organisation=spain, result_type=arrests, entered_by=coordinator)
    ResultEntryFactory(action=action, organisation=germany, result_type=smugglers, half_year=1)
    YearLock.objects.create(year=2020, reason="Factsheet 2020 published", locked_by=coordinator)
    ReportingPeriod.objects.create(
        year=2022, results_due=datetime.date(2023, 1, 31), validation_closes=datetime.date(2023, 2, 28)
    )
    job = ImportJob(created_by=coordinator, filename="results.csv", total_rows=1)
    job.file.save("results.csv", ContentFile(b"action,organisation,result_type,year,value\n"), save=True)
    return {
        "superuser": UserFactory(username="root", organisation=None, is_superuser=True, is_staff=True),
        "spain": spain,
        "germany": germany,
        "plan": plan,
        "action": action,
        "arrests": arrests,
    }


def test_every_oap_model_is_registered():
    # simple_history's audit tables (HistoricalX, with `instance_type`) are read via their model's admin
    models = {
        model
        for model in apps.get_app_config("oap").get_models()
        if not hasattr(model, "instance_type") and model is not IdempotencyKey  # the API's, never edited
    }
    assert models == set(OAP_MODELS)


@pytest.mark.parametrize("model", OAP_MODELS, ids=lambda model: model._meta.model_name)
def test_changelist_add_and_change_pages_answer(admin_client, data, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the data set has no {model.__name__}"

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    # models recorded only through their own workflow (imports) have no add page
    adds = admin.site._registry[model].has_add_permission(type("R", (), {"user": data["superuser"]})())
    assert admin_client.get(admin_url(model, "add")).status_code == (200 if adds else 403)
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", OAP_MODELS, ids=lambda model: model._meta.model_name)
def test_changelist_search_and_every_filter_choice_answer(admin_client, data, model):
    url = admin_url(model, "changelist")
    if admin.site._registry[model].search_fields:
        assert admin_client.get(url, {"q": "ES"}).status_code == 200

    changelist = admin_client.get(url).context["cl"]
    applied = 0
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            response = admin_client.get(url + choice["query_string"])
            assert response.status_code == 200, (spec.title, choice["query_string"])
            applied += 1
    assert applied >= len(changelist.filter_specs)


def test_search_finds_actions_by_code(admin_client, data):
    response = admin_client.get(admin_url(OperationalAction, "changelist"), {"q": "CCH 3.2"})
    assert list(response.context["cl"].result_list) == [data["action"]]


def test_action_changelist_shows_leader_and_participant_count(admin_client, data):
    response = admin_client.get(admin_url(OperationalAction, "changelist"))
    row = response.context["cl"].result_list[0]
    assert (row._leader_code, row._participant_count) == ("ES", 2)
    assert "Spain (ES)" in response.content.decode()


def test_result_changelist_shows_value_with_unit(admin_client, data):
    response = admin_client.get(admin_url(ResultEntry, "changelist"))
    assert '<td class="field-value_with_unit">10</td>' in response.content.decode()  # a count: no unit


def test_organisation_autocomplete_answers_json(admin_client, data):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "oap", "model_name": "participation", "field_name": "organisation", "term": "Spa"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert [result["id"] for result in response.json()["results"]] == [str(data["spain"].pk)]


# --- The action form: exactly one leader ---------------------------------------------------


def action_form(plan, participations, code="DRUGS-CCH 9.9"):
    """POST data of the action add form with the given (organisation, role) rows and no results."""
    post = {
        "plan": plan.pk,
        "code": code,
        "title": "A new action",
        "description": "",
        "status": "planned",
        "start": "2022-02-01",
        "end": "2022-12-31",
        "handling": "eu",
        "participations-TOTAL_FORMS": len(participations),
        "participations-INITIAL_FORMS": 0,
        "participations-MIN_NUM_FORMS": 0,
        "participations-MAX_NUM_FORMS": 1000,
        "results-TOTAL_FORMS": 0,
        "results-INITIAL_FORMS": 0,
        "results-MIN_NUM_FORMS": 0,
        "results-MAX_NUM_FORMS": 1000,
    }
    for i, (organisation, role) in enumerate(participations):
        post[f"participations-{i}-organisation"] = organisation.pk
        post[f"participations-{i}-role"] = role
    return post


@pytest.mark.parametrize(
    "roles", [(LEADER, LEADER), (PARTICIPANT, PARTICIPANT), ()], ids=["two-leaders", "no-leader", "nobody"]
)
def test_adding_an_action_needs_exactly_one_leader(admin_client, data, roles):
    organisations = [data["spain"], data["germany"]][: len(roles)]
    post = action_form(data["plan"], list(zip(organisations, roles, strict=True)))

    response = admin_client.post(admin_url(OperationalAction, "add"), post)

    assert response.status_code == 200
    assert ONE_LEADER_ERROR in response.content.decode()
    assert not OperationalAction.objects.filter(code="DRUGS-CCH 9.9").exists()
    assert Participation.objects.count() == 2  # only the data set's


def test_adding_an_action_with_one_leader_saves_it_and_its_participants(admin_client, data):
    post = action_form(data["plan"], [(data["spain"], LEADER), (data["germany"], PARTICIPANT)])

    response = admin_client.post(admin_url(OperationalAction, "add"), post)

    assert response.status_code == 302, response.context and response.context["errors"]
    action = OperationalAction.objects.get(code="DRUGS-CCH 9.9")
    assert set(action.participations.values_list("organisation__code", "role")) == {
        ("ES", LEADER),
        ("DE", PARTICIPANT),
    }


def test_a_deleted_leader_row_does_not_count(admin_client, data):
    post = action_form(data["plan"], [(data["spain"], LEADER), (data["germany"], LEADER)])
    post["participations-1-DELETE"] = "on"

    response = admin_client.post(admin_url(OperationalAction, "add"), post)

    assert response.status_code == 302
    action = OperationalAction.objects.get(code="DRUGS-CCH 9.9")
    assert list(action.participations.values_list("organisation__code", "role")) == [("ES", LEADER)]


def test_the_lead_can_pass_to_another_organisation_in_one_save(admin_client, data):
    action = ActionFactory(plan=data["plan"], code="DRUGS-CCH 4.1")
    spain = ParticipationFactory(action=action, organisation=data["spain"], role=LEADER)
    germany = ParticipationFactory(action=action, organisation=data["germany"], role=PARTICIPANT)
    post = action_form(
        data["plan"], [(data["spain"], PARTICIPANT), (data["germany"], LEADER)], code=action.code
    )
    post["participations-INITIAL_FORMS"] = 2
    # Germany's row first, so a naive save would promote it while Spain still leads.
    for i, participation in enumerate([germany, spain]):
        post[f"participations-{i}-id"] = participation.pk
        post[f"participations-{i}-action"] = action.pk
        post[f"participations-{i}-organisation"] = participation.organisation_id
        post[f"participations-{i}-role"] = LEADER if participation == germany else PARTICIPANT

    response = admin_client.post(admin_url(OperationalAction, "change", action.pk), post)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert action.participations.get(role=LEADER).organisation == data["germany"]


def test_adding_a_result_records_who_entered_it(admin_client, admin_user, data):
    post = {
        "action": data["action"].pk,
        "organisation": data["germany"].pk,
        "result_type": data["arrests"].pk,
        "year": 2023,
        "half_year": "",
        "value": "4",
        "status": "draft",
        "comment": "",
        "return_reason": "",
    }

    response = admin_client.post(admin_url(ResultEntry, "add"), post)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    entry = ResultEntry.objects.get(year=2023)
    assert (entry.entered_by, entry.value) == (admin_user, Decimal("4"))


# --- Changelists cost a constant number of queries ------------------------------------------


def add_actions(count):
    for _ in range(count):
        action = ActionFactory()
        ParticipationFactory(action=action, role=LEADER)
        ParticipationFactory(action=action, role=PARTICIPANT)


def add_results(count):
    for _ in range(count):
        ResultEntryFactory()


def changelist_queries(client, model):
    url = admin_url(model, "changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.context["cl"].result_count


@pytest.mark.parametrize(
    ("model", "add_rows"),
    [(OperationalAction, add_actions), (ResultEntry, add_results)],
    ids=["actions", "results"],
)
def test_changelist_queries_do_not_grow_with_rows(admin_client, db, model, add_rows):
    add_rows(3)
    admin_client.get(admin_url(model, "changelist"))  # warm up the session and caches
    few, rows = changelist_queries(admin_client, model)
    assert rows == 3

    add_rows(27)
    many, rows = changelist_queries(admin_client, model)
    assert rows == 30

    assert few == many, f"{few} queries for 3 rows, {many} for 30"


def test_an_action_dated_outside_its_plans_cycle_is_refused_beside_the_field(admin_client, data):
    """The admin asks the service's rule (`services.check_action`); it used to save the action as typed."""
    cycle = data["plan"].priority.cycle
    post = action_form(data["plan"], [(data["spain"], LEADER)])
    post["start"], post["end"] = f"{cycle.end_year + 3}-01-01", f"{cycle.end_year + 3}-12-31"
    before = OperationalAction.objects.count()

    response = admin_client.post(admin_url(OperationalAction, "add"), post)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert f"{cycle.start_year} to {cycle.end_year}" in " ".join(errors["start"])
    assert OperationalAction.objects.count() == before


def test_the_admin_saves_an_action_through_the_service(admin_client, data):
    """One path for every writer: the admin's add page writes the action's event in the same
    transaction, as `services.action_create` does (the admin used to save the action itself)."""
    from outbox.models import Message

    post = action_form(data["plan"], [(data["spain"], LEADER), (data["germany"], PARTICIPANT)])
    response = admin_client.post(admin_url(OperationalAction, "add"), post)

    assert response.status_code == 302
    action = OperationalAction.objects.get(code="DRUGS-CCH 9.9")
    assert Message.objects.filter(key=f"event:action.changed:{action.pk}").count() == 1
