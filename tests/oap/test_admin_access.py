"""The admin scoped by the access rule: lists, pages, choices, autocompletes, totals, workflow."""

from decimal import Decimal

import pytest
from django.urls import reverse

from oap.choices import EntryStatus, HandlingLevel, OrganisationKind, ParticipationRole, UserRole
from oap.models import OperationalAction, ResultEntry, YearLock
from tests import factories as f

pytestmark = pytest.mark.django_db
LEADER, PARTICIPANT = ParticipationRole.LEADER, ParticipationRole.PARTICIPANT


def url(model, view, *args):
    return reverse(f"admin:oap_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world(db):
    org = f.OrganisationFactory
    orgs = {
        "hub": org(code="EUROPOL", name="Europol", kind=OrganisationKind.EU_AGENCY, is_hub=True),
        "es": org(code="ES", name="Spain"),
        "de": org(code="DE", name="Germany"),
        "fr": org(code="FR", name="France"),
        "it": org(code="IT", name="Italy"),
        "co": org(code="CO", name="Colombia", kind=OrganisationKind.THIRD_COUNTRY),
        "rs": org(code="RS", name="Serbia", kind=OrganisationKind.THIRD_COUNTRY),
    }
    cocaine = f.PlanFactory(code="DRUGS-CCH", name="Cannabis, cocaine, heroin", driver=orgs["fr"])
    secret_plan = f.PlanFactory(code="HRCN", name="High-risk criminal networks", driver=orgs["it"])

    def action(code, plan, handling, leader, *participants):
        a = f.ActionFactory(code=code, plan=plan, handling=handling, title=f"Title of {code}")
        f.ParticipationFactory(action=a, organisation=orgs[leader], role=LEADER)
        for p in participants:
            f.ParticipationFactory(action=a, organisation=orgs[p], role=PARTICIPANT)
        return a

    actions = {
        "shared": action("DRUGS-CCH 1.1", cocaine, HandlingLevel.EU, "es", "de", "co"),
        "partners": action("DRUGS-CCH 2.1", cocaine, HandlingLevel.PARTNERS, "it"),
        "hidden": action("HRCN 1.1", secret_plan, HandlingLevel.PARTICIPANTS, "it", "es"),
    }
    arrests = f.ResultTypeFactory(code="arrests", name="Arrests")
    hidden_entry = f.ResultEntryFactory(
        action=actions["hidden"], organisation=orgs["it"], result_type=arrests, status=EntryStatus.VALIDATED
    )
    users = {
        name: f.UserFactory(username=f"{name}.user", organisation=orgs[name], is_staff=True)
        for name in ("es", "de", "fr", "it", "co", "rs")
    }
    users["hub"] = f.UserFactory(
        username="hub.analyst", organisation=orgs["hub"], role=UserRole.ANALYST, is_staff=True
    )
    return {
        "orgs": orgs,
        "actions": actions,
        "users": users,
        "arrests": arrests,
        "hidden_entry": hidden_entry,
    }


def as_user(client, world, name):
    client.force_login(world["users"][name])
    return client


def listed_codes(client, model=OperationalAction):
    response = client.get(url(model, "changelist"), {"all": ""})
    assert response.status_code == 200
    return response, {
        str(getattr(row, "code", None) or row.action.code) for row in response.context["cl"].result_list
    }


def test_partner_sees_only_its_actions_and_partner_actions(client, world):
    as_user(client, world, "co")
    _, codes = listed_codes(client)
    assert codes == {"DRUGS-CCH 1.1", "DRUGS-CCH 2.1"}
    as_user(client, world, "rs")
    _, codes = listed_codes(client)
    assert codes == {"DRUGS-CCH 2.1"}


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_hidden_action_pages_do_not_answer(client, world, view):
    as_user(client, world, "co")
    hidden = world["actions"]["hidden"]
    response = client.get(url(OperationalAction, view, hidden.pk))
    assert response.status_code in (302, 404)
    assert hidden.title not in response.content.decode()


def test_hidden_action_history_record_page_does_not_answer(client, world):
    hidden = world["actions"]["hidden"]
    record = hidden.history.first()
    as_user(client, world, "co")
    response = client.get(
        reverse("admin:oap_operationalaction_simple_history", args=[hidden.pk, record.history_id])
    )
    assert response.status_code == 404


def test_hidden_rows_stay_out_of_related_lists_filters_and_totals(client, world):
    as_user(client, world, "co")
    # results and participations of the hidden action are not listed
    _, codes = listed_codes(client, ResultEntry)
    assert "HRCN 1.1" not in codes
    response = client.get(url(world["hidden_entry"].__class__, "change", world["hidden_entry"].pk))
    assert response.status_code == 302
    response = client.get(url(OperationalAction, "changelist"))
    page = response.content.decode()
    assert "HRCN" not in page  # neither the hidden plan in the plan filter nor the action
    # plans: a partner sees the plans of its visible actions only
    response = client.get(url(world["actions"]["hidden"].plan.__class__, "changelist"))
    assert [p.code for p in response.context["cl"].result_list] == ["DRUGS-CCH"]
    # totals: Italy leads two actions, one of them hidden from Colombia
    response = client.get(url(world["orgs"]["it"].__class__, "changelist"), {"q": "IT"})
    italy = next(row for row in response.context["cl"].result_list if row.code == "IT")
    assert italy._action_count == 1


def autocomplete(client, model_name, field_name, term=""):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "oap", "model_name": model_name, "field_name": field_name, "term": term},
    )
    if response.status_code != 200:
        return response.status_code, set()
    return 200, {item["text"].split(" — ")[0] for item in response.json()["results"]}


def test_autocompletes_offer_only_reachable_actions(client, world):
    as_user(client, world, "co")
    assert autocomplete(client, "resultentry", "action") == (200, {"DRUGS-CCH 1.1"})
    assert autocomplete(client, "resultentry", "action", "HRCN")[1] == set()
    _, codes = autocomplete(client, "participation", "action")
    assert codes == set()  # Colombia manages no action
    as_user(client, world, "es")
    assert autocomplete(client, "resultentry", "action")[1] == {"DRUGS-CCH 1.1", "HRCN 1.1"}
    assert autocomplete(client, "participation", "action")[1] == {"DRUGS-CCH 1.1"}  # the one it leads
    assert autocomplete(client, "resultentry", "organisation")[1] == {"Spain (ES)"}


def result_post(world, action, organisation, year=2023, value="4"):
    return {
        "action": world["actions"][action].pk,
        "organisation": world["orgs"][organisation].pk,
        "result_type": world["arrests"].pk,
        "year": year,
        "half_year": "",
        "value": value,
        "comment": "",
    }


def test_coordinator_cannot_report_for_another_organisation_or_a_foreign_action(client, world):
    as_user(client, world, "de")
    before = ResultEntry.objects.count()
    for post in (result_post(world, "shared", "es"), result_post(world, "hidden", "de")):
        response = client.post(url(ResultEntry, "add"), post)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors
    assert ResultEntry.objects.count() == before


def test_admin_writes_go_through_the_workflow_and_leave_history(client, world):
    as_user(client, world, "de")
    response = client.post(url(ResultEntry, "add"), result_post(world, "shared", "de"))
    assert response.status_code == 302
    entry = ResultEntry.objects.get(organisation__code="DE")
    assert entry.status == EntryStatus.DRAFT and entry.entered_by == world["users"]["de"]
    client.post(url(ResultEntry, "changelist"), {"action": "submit_entries", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED
    # a participant that does not lead cannot validate
    as_user(client, world, "co")
    client.post(
        url(ResultEntry, "changelist"), {"action": "validate_entries", "_selected_action": [entry.pk]}
    )
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED
    # the leader returns it with a reason, then validates the corrected one
    as_user(client, world, "es")
    client.post(
        url(ResultEntry, "changelist"),
        {"action": "return_entries", "_selected_action": [entry.pk], "reason": "Only 2023 arrests"},
    )
    entry.refresh_from_db()
    assert (entry.status, entry.return_reason) == (EntryStatus.RETURNED, "Only 2023 arrests")
    as_user(client, world, "de")
    response = client.post(url(ResultEntry, "change", entry.pk), {"value": "3", "comment": "corrected"})
    assert response.status_code == 302
    client.post(url(ResultEntry, "changelist"), {"action": "submit_entries", "_selected_action": [entry.pk]})
    as_user(client, world, "es")
    client.post(
        url(ResultEntry, "changelist"), {"action": "validate_entries", "_selected_action": [entry.pk]}
    )
    entry.refresh_from_db()
    assert (entry.status, entry.value, entry.validated_by) == (
        EntryStatus.VALIDATED,
        Decimal(3),
        world["users"]["es"],
    )
    trail = [
        (h.history_user.username, h.status) for h in entry.history.order_by("history_date", "history_id")
    ]
    assert trail == [
        ("de.user", "draft"),
        ("de.user", "submitted"),
        ("es.user", "returned"),
        ("de.user", "returned"),
        ("de.user", "submitted"),
        ("es.user", "validated"),
    ]
    # the history page lists them
    response = client.get(url(ResultEntry, "history", entry.pk))
    assert response.status_code == 200 and "de.user" in response.content.decode()


def test_action_change_in_admin_is_recorded_with_its_user(client, world):
    action = world["actions"]["shared"]
    as_user(client, world, "es")  # the leader
    page = client.get(url(OperationalAction, "change", action.pk))
    assert page.status_code == 200
    form = page.context["adminform"].form
    post = {name: form[name].value() or "" for name in form.fields}
    post.update(title="Cocaine corridors 2023", chsgs=[])
    for prefix, formset in ((fs.formset.prefix, fs.formset) for fs in page.context["inline_admin_formsets"]):
        management = formset.management_form
        for name in management.fields:
            post[f"{prefix}-{name}"] = management[name].value()
        post[f"{prefix}-TOTAL_FORMS"] = len(formset.initial_forms)  # no extra rows
        for i, inline_form in enumerate(formset.initial_forms):
            for name in inline_form.fields:
                value = inline_form[name].value()
                post[f"{prefix}-{i}-{name}"] = "" if value is None else value
    response = client.post(url(OperationalAction, "change", action.pk), post)
    assert response.status_code == 302, response.context and (
        response.context["adminform"].form.errors,
        [fs.formset.errors for fs in response.context["inline_admin_formsets"]],
    )
    latest = action.history.order_by("-history_date").first()
    assert (latest.title, latest.history_user.username) == ("Cocaine corridors 2023", "es.user")
    # a participant that does not manage the action only views it
    as_user(client, world, "de")
    assert client.post(url(OperationalAction, "change", action.pk), post).status_code == 403


def test_validated_and_locked_entries_are_refused_with_a_clear_message(client, world):
    shared = world["actions"]["shared"]
    validated = f.ResultEntryFactory(
        action=shared,
        organisation=world["orgs"]["de"],
        result_type=world["arrests"],
        year=2022,
        status=EntryStatus.VALIDATED,
        value=Decimal(5),
    )
    draft = f.ResultEntryFactory(
        action=shared,
        organisation=world["orgs"]["de"],
        result_type=world["arrests"],
        year=2023,
        status=EntryStatus.DRAFT,
        value=Decimal(5),
    )
    as_user(client, world, "de")
    page = client.get(url(ResultEntry, "change", validated.pk), follow=True)
    assert "is validated and can no longer change" in page.content.decode()
    assert client.post(url(ResultEntry, "change", validated.pk), {"value": "1"}).status_code == 403
    # the hub locks 2023 in the admin
    as_user(client, world, "hub")
    response = client.post(url(YearLock, "add"), {"year": 2023, "reason": "Factsheet 2023 published"})
    assert response.status_code == 302
    lock = YearLock.objects.get(year=2023)
    assert lock.locked_by == world["users"]["hub"]
    assert lock.history.first().history_user == world["users"]["hub"]
    as_user(client, world, "de")
    page = client.get(url(ResultEntry, "change", draft.pk))
    assert "Year 2023 is locked" in page.content.decode()
    assert client.post(url(ResultEntry, "change", draft.pk), {"value": "1", "comment": ""}).status_code == 403
    # a coordinator cannot unlock; the hub can
    assert client.post(url(YearLock, "delete", lock.pk), {"post": "yes"}).status_code == 403
    as_user(client, world, "hub")
    assert client.post(url(YearLock, "delete", lock.pk), {"post": "yes"}).status_code == 302
    as_user(client, world, "de")
    assert client.post(url(ResultEntry, "change", draft.pk), {"value": "1", "comment": ""}).status_code == 302
    draft.refresh_from_db()
    validated.refresh_from_db()
    assert (draft.value, validated.value) == (Decimal(1), Decimal(5))
