"""Bad input gets a 4xx whose body names the field, and leaves the database as it was.

Against the demo data, as the partner Colombia (co.partner) and the Spanish coordinator
(es.coordinator), in the open years (2022 and 2023 are locked by their published factsheets).
Every error body has the one shape {"status", "code", "detail", "errors"}.
"""

import json

import pytest
from rest_framework.test import APIClient

from oap.choices import EntryStatus
from oap.models import OperationalAction, Participation, ResultEntry, User
from tests.api.demo_rows import OPEN_YEARS, free_rows

pytestmark = pytest.mark.django_db

API = "/api/v1"
RESULTS = f"{API}/results/"


def fingerprint():
    """Everything a refused request must leave alone: the entries, their history, their state."""
    return (
        ResultEntry.objects.count(),
        ResultEntry.history.model.objects.count(),
        hash(tuple(ResultEntry.objects.order_by("pk").values_list("pk", "value", "status", "updated_at"))),
    )


@pytest.fixture
def db_unchanged(demo_data):
    """Fails the test when the database differs after it from before it."""
    before = fingerprint()
    yield
    assert fingerprint() == before, "a refused request changed the database"


def client_for(username):
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


@pytest.fixture
def colombia(demo_data):
    return client_for("co.partner")


@pytest.fixture
def spain(demo_data):
    return client_for("es.coordinator")


def refused(response, status, field):
    """The one error body, with `field` named in `errors`; returns the body."""
    assert response.status_code == status, (response.status_code, response.content[:1000])
    body = response.json()
    assert set(body) - {"existing"} == {"status", "code", "detail", "errors"}, body
    assert body["status"] == status and body["code"] and body["detail"], body
    assert field in body["errors"], body
    assert all(isinstance(m, str) and m for m in body["errors"][field]), body
    return body


#: a present action Colombia takes part in (2024–2025), and counters it has not reported there
ACTION = "DRUGS-CCH-24 2.1"
FREE_COUNTERS = ("suspects_identified", "high_value_targets")


def good(**changes):
    """A result Colombia may record: CO takes part in DRUGS-CCH-24 2.1 and reports no suspects there."""
    row = {
        "action": ACTION,
        "organisation": "CO",
        "result_type": FREE_COUNTERS[0],
        "year": 2025,
        "half_year": 1,
        "value": "12",
        "comment": "",
    }
    row.update(changes)
    return {k: v for k, v in row.items() if v is not ...}


def post(client, data):
    return client.post(RESULTS, data, format="json")


def test_the_good_row_is_really_good(colombia):
    """The baseline the bad cases change one field of is accepted (and rolled back with the test)."""
    for code in FREE_COUNTERS:
        assert not ResultEntry.objects.filter(
            action__code=ACTION, organisation__code="CO", result_type__code=code, year=2025
        ).exists()
    assert post(colombia, good()).status_code == 201
    assert post(colombia, good(result_type=FREE_COUNTERS[1], half_year=None, value="3")).status_code == 201


# --- one result ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("action", "NO-SUCH 9.9"),
        ("organisation", "XX"),
        ("result_type", "no_such_counter"),
        ("value", "-1"),
        ("value", -0.001),
        ("value", "abc"),
        ("value", "NaN"),
        ("value", "1e20"),
        ("value", 1.5563590131389945e308),  # beyond Decimal's precision: once a 500 (Schemathesis)
        ("value", "9" * 400),
        ("value", "1.0001"),
        ("value", "1.5"),  # suspects are counted in whole numbers
        ("year", 1899),
        ("year", "twenty"),
        ("year", 2026),  # after the action's end
        ("half_year", 3),
        ("action", ...),
        ("organisation", ...),
        ("result_type", ...),
        ("year", ...),
        ("value", ...),
        ("action", None),
        ("action", 12),
        ("comment", ["a list"]),
        ("action", "DRUGS-CCH-24\x00 2.1"),  # was a 500 on PostgreSQL (NUL in the code lookup)
        ("organisation", "C\x00O"),
        ("result_type", "\x00"),
        ("comment", "a\x00b"),
    ],
)
def test_a_bad_field_is_named(colombia, db_unchanged, field, value):
    refused(post(colombia, good(**{field: value})), 400, field)


def test_a_duplicate_period_names_the_result_type(colombia, db_unchanged):
    """One entry duplicating a stored one conflicts with it (409), naming it; in a bulk it is a bad row (below)."""
    entry = (
        ResultEntry.objects.filter(organisation__code="CO", year__in=OPEN_YEARS)
        .select_related("action", "result_type")
        .first()
    )
    response = post(
        colombia,
        good(
            action=entry.action.code,
            result_type=entry.result_type.code,
            year=entry.year,
            half_year=entry.half_year,
        ),
    )
    body = refused(response, 409, "result_type")
    assert "already reported" in body["errors"]["result_type"][0]
    assert f"entry {entry.pk}" in body["errors"]["result_type"][0]


def test_a_whole_year_beside_half_years_names_the_half_year(colombia, db_unchanged):
    """Colombia reports 2026 by half-years: a whole-year 2026 figure for the same counter would count twice."""
    entry = (
        ResultEntry.objects.filter(organisation__code="CO", year=2026, half_year__isnull=False)
        .select_related("action", "result_type")
        .first()
    )
    response = post(
        colombia,
        good(action=entry.action.code, result_type=entry.result_type.code, year=2026, half_year=None),
    )
    body = refused(response, 409, "half_year")
    assert "count twice" in body["errors"]["half_year"][0]


def test_a_locked_year_is_a_conflict_naming_the_year(colombia, db_unchanged):
    """2023 is locked by its published factsheet: Colombia's figure for a 2022–2023 action is refused."""
    action = OperationalAction.objects.filter(participations__organisation__code="CO", end__year=2023).first()
    body = refused(post(colombia, good(action=action.code, year=2023)), 409, "year")
    assert "locked" in body["errors"]["year"][0]


def test_another_organisations_code_is_refused_on_organisation(colombia, db_unchanged):
    # ES takes part in DRUGS-CCH-24 2.1 too: the action and the organisation exist and match,
    # but Colombia records only for Colombia
    assert Participation.objects.filter(action__code=ACTION, organisation__code="ES").exists()
    refused(post(colombia, good(organisation="ES")), 403, "organisation")


def test_an_action_the_partner_does_not_take_part_in_is_refused_on_organisation(colombia, db_unchanged):
    action = (
        OperationalAction.objects.visible_to(User.objects.get(username="co.partner"))
        .exclude(participations__organisation__code="CO")
        .order_by("code")
        .first()
    )
    assert action is not None
    body = refused(post(colombia, good(action=action.code)), 400, "organisation")
    assert "does not take part" in body["errors"]["organisation"][0]


def test_a_hidden_action_looks_like_one_that_does_not_exist(colombia, db_unchanged):
    user = User.objects.get(username="co.partner")
    hidden = OperationalAction.objects.exclude(pk__in=OperationalAction.objects.visible_to(user)).first()
    assert hidden is not None
    said_hidden = refused(post(colombia, good(action=hidden.code)), 400, "action")
    said_missing = refused(post(colombia, good(action="NO-SUCH 9.9")), 400, "action")
    assert said_hidden["errors"]["action"] == [
        m.replace("NO-SUCH 9.9", hidden.code) for m in said_missing["errors"]["action"]
    ]
    assert said_hidden["errors"]["action"] == [f"No operational action with code '{hidden.code}'."]
    assert hidden.title not in json.dumps(said_hidden)
    # the same through the bulk endpoint
    bulk = colombia.post(
        f"{RESULTS}bulk/", {"results": [good(action=hidden.code), good(action="NO-SUCH 9.9")]}, format="json"
    )
    body = refused(bulk, 400, "results[0].action")
    assert body["errors"]["results[0].action"] == [
        m.replace("NO-SUCH 9.9", hidden.code) for m in body["errors"]["results[1].action"]
    ]
    assert hidden.title not in json.dumps(body)


@pytest.mark.parametrize(
    "body",
    [b'{"action": "DRUGS-CCH-24 2.1", "value": ', b"not json at all", b'{"value": NaN}', b"\xff\xfe"],
)
def test_malformed_json_names_the_body(colombia, db_unchanged, body):
    for url in (RESULTS, f"{RESULTS}bulk/"):
        refused(colombia.post(url, body, content_type="application/json"), 400, "body")


@pytest.mark.parametrize("payload", [[], "a string", 12, None])
def test_a_body_that_is_not_an_object_is_refused(colombia, db_unchanged, payload):
    response = colombia.post(RESULTS, json.dumps(payload), content_type="application/json")
    refused(response, 400, "non_field_errors")


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", EntryStatus.VALIDATED),
        ("entered_by", 1),
        ("validated_by", 1),
        ("validated_at", "2025-01-01T00:00:00Z"),
        ("submitted_at", "2025-01-01T00:00:00Z"),
        ("return_reason", "none"),
        ("id", 1),
        ("updated_at", "2025-01-01T00:00:00Z"),
    ],
)
def test_mass_assignment_on_create_is_refused(colombia, db_unchanged, field, value):
    refused(post(colombia, good(**{field: value})), 400, field)


@pytest.fixture
def colombian_draft(demo_data):
    """An open entry Colombia may change: one of its demo drafts."""
    draft = (
        ResultEntry.objects.filter(organisation__code="CO", status=EntryStatus.DRAFT).order_by("pk").first()
    )
    assert draft is not None
    return draft


@pytest.mark.parametrize(
    "field, value",
    [
        ("organisation", "ES"),
        ("action", "DRUGS-CCH 1.1"),
        ("result_type", "victims_identified"),
        ("status", EntryStatus.VALIDATED),
        ("year", 2024),
        ("entered_by", 1),
        ("validated_at", "2025-01-01T00:00:00Z"),
    ],
)
def test_mass_assignment_on_update_is_refused(colombia, colombian_draft, db_unchanged, field, value):
    response = colombia.patch(f"{RESULTS}{colombian_draft.pk}/", {field: value, "value": "4"}, format="json")
    refused(response, 400, field)


@pytest.mark.parametrize("value", ["-5", 1.5563590131389945e308])
def test_a_bad_value_on_update_is_refused(colombia, colombian_draft, db_unchanged, value):
    response = colombia.patch(f"{RESULTS}{colombian_draft.pk}/", {"value": value}, format="json")
    refused(response, 400, "value")
    response = colombia.patch(f"{RESULTS}{colombian_draft.pk}/", b"{oops", content_type="application/json")
    refused(response, 400, "body")


def test_return_without_a_reason_names_the_reason(demo_data, db_unchanged):
    entry = ResultEntry.objects.filter(status=EntryStatus.VALIDATED, year__in=OPEN_YEARS).first()
    hub = client_for("europol.analyst")
    for data in ({}, {"reason": ""}, {"reason": "x", "status": "draft"}):
        response = hub.post(f"{RESULTS}{entry.pk}/return/", data, format="json")
        assert response.status_code in (400, 403), response.content
        body = response.json()
        assert set(body) == {"status", "code", "detail", "errors"}


# --- bulk ------------------------------------------------------------------------------------


def spanish_rows(count):
    """`count` distinct, valid rows for Spain: the free places of its open actions (tests.api.demo_rows)."""
    return free_rows("ES", count)


def bulk(client, rows):
    return client.post(f"{RESULTS}bulk/", {"results": rows}, format="json")


def test_an_oversize_bulk_names_results(spain, db_unchanged):
    rows = spanish_rows(1000) * 5  # refused for its size before any row is read
    rows.append(dict(rows[0], year=2026))
    body = refused(bulk(spain, rows), 400, "results")
    assert "5000" in body["errors"]["results"][0] or "5 000" in body["errors"]["results"][0]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"results": []}, "results"),
        ({"results": "many"}, "results"),
        ({"results": {"0": {}}}, "results"),
        ({}, "results"),
        ([], "results"),
        ({"results": [], "dry_run": True}, "dry_run"),
    ],
)
def test_a_bulk_that_is_not_a_list_of_results_is_refused(spain, db_unchanged, payload, field):
    refused(spain.post(f"{RESULTS}bulk/", payload, format="json"), 400, field)


@pytest.mark.parametrize(
    "change, field, status",
    [
        ({"value": "-3"}, "value", 400),
        ({"value": None}, "value", 400),
        ({"action": "NO-SUCH 9.9"}, "action", 400),
        ({"organisation": "XX"}, "organisation", 400),
        ({"organisation": "CO"}, "organisation", 400),
        ({"result_type": "no_such_counter"}, "result_type", 400),
        ({"year": 1800}, "year", 400),
        ({"half_year": 0}, "half_year", 400),
        ({"status": "validated"}, "status", 400),
        ({"entered_by": 1}, "entered_by", 400),
    ],
)
def test_one_bad_item_among_many_is_named_by_its_index_and_nothing_is_created(
    spain, db_unchanged, change, field, status
):
    rows = spanish_rows(300)
    rows[217] = {**rows[217], **change}
    body = refused(bulk(spain, rows), status, f"results[217].{field}")
    assert {key.split(".")[0] for key in body["errors"]} == {"results[217]"}, body["errors"]


def test_a_period_given_twice_in_one_bulk_names_the_second(spain, db_unchanged):
    rows = spanish_rows(50)
    rows[40] = dict(rows[3])
    body = refused(bulk(spain, rows), 400, "results[40].result_type")
    assert set(body["errors"]) == {"results[40].result_type"}


def test_a_bulk_duplicating_an_existing_entry_is_refused(spain, db_unchanged):
    entry = (
        ResultEntry.objects.filter(organisation__code="ES", year__in=OPEN_YEARS)
        .select_related("action", "result_type")
        .first()
    )
    rows = spanish_rows(20)
    rows[7] = {
        "action": entry.action.code,
        "organisation": "ES",
        "result_type": entry.result_type.code,
        "year": entry.year,
        "half_year": entry.half_year,
        "value": "1",
    }
    refused(bulk(spain, rows), 409, "results[7].result_type")  # only duplicates: a conflict


def test_a_bulk_for_another_organisation_is_refused(colombia, db_unchanged):
    rows = [good(result_type=code) for code in FREE_COUNTERS]
    rows[1]["organisation"] = "ES"
    refused(bulk(colombia, rows), 400, "results[1].organisation")


# --- found by Schemathesis and by hand: once server errors, now 4xx naming the field ----------


@pytest.mark.parametrize(
    "url, field, status",
    [
        ("actions/?year=25517316536228996", "year", 400),  # was an OverflowError (500)
        ("plans/?year=1e30", "year", 400),
        ("results/?year=99999999999999999999", "year", 400),
        ("results/?updated_since=9999-12-31T23:59:59-14:00", "updated_since", 400),  # was a 500
        ("actions/?updated_since=0001-01-01T00:00:00+01:00", "updated_since", 400),
        ("results/?cursor=abc", "cursor", 400),
        ("results/?cursor=W10=", "cursor", 400),  # base64 of "[]": read, but not a cursor
        ("cycles/?cursor=%00", "cursor", 400),
        ("results/?page_size=501", "page_size", 400),
        ("results/?half_year=3", "half_year", 400),
        ("actions/?organisation=%00", "organisation", 400),
    ],
)
def test_bad_query_parameters_are_named(colombia, db_unchanged, url, field, status):
    refused(colombia.get(f"{API}/{url}"), status, field)


@pytest.mark.parametrize("endpoint", ["actions", "results", "actions/export", "results/export"])
def test_an_offset_postgresql_cannot_hold_is_read_in_utc(colombia, db_unchanged, endpoint):
    """ISO 8601 allows -21:34; PostgreSQL refuses offsets past ±15:59 (once a 500 on lists, and an
    export cut short with its transaction aborted: Schemathesis)."""
    far = colombia.get(f"{API}/{endpoint}/", {"updated_since": "2024-01-01T05:51:25-21:34", "page_size": 500})
    utc = colombia.get(f"{API}/{endpoint}/", {"updated_since": "2024-01-02T03:25:25Z", "page_size": 500})
    assert far.status_code == utc.status_code == 200
    if endpoint.endswith("export"):
        rows = [b"".join(response.streaming_content).splitlines() for response in (far, utc)]
    else:
        rows = [response.json()["results"] for response in (far, utc)]
    assert rows[0] == rows[1] and len(rows[1]) > 1


@pytest.mark.parametrize("path", ["results/1.5/", "results/-2.4e-241/", "actions/abc/", "plans/9.9/"])
def test_a_malformed_id_is_the_apis_json_404(colombia, db_unchanged, path):
    response = colombia.get(f"{API}/{path}")  # was Django's HTML 404: the URL pattern refused it
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert set(response.json()) == {"status", "code", "detail", "errors"}


def test_json_nested_too_deeply_is_a_parse_error(colombia, db_unchanged):
    deep = b"[" * 100_000 + b"]" * 100_000  # was a RecursionError (500)
    for url in (RESULTS, f"{RESULTS}bulk/"):
        refused(colombia.post(url, deep, content_type="application/json"), 400, "body")


def test_null_characters_in_a_bulk_are_named(colombia, db_unchanged):
    # PostgreSQL refuses NUL in text: without this check the lookup or the insert was a 500
    rows = [good(action="DRUGS-CCH-24\x00 2.1"), good(result_type=FREE_COUNTERS[1], comment="a\x00b")]
    body = refused(bulk(colombia, rows), 400, "results[0].action")
    assert "results[1].comment" in body["errors"]


def test_a_conflict_on_delete_is_a_documented_409(colombia, db_unchanged):
    entry = ResultEntry.objects.filter(
        organisation__code="CO", status=EntryStatus.VALIDATED, year__in=OPEN_YEARS
    ).first()
    body = refused(colombia.delete(f"{RESULTS}{entry.pk}/"), 409, "status")
    assert "validated" in body["detail"]
