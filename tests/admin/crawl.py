"""The admin crawler: every URL of every registered ModelAdmin, as one user, against chosen rows.

For each ModelAdmin of the oap, reporting and notifications apps (`admin.site._registry`, so a new admin is
crawled without editing anything here) it takes every URL pattern of `get_urls()` — changelist,
add, change, delete, history, history entry and the custom views — fills its parameters with a
row the user cannot see, a row it may only view, a row it may change and an id that does not
exist, then GETs the page and POSTs a form built from what the page shows merged over values
built from the model's fields (changed the way a hostile user would). Each request runs in a
savepoint that is rolled back, and is judged:

- no 500 (an exception raised by a view is a finding);
- the domain tables are unchanged, or every row changed is one the access rule lets the user
  change (`oracle.allowed`) — their digest (`digest.py`) is compared after every POST, and after
  every GET that ran any SQL statement but a read;
- a hidden row answers exactly as a missing id (status, redirect, messages, error body);
- no response shows a hidden action's or plan's code or title, a hidden draft's comment, a
  hidden factsheet's checksum or another user's import.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field

from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.urls import URLPattern
from django.urls.resolvers import RegexPattern

from oap import access
from oap.models import (
    CommonHorizontalStrategicGoal,
    ImportJob,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    PriorityCrimeArea,
    ResultEntry,
    ResultType,
)
from reporting.models import Factsheet

from . import digest, oracle
from .pages import Form, post_forms, visible_text

APPS = digest.APPS
KINDS = ("hidden", "view-only", "changeable")
FILE_KINDS = ("csv", "xlsx", "pdf")


def registered_admins() -> list:
    return sorted(
        (model_admin for model, model_admin in admin.site._registry.items() if model._meta.app_label in APPS),
        key=lambda model_admin: model_admin.opts.label,
    )


# --- the rows: chosen with the access rule ---------------------------------------------------


def _scopes(user, model):
    """(visible, writable) querysets of `model` for `user`, from `oap.access`."""
    rows = model._default_manager.all()
    if model is Factsheet:
        visible = access.restrict(rows, user, "view")
        writable = rows.exclude(status="published") if user.is_superuser else rows.none()
        return visible, writable
    visible = access.restrict(rows, user, "view")
    if model is ImportJob:
        # the import pages show a coordinator their own uploads, although the role has no
        # oap.view_importjob (only the hub reads every import in its admin): see the report
        visible = visible | rows.filter(access.import_job_own_q(user))
    writable = access.restrict(rows, user, "change") | access.restrict(rows, user, "delete")
    return visible, writable


def _preferred(queryset):
    """The most telling row first: result entries waiting for review, then the lowest id."""
    if queryset.model is ResultEntry:
        waiting = models.Case(models.When(status="submitted", then=0), default=1)
        return queryset.order_by(waiting, "pk")
    return queryset.order_by("pk")


def pick_rows(user, model) -> dict:
    """{kind: row or None} for "hidden", "view-only" and "changeable"."""
    visible, writable = _scopes(user, model)
    every = model._default_manager.all()
    hidden = every.exclude(pk__in=visible.values("pk"))
    if model is ResultEntry:  # another organisation's draft says most when it leaks
        hidden = hidden.order_by(models.Case(models.When(status="draft", then=0), default=1), "pk")
    else:
        hidden = hidden.order_by("pk")
    return {
        "hidden": hidden.first(),
        "view-only": _preferred(visible.exclude(pk__in=writable.values("pk"))).first(),
        "changeable": _preferred(writable).first(),
    }


def missing_pk(model) -> int:
    last = model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    return last + 100_000


def _public_texts() -> set[str]:
    """Names every user may read (reference data): a hidden row sharing one is not a leak by it."""
    texts = set()
    for model, names in (
        (Organisation, ("code", "name")),
        (PriorityCrimeArea, ("code", "name")),
        (CommonHorizontalStrategicGoal, ("code", "name")),
        (ResultType, ("code", "name")),
    ):
        for row in model.objects.values_list(*names):
            texts.update(row)
    return texts


def hidden_markers(user) -> list[re.Pattern]:
    """Text that must never reach `user`: codes and titles of the rows hidden from them.

    A title that a visible row (or reference data) also bears is left out: showing it says nothing.
    """
    seen, texts, codes = _public_texts(), set(), set()
    for model, title in ((OperationalAction, "title"), (OperationalActionPlan, "name")):
        visible = access.restrict(model.objects.all(), user, "view")
        seen.update(t for row in visible.values_list("code", title) for t in row)
        for code, name in model.objects.exclude(pk__in=visible.values("pk")).values_list("code", title):
            codes.add(code)
            texts.add(name)
    entries = ResultEntry.objects.exclude(
        pk__in=access.restrict(ResultEntry.objects.all(), user).values("pk")
    )
    secret = entries.filter(comment__startswith="crawler secret").select_related(
        "action", "organisation", "result_type"
    )
    texts.update(text for entry in secret for text in (entry.comment, str(entry)))
    for model, field_name, shown in ((Factsheet, "checksum", 12), (ImportJob, "filename", None)):
        visible, _ = _scopes(user, model)  # the list shows a checksum's first 12 characters
        hidden = model.objects.exclude(pk__in=visible.values("pk"))
        texts.update(value[:shown] for value in hidden.values_list(field_name, flat=True) if value)
    # a whole text: not the start of a longer one ("… exploitation" in "… exploitation 2023")
    patterns = [re.compile(rf"{re.escape(text)}(?![ \t]*\w)") for text in sorted(texts - seen) if text]
    patterns += [re.compile(rf"(?<![\w.-]){re.escape(code)}(?![\w.-]*\d)") for code in sorted(codes - seen)]
    return patterns


# --- URLs ---------------------------------------------------------------------------------------

_ROUTE_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
_REGEX_GROUP = re.compile(r"\((?:[^()\\]|\\.)*\)")


@dataclass
class Target:
    """One URL to try: its pattern's name, the kind of row it points at, the path."""

    pattern: str
    kind: str  # a row kind, "missing", a file kind or "-"
    path: str
    row: object = None
    model: type | None = None


def _history_id(row) -> int:
    history = getattr(type(row), "history", None) if row is not None else None
    if history is None:
        return 987_654_321
    record = (
        history.model.objects.filter(**{type(row)._meta.pk.attname: row.pk}).order_by("-history_id").first()
    )
    return record.history_id if record is not None else 987_654_321


def _fill(route: str, values: dict) -> str:
    def one(match):
        name = match.group(2)
        if name not in values:
            raise LookupError(
                f"the crawler does not know how to fill <{name}> in {route!r}: teach tests/admin/crawl.py"
            )
        return str(values[name])

    return _ROUTE_PARAMETER.sub(one, route)


def targets_of(model_admin, rows: dict, jobs: dict) -> list[Target]:
    """Every URL of `model_admin`, its parameters filled with each kind of row."""
    prefix = f"/admin/{model_admin.opts.app_label}/{model_admin.opts.model_name}/"
    found = []
    for pattern in model_admin.get_urls():
        if not isinstance(pattern, URLPattern):
            continue
        name = pattern.name or f"{model_admin.opts.model_name}_redirect"
        if isinstance(pattern.pattern, RegexPattern):
            route = str(pattern.pattern).lstrip("^").rstrip("$")
            groups = len(_REGEX_GROUP.findall(route))
            for kind, row, pk in _object_rows(model_admin.model, rows):
                values = iter([pk, _history_id(row)][:groups])
                path = _REGEX_GROUP.sub(lambda _m, v=values: str(next(v)), route)
                found.append(Target(name, kind, prefix + path, row, model_admin.model))
            continue
        route = str(pattern.pattern)
        parameters = {match.group(2) for match in _ROUTE_PARAMETER.finditer(route)}
        if parameters & {"object_id", "id"}:
            for kind, row, pk in _object_rows(model_admin.model, rows):
                found.append(
                    Target(
                        name, kind, prefix + _fill(route, {"object_id": pk, "id": pk}), row, model_admin.model
                    )
                )
        elif "job_id" in parameters:
            for kind, row, pk in _object_rows(ImportJob, jobs):
                found.append(Target(name, kind, prefix + _fill(route, {"job_id": pk}), row, ImportJob))
        elif "kind" in parameters:
            for kind in FILE_KINDS:
                found.append(Target(name, kind, prefix + _fill(route, {"kind": kind})))
        else:
            found.append(Target(name, "-", prefix + _fill(route, {})))
    return found


def _object_rows(model, rows: dict):
    for kind in KINDS:
        if rows.get(kind) is not None:
            yield kind, rows[kind], rows[kind].pk
    if rows.get("hidden") is not None or not any(rows.values()):
        yield "missing", None, missing_pk(model)


def site_targets(user) -> list[Target]:
    """The admin site's own pages: the dashboard, the app indexes, and an autocomplete for every
    relation of every registered model (declared autocomplete or not: a URL anyone can type)."""
    found = [Target("index", "-", "/admin/"), *(Target(f"app_index:{a}", "-", f"/admin/{a}/") for a in APPS)]
    for model_admin in registered_admins():
        opts = model_admin.opts
        for f in (*opts.fields, *opts.many_to_many):
            if not f.is_relation:
                continue
            query = f"app_label={opts.app_label}&model_name={opts.model_name}&field_name={f.name}&term="
            name = f"autocomplete:{opts.model_name}.{f.name}"
            found.append(Target(name, "-", f"/admin/autocomplete/?{query}"))
    return found


# --- POST bodies ------------------------------------------------------------------------------


def hostile_fields(model, row, user) -> dict:
    """Values for every editable field of `model`, from `row`, changed as an attacker would."""
    data: dict = {}
    own = user.organisation_id
    for f in model._meta.fields:
        if f.primary_key or not f.editable:
            continue
        value = getattr(row, f.attname, None) if row is not None else None
        if f.is_relation:
            if f.related_model is Organisation and own:
                value = own
            data[f.name] = "" if value is None else str(value)
        elif f.choices:
            others = [str(c) for c, _ in f.flatchoices if c not in (value, "", None)]
            data[f.name] = others[0] if others else str(value or "")
        elif isinstance(f, models.BooleanField):
            if not value:
                data[f.name] = "on"
        elif isinstance(f, (models.CharField, models.TextField)):
            data[f.name] = f"{value or ''} (crawler)"[: f.max_length or None]
        elif isinstance(f, (models.IntegerField, models.DecimalField)):
            data[f.name] = str((value or 0) + 1)
        elif isinstance(f, (models.DateField, models.DateTimeField)):
            data[f.name] = value.isoformat()[:10] if value else ""
    for f in model._meta.many_to_many:
        current = (
            list(getattr(row, f.name).values_list("pk", flat=True)) if row is not None and row.pk else []
        )
        if f.related_model is Organisation and own:
            current.append(own)
        data[f.name] = [str(pk) for pk in current]
    return data


def main_form(page: str) -> Form | None:
    for form in post_forms(page):
        if "logout" in form.action:
            continue
        return form
    return None


def import_file(rows: dict, user) -> SimpleUploadedFile:
    """A results file reporting for the rows the user may not touch, and for its own."""
    lines = ["action,organisation,result_type,year,half_year,value,comment"]
    for kind in KINDS:
        entry = rows.get(kind)
        if entry is not None:
            organisation = user.organisation.code if user.organisation_id else entry.organisation.code
            for code in {organisation, entry.organisation.code}:
                lines.append(f"{entry.action.code},{code},{entry.result_type.code},2025,,7,crawler import")
    return SimpleUploadedFile("crawler-upload.csv", ("\n".join(lines) + "\n").encode())


# --- the crawl --------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    location: str
    messages: tuple
    body: str


@dataclass
class Crawl:
    client: object
    user: object
    problems: list = field(default_factory=list)
    requests: int = 0
    covered: Counter = field(default_factory=Counter)
    writes: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.markers = hidden_markers(self.user)
        self.state = digest.snapshot()
        self.prints = digest.fingerprint()

    # one request, judged
    def call(self, method: str, target: Target, data=None) -> Answer | None:
        self.requests += 1
        where = f"{self.user.username} {method} {target.path} [{target.pattern}, {target.kind}]"
        sid = transaction.savepoint()
        late: list = []
        statements = _Statements()
        try:
            try:
                with connection.execute_wrapper(statements):
                    if method == "GET":
                        response = self.client.get(target.path)
                    else:
                        response = self.client.post(target.path, data or {})
                    body = _body(response)  # a streamed body is read here, inside the wrapper
            except Exception as error:
                self.problems.append(f"{where}: 500 {type(error).__name__}: {error}")
                return None
            # a POST may write in ways no statement shows (COPY): its digest is always compared; a
            # GET's when it ran anything but a read
            found = digest.changes(self.state, self.prints) if method != "GET" or statements.wrote else []
            for change in found:
                if oracle.decided_before_rollback(change):
                    if not oracle.allowed(self.user, change):
                        self.problems.append(f"{where}: wrote what the rule forbids: {change}")
                else:
                    late.append(change)
            if found:
                self.writes[target.pattern] += 1
            queued = getattr(get_messages(response.wsgi_request), "_queued_messages", [])
            messages = tuple((m.level, str(m.message)) for m in queued)
            self.client.cookies.pop("messages", None)  # not carried to the next request
        finally:
            transaction.savepoint_rollback(sid)
        for change in late:
            if not oracle.allowed(self.user, change):
                self.problems.append(f"{where}: wrote what the rule forbids: {change}")
        if response.status_code >= 500:
            self.problems.append(f"{where}: status {response.status_code}")
        text = html.unescape(body)
        for marker in self.markers:
            if marker.search(text):
                self.problems.append(f"{where}: shows hidden {marker.pattern!r}")
                break
        return Answer(response.status_code, response.get("Location", ""), messages, body)

    def post_data(self, target: Target, page: Answer | None, rows: dict, model_admin) -> list:
        """The bodies to POST to `target` (several for a changelist: one per list action)."""
        name = target.pattern
        if name.endswith("_changelist"):
            selected = [str(r.pk) for r in rows.values() if r is not None]
            actions = [a for a in model_admin.get_actions(_FakeRequest(self.user))] or ["delete_selected"]
            return [
                {
                    "action": a,
                    "_selected_action": selected,
                    "index": "0",
                    "select_across": "0",
                    "reason": "crawler",
                    "post": "yes",
                }
                for a in actions
            ]
        if name.endswith("_delete"):
            return [{"post": "yes"}]
        if name.endswith("_import"):
            return [{"file": import_file(pick_rows(self.user, ResultEntry), self.user)}]
        if name.endswith("_import_job"):
            return [{"confirm": "1"}]
        template = target.row
        if template is None:  # add pages and missing ids: another's row as the model
            template = rows.get("view-only") or rows.get("hidden") or rows.get("changeable")
        model = target.model or (model_admin.model if model_admin is not None else None)
        data = hostile_fields(model, template, self.user) if model is not None else {}
        form = main_form(page.body) if page is not None and page.status == 200 else None
        if form is not None:
            extra = {"co_drivers": [str(self.user.organisation_id)]} if self.user.organisation_id else {}
            data.update(form.altered(extra_choices=extra))
        data.setdefault("reason", "crawler")
        return [data]

    def visit(self, target: Target, rows: dict, model_admin) -> tuple[Answer | None, list]:
        page = self.call("GET", target)
        posted = [self.call("POST", target, data) for data in self.post_data(target, page, rows, model_admin)]
        self.covered[(target.pattern, target.kind)] += 1
        return page, posted


class _Statements:
    """Whether a request ran any SQL statement other than a read (for the digest's cost)."""

    READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "SHOW")

    def __init__(self):
        self.wrote = False

    def __call__(self, execute, sql, params, many, context):
        if not sql.lstrip().upper().startswith(self.READS):
            self.wrote = True
        return execute(sql, params, many, context)


class _FakeRequest:
    """Enough of a request for `ModelAdmin.get_actions` (it asks the permissions)."""

    def __init__(self, user):
        self.user = user
        self.GET = {}
        self.POST = {}
        self.method = "GET"


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        return ""  # binary; its rows are those of the CSV export, which is read
    return content.decode("utf-8", "replace")


def signature(answer: Answer | None, ids: list) -> tuple:
    """What a user can tell of an answer, with the row's ids replaced (to compare hidden and missing)."""
    if answer is None:
        return ("500",)

    def plain(text: str) -> str:
        for pk in ids:
            text = re.sub(rf"(?<!\d){re.escape(str(pk))}(?!\d)", "<id>", text)
        return text

    # an error page's text as a person reads it (not its per-request CSRF token)
    body = plain(" ".join(visible_text(answer.body).split())) if answer.status >= 400 else ""
    return (
        answer.status,
        plain(answer.location),
        tuple((level, plain(text)) for level, text in answer.messages),
        body,
    )
