"""The result workflow on an entry's admin page: buttons the user may use, confirmation, refusals."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from oap.choices import EntryStatus, HandlingLevel, OrganisationKind, ParticipationRole, UserRole
from oap.models import ResultEntry, YearLock
from tests import factories as f

pytestmark = pytest.mark.django_db
LEADER, PARTICIPANT = ParticipationRole.LEADER, ParticipationRole.PARTICIPANT
BUTTONS = ("submit", "validate", "return")


@pytest.fixture
def wf(db):
    org = f.OrganisationFactory
    orgs = {
        "hub": org(code="EUROPOL", name="Europol", kind=OrganisationKind.EU_AGENCY, is_hub=True),
        "es": org(code="ES", name="Spain"),
        "de": org(code="DE", name="Germany"),
        "it": org(code="IT", name="Italy"),
        "co": org(code="CO", name="Colombia", kind=OrganisationKind.THIRD_COUNTRY),
    }
    plan = f.PlanFactory(code="DRUGS-CCH", driver=orgs["it"])
    shared = f.ActionFactory(code="DRUGS-CCH 1.1", plan=plan, handling=HandlingLevel.EU)
    f.ParticipationFactory(action=shared, organisation=orgs["es"], role=LEADER)
    for code in ("de", "co"):
        f.ParticipationFactory(action=shared, organisation=orgs[code], role=PARTICIPANT)
    hidden = f.ActionFactory(code="DRUGS-CCH 9.9", plan=plan, handling=HandlingLevel.PARTICIPANTS)
    f.ParticipationFactory(action=hidden, organisation=orgs["it"], role=LEADER)
    f.ParticipationFactory(action=hidden, organisation=orgs["de"], role=PARTICIPANT)
    arrests = f.ResultTypeFactory(code="arrests", name="Arrests")
    users = {
        name: f.UserFactory(username=f"{name}.user", organisation=orgs[name], is_staff=True)
        for name in ("es", "de", "it", "co")
    }
    users["hub"] = f.UserFactory(
        username="hub.analyst", organisation=orgs["hub"], role=UserRole.ANALYST, is_staff=True
    )

    def entry(status, *, action=shared, organisation="de", year=2023):
        return f.ResultEntryFactory(
            action=action,
            organisation=orgs[organisation],
            result_type=arrests,
            year=year,
            status=status,
            value=Decimal(7),
        )

    return {"orgs": orgs, "shared": shared, "hidden": hidden, "users": users, "entry": entry}


def login(client, wf, name):
    client.force_login(wf["users"][name])
    return client


def change_url(entry):
    return reverse("admin:oap_resultentry_change", args=[entry.pk])


def step_url(entry, step):
    return reverse(f"admin:oap_resultentry_{step}", args=[entry.pk])


def buttons(client, entry) -> set[str]:
    response = client.get(change_url(entry))
    assert response.status_code == 200
    page = response.content.decode()
    shown = {name for name in BUTTONS if f'id="workflow-{name}"' in page}
    assert shown == {step["name"] for step in response.context["workflow_steps"]}
    for name in shown:
        assert f'href="{step_url(entry, name)}"' in page
    return shown


def status_of(entry) -> str:
    entry.refresh_from_db()
    return entry.status


def test_buttons_follow_the_access_rule_and_the_status(client, wf):
    draft = wf["entry"](EntryStatus.DRAFT)
    returned = wf["entry"](EntryStatus.RETURNED, year=2022)
    submitted = wf["entry"](EntryStatus.SUBMITTED, organisation="co")
    validated = wf["entry"](EntryStatus.VALIDATED, year=2024)
    own_validated = wf["entry"](EntryStatus.VALIDATED, organisation="es")
    login(client, wf, "de")  # the reporting organisation
    assert buttons(client, draft) == {"submit"}
    assert buttons(client, returned) == {"submit"}
    login(client, wf, "es")  # the action's leader
    assert buttons(client, submitted) == {"validate", "return"}
    assert buttons(client, validated) == {"return"}  # a reviewer may reopen a validated entry
    assert buttons(client, own_validated) == set()  # but never review its own organisation's figure
    login(client, wf, "co")  # submitted it, does not lead the action
    assert buttons(client, submitted) == set()
    login(client, wf, "it")  # the plan's driver
    assert buttons(client, submitted) == {"validate", "return"}
    login(client, wf, "hub")
    assert buttons(client, submitted) == {"validate", "return"}


def test_no_button_on_an_entry_of_a_locked_year(client, wf):
    draft = wf["entry"](EntryStatus.DRAFT)
    submitted = wf["entry"](EntryStatus.SUBMITTED, organisation="co")
    YearLock.objects.create(year=2023)
    login(client, wf, "de")
    assert buttons(client, draft) == set()
    login(client, wf, "es")
    assert buttons(client, submitted) == set()


def test_submit_asks_for_confirmation_then_submits(client, wf):
    draft = wf["entry"](EntryStatus.DRAFT)
    login(client, wf, "de")
    page = client.get(step_url(draft, "submit"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Submit this entry for validation?" in text
    assert "goes to the leader of DRUGS-CCH 1.1" in text
    assert 'id="workflow-confirm"' in text
    assert status_of(draft) == EntryStatus.DRAFT  # a GET changes nothing
    response = client.post(step_url(draft, "submit"))
    assert response.status_code == 302 and response.url == change_url(draft)
    assert status_of(draft) == EntryStatus.SUBMITTED
    assert draft.submitted_at is not None
    assert draft.history.first().history_user == wf["users"]["de"]
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(m.startswith("Submitted for validation: DRUGS-CCH 1.1 · DE · arrests 2023") for m in messages)


def test_the_leader_validates_after_confirming(client, wf):
    submitted = wf["entry"](EntryStatus.SUBMITTED)
    login(client, wf, "es")
    page = client.get(step_url(submitted, "validate"))
    assert page.status_code == 200 and "counts in the 2023 factsheets" in page.content.decode()
    assert status_of(submitted) == EntryStatus.SUBMITTED
    response = client.post(step_url(submitted, "validate"), follow=True)
    assert response.redirect_chain[-1][0] == change_url(submitted)
    assert status_of(submitted) == EntryStatus.VALIDATED
    assert submitted.validated_by == wf["users"]["es"]
    assert "Validated: DRUGS-CCH 1.1" in response.content.decode()


def test_return_needs_a_reason_and_records_it(client, wf):
    submitted = wf["entry"](EntryStatus.SUBMITTED)
    login(client, wf, "es")
    page = client.get(step_url(submitted, "return"))
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    response = client.post(step_url(submitted, "return"), {"reason": "  "})
    assert response.status_code == 200  # the form again, with the service's message on the field
    assert response.context["form"].errors["reason"] == [
        "Say why the entry is returned, so its organisation can correct it."
    ]
    assert status_of(submitted) == EntryStatus.SUBMITTED
    response = client.post(step_url(submitted, "return"), {"reason": "Count 2023 arrests only"})
    assert response.status_code == 302
    assert status_of(submitted) == EntryStatus.RETURNED
    assert submitted.return_reason == "Count 2023 arrests only"
    # the organisation sees the reason and its Submit button again
    login(client, wf, "de")
    page = client.get(change_url(submitted)).content.decode()
    assert "Count 2023 arrests only" in page and 'id="workflow-submit"' in page


def test_refusals_come_from_the_service_and_change_nothing(client, wf):
    submitted = wf["entry"](EntryStatus.SUBMITTED)
    login(client, wf, "de")  # reported it; does not lead the action
    page = client.get(step_url(submitted, "validate"))
    assert page.status_code == 403
    assert 'id="workflow-confirm"' not in page.content.decode()
    response = client.post(step_url(submitted, "validate"))
    assert response.status_code == 403
    assert "DE reported this figure, so another organisation validates it" in response.content.decode()
    # submitting twice: the service says why
    response = client.post(step_url(submitted, "submit"))
    assert response.status_code == 409
    assert "submitted and waits for validation" in response.content.decode()
    assert status_of(submitted) == EntryStatus.SUBMITTED
    # validating a draft: the leader reviews Germany's figures, but a draft is not submitted yet
    draft = wf["entry"](EntryStatus.DRAFT, year=2022)
    login(client, wf, "es")
    response = client.post(step_url(draft, "validate"))
    assert response.status_code == 409
    assert "Only submitted entries can be validated; this one is draft." in response.content.decode()
    # Colombia takes part but reviews nothing: Germany's draft is as if it did not exist
    login(client, wf, "co")
    assert client.post(step_url(draft, "validate")).status_code == 302
    assert status_of(draft) == EntryStatus.DRAFT


def test_a_locked_year_is_refused_with_its_reason(client, wf):
    draft = wf["entry"](EntryStatus.DRAFT)
    YearLock.objects.create(year=2023)
    login(client, wf, "de")
    response = client.post(step_url(draft, "submit"))
    assert response.status_code == 409
    assert "Year 2023 is locked" in response.content.decode()
    assert status_of(draft) == EntryStatus.DRAFT


def test_hidden_entries_do_not_answer(client, wf):
    hidden = wf["entry"](EntryStatus.SUBMITTED, action=wf["hidden"], organisation="it")
    login(client, wf, "co")
    for step in BUTTONS:
        for method in (client.get, client.post):
            response = method(step_url(hidden, step), {"reason": "x"} if method == client.post else None)
            assert response.status_code == 302 and response.url == reverse("admin:index")
            assert "DRUGS-CCH 9.9" not in response.content.decode()
    assert status_of(hidden) == EntryStatus.SUBMITTED


def test_the_admins_own_entry_urls_still_answer(client, wf):
    draft = wf["entry"](EntryStatus.DRAFT)
    login(client, wf, "de")
    assert client.get(f"/admin/oap/resultentry/{draft.pk}/").status_code == 302  # the admin's redirect
    assert client.get(reverse("admin:oap_resultentry_history", args=[draft.pk])).status_code == 200
    assert client.get(reverse("admin:oap_resultentry_delete", args=[draft.pk])).status_code == 200


def test_the_waiting_filter_lists_what_waits(client, wf):
    draft = wf["entry"](EntryStatus.DRAFT)
    submitted = wf["entry"](EntryStatus.SUBMITTED, organisation="co")
    wf["entry"](EntryStatus.VALIDATED, organisation="es")
    login(client, wf, "es")
    response = client.get(reverse("admin:oap_resultentry_changelist"), {"waiting": "validate"})
    assert [e.pk for e in response.context["cl"].result_list] == [submitted.pk]
    login(client, wf, "de")
    response = client.get(reverse("admin:oap_resultentry_changelist"), {"waiting": "submit"})
    assert [e.pk for e in response.context["cl"].result_list] == [draft.pk]
    assert ResultEntry.objects.count() == 3
