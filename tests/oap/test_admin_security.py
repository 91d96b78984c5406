"""The findings of the hostile review of the admin (issue 12), each tried as the user who found it.

History pages that saved a POST, changelist lookups nobody offered, factsheet history shown to
partners, counts of hidden rows, and exports answering hand-made parameters with a 500.
"""

import pytest
from django.urls import reverse

from oap import access
from oap.choices import EntryStatus, OrganisationKind
from oap.models import (
    CommonHorizontalStrategicGoal,
    Cycle,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
    PriorityCrimeArea,
    ResultEntry,
    ResultType,
    User,
)
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet
from tests.admin.pages import post_forms

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def history_entry_url(obj):
    record = obj.history.order_by("-history_id").first()
    if record is None:  # reference data loaded from fixtures has no history yet
        obj.save()
        record = obj.history.order_by("-history_id").first()
    return url(type(obj), "simple_history", obj.pk, record.history_id)


@pytest.fixture
def as_demo(demo_data, client):
    def login(username):
        user = User.objects.get(username=username)
        client.force_login(user)
        return user

    return login


def row_state(obj):
    """Every column of the row, and its many-to-many ids: what a write would change."""
    obj = type(obj)._default_manager.get(pk=obj.pk)
    state = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    for m2m in obj._meta.many_to_many:
        state[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return state


def targets_of_colombia(user):
    """The rows the hostile review changed through history pages, as Colombia (co.partner)."""
    colombia = user.organisation
    plans = access.restrict(OperationalActionPlan.objects.exclude(driver=colombia), user)
    plan = plans.exclude(co_drivers=colombia).order_by("code").first()
    read_only_actions = access.restrict(OperationalAction.objects.all(), user).exclude(
        pk__in=access.restrict(OperationalAction.objects.all(), user, "change")
    )
    action = read_only_actions.order_by("code").first()
    participation = (
        access.restrict(Participation.objects.exclude(organisation=colombia), user).order_by("pk").first()
    )
    return {"plan": plan, "action": action, "participation": participation, "organisation": colombia}


def hostile_post(client, obj, user):
    """The history page's own form, values changed as the review did (Colombia as co-driver...)."""
    page = client.get(history_entry_url(obj))
    assert page.status_code == 200
    data = {}
    for form in post_forms(page.content.decode()):
        data.update(form.altered(extra_choices={"co_drivers": [str(user.organisation_id)]}))
    data.update({"kind": OrganisationKind.MEMBER_STATE, "title": "Taken over", "handling": "partners"})
    data["organisation"] = str(user.organisation_id)
    data["co_drivers"] = [str(user.organisation_id)]
    return client.post(history_entry_url(obj), data)


# --- 1. history pages never write -------------------------------------------------------------


@pytest.mark.parametrize("target", ["plan", "action", "participation", "organisation"])
def test_a_history_page_post_changes_nothing(client, as_demo, target):
    user = as_demo("co.partner")
    obj = targets_of_colombia(user)[target]
    assert obj is not None
    before = row_state(obj)
    response = hostile_post(client, obj, user)
    assert response.status_code == 405
    assert row_state(obj) == before


def test_history_pages_are_read_only_even_for_the_superuser(client, as_demo):
    as_demo("admin")
    action = OperationalAction.objects.order_by("code").first()
    before = row_state(action)
    page = client.get(history_entry_url(action)).content.decode()
    assert 'name="title"' not in page and 'name="_save"' not in page  # shown, not editable
    assert action.title in page
    response = client.post(history_entry_url(action), {"title": "Reverted", "plan": action.plan_id})
    assert response.status_code == 405
    assert row_state(action) == before


def test_a_history_post_on_a_frozen_entry_is_refused_not_a_500(client, as_demo):
    user = as_demo("es.coordinator")
    entry = ResultEntry.objects.filter(organisation=user.organisation, status=EntryStatus.VALIDATED).first()
    before = row_state(entry)
    response = client.post(history_entry_url(entry), {"value": "1", "comment": "late correction"})
    assert response.status_code == 405
    assert row_state(entry) == before


def test_a_hidden_rows_history_answers_as_a_missing_id(client, as_demo):
    user = as_demo("rs.partner")
    hidden = OperationalAction.objects.exclude(pk__in=access.restrict(OperationalAction.objects.all(), user))
    action = hidden.order_by("code").first()
    record = action.history.first()
    missing = OperationalAction.objects.order_by("-pk").first().pk + 1000
    for method in (client.get, client.post):
        for pk in (action.pk, missing):
            page = method(url(OperationalAction, "history", pk))
            assert page.status_code == 404
            entry = method(url(OperationalAction, "simple_history", pk, record.history_id), {"title": "x"})
            assert entry.status_code == 404
            assert action.title not in entry.content.decode()


# --- 4. factsheet history follows the factsheet's scope ----------------------------------------


@pytest.fixture
def factsheets(demo_data):
    # years the demo does not compile, so these are each year's first versions
    draft = Factsheet.objects.create(year=2091, status=FactsheetStatus.COMPILED, checksum="d" * 64)
    published = Factsheet.objects.create(year=2090, status=FactsheetStatus.PUBLISHED, checksum="p" * 64)
    return draft, published


def test_an_unpublished_factsheets_history_is_not_shown_to_a_partner(client, as_demo, factsheets):
    draft, published = factsheets
    as_demo("co.partner")
    for view in ("history",):
        assert client.get(url(Factsheet, view, draft.pk)).status_code == 404
        assert client.get(url(Factsheet, view, published.pk)).status_code == 200
    assert client.get(history_entry_url(draft)).status_code == 404
    assert client.get(history_entry_url(published)).status_code == 200
    as_demo("europol.analyst")  # who reads drafts reads their history
    assert client.get(url(Factsheet, "history", draft.pk)).status_code == 200
    assert client.post(history_entry_url(draft), {"status": "published"}).status_code == 405


# --- 2. only declared lookups ------------------------------------------------------------------


def hidden_action_of(user):
    return (
        OperationalAction.objects.exclude(pk__in=access.restrict(OperationalAction.objects.all(), user))
        .order_by("code")
        .first()
    )


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Organisation, "actions__pk"),
        (Organisation, "actions__pk__in"),
        (Organisation, "participations__action__pk"),
        (CommonHorizontalStrategicGoal, "actions__pk"),
        (CommonHorizontalStrategicGoal, "actions__pk__gte"),
        (Organisation, "results__pk"),
        (ResultType, "entries__pk"),
        (ResultType, "entries__pk__in"),
        (PriorityCrimeArea, "plans__pk"),
        (PriorityCrimeArea, "plans__pk__gte"),
        (Cycle, "priorities__pk"),
        (OperationalActionPlan, "actions__pk"),
        (OperationalAction, "organisations__id__exact"),
        (ResultEntry, "action__id__exact"),
        (Participation, "action__pk"),
    ],
)
def test_undeclared_lookups_are_refused_for_every_model(client, as_demo, model, lookup):
    user = as_demo("rs.partner")
    hidden = hidden_action_of(user)
    value = str(hidden.pk)
    response = client.get(url(model, "changelist"), {lookup: value})
    assert response.status_code == 400
    assert hidden.code not in response.content.decode()


def test_declared_filters_still_work_and_the_dashboard_links_to_one(client, as_demo):
    user = as_demo("co.partner")
    page = client.get(url(OperationalAction, "changelist"), {"status__exact": "completed"})
    assert page.status_code == 200
    mine = client.get(url(OperationalAction, "changelist"), {"organisation": "CO", "all": ""})
    assert mine.status_code == 200
    shown = {a.pk for a in mine.context["cl"].result_list}
    assert shown == set(
        Participation.objects.filter(organisation__code="CO").values_list("action_id", flat=True)
    )
    index = client.get("/admin/").content.decode()
    assert "?organisation=CO" in index
    # a declared filter on an organisation that only takes part in hidden actions shows nothing
    hidden = hidden_action_of(user)
    only_hidden = Organisation.objects.filter(participations__action=hidden).exclude(
        participations__action__in=access.restrict(OperationalAction.objects.all(), user)
    )
    for organisation in only_hidden[:3]:
        response = client.get(url(OperationalAction, "changelist"), {"organisation": organisation.code})
        assert list(response.context["cl"].result_list) == []


# --- 5. counts of visible rows only ----------------------------------------------------------


def test_every_count_column_counts_only_visible_rows(client, as_demo):
    user = as_demo("rs.partner")
    plans = access.restrict(OperationalActionPlan.objects.all(), user)
    actions = access.restrict(OperationalAction.objects.all(), user)
    assert plans.count() < OperationalActionPlan.objects.count()  # the case that leaked

    page = client.get(url(PriorityCrimeArea, "changelist"), {"all": ""})
    shown = {p.pk: p._plan_count for p in page.context["cl"].result_list}
    assert shown == {p.pk: plans.filter(priority=p).count() for p in PriorityCrimeArea.objects.all()}

    page = client.get(url(Organisation, "changelist"), {"all": ""})
    for organisation in page.context["cl"].result_list:
        expected = actions.filter(participations__organisation=organisation).distinct().count()
        assert organisation._action_count == expected, organisation.code
    page = client.get(url(CommonHorizontalStrategicGoal, "changelist"), {"all": ""})
    for goal in page.context["cl"].result_list:
        assert goal._action_count == actions.filter(chsgs=goal).count()
    page = client.get(url(OperationalActionPlan, "changelist"), {"all": ""})
    for plan in page.context["cl"].result_list:
        assert plan._action_count == actions.filter(plan=plan).count()
    page = client.get(url(OperationalAction, "changelist"), {"all": ""})
    participations = access.restrict(Participation.objects.all(), user)
    for action in page.context["cl"].result_list:
        assert action._participant_count == participations.filter(action=action).count()
    page = client.get(url(Cycle, "changelist"))
    for cycle in page.context["cl"].result_list:
        assert (
            cycle._priority_count
            == access.restrict(PriorityCrimeArea.objects.filter(cycle=cycle), user).count()
        )


# --- 8. hand-made export parameters are 4xx, never 500 -----------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("model", "query", "status"),
    [
        (OperationalAction, {"p": "999"}, 200),
        (ResultEntry, {"p": "999"}, 200),
        (OperationalAction, {"start__year": "abc"}, 400),
        (OperationalAction, {"start__year": "2023", "start__month": "13"}, 400),
        (OperationalAction, {"start__year": "9999", "start__month": "12"}, 400),
        (OperationalAction, {"start__month": "5"}, 400),
        (ResultEntry, {"updated_at__year": "abc"}, 400),
        (ResultEntry, {"action__plan__id__exact": "abc"}, 400),
        (ResultEntry, {"organisation__id__exact": "abc"}, 400),
        (ResultEntry, {"no_such_field": "1"}, 400),
        (ResultEntry, {"action__pk__in": "1,2"}, 400),
        (OperationalAction, {"results__pk": "1"}, 400),
    ],
)
def test_hand_made_export_parameters_get_a_clear_4xx(client, as_demo, model, query, status, kind):
    as_demo("co.partner")
    response = client.get(url(model, "export", kind), query)
    assert response.status_code == status
    if status == 200:
        visible = access.restrict(model.objects.all(), User.objects.get(username="co.partner"))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body and visible.exists()
