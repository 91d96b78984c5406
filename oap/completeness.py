"""What a completeness matrix is: cells (an organisation in an action, for a period), their states
and totals, and the query that asks for one. The queries themselves are in `oap.selectors`.

A cell's state says only what its viewer may know (`oap.access.unvalidated_visible_q`): where the
viewer reports or reviews — and for the hub — every figure counts; elsewhere only validated ones,
so the cell says "validated" or "not validated yet", never whether another organisation entered,
submitted or had figures returned.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django import forms

from .choices import HalfYear, OrganisationKind
from .forms import ManyField
from .models import (
    MAX_YEAR,
    MIN_YEAR,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    ReportingPeriod,
    period_name,
)


class CellState(NamedTuple):
    code: str
    label: str
    mark: str  # shown in the cell beside its colour, so the state never rests on colour alone
    help: str


CELL_STATES = {
    state.code: state
    for state in (
        CellState("validated", "Validated", "V", "every figure validated"),
        CellState("submitted", "Submitted", "S", "submitted, waiting for validation"),
        CellState(
            "reported", "Reported, not submitted", "R", "figures entered or returned, not all submitted"
        ),
        CellState("none", "Nothing reported", "–", "no figure for the period"),
        CellState(
            "undisclosed",
            "Not validated yet",
            "?",
            "no validated figure; whether anything else is entered is for the organisation and "
            "its reviewers to see",
        ),
    )
}
#: for an organisation whose figures not yet validated you may not see, "validated" means it has
#: validated figures (its others, if any, are not yours to see)
DELIVERED = ("submitted", "validated")


@dataclass(frozen=True)
class Cell:
    """One organisation's figures in one action for the period, as the viewer may know them."""

    action_id: int
    organisation_id: int
    role: str
    disclosed: bool  # the viewer may see this organisation's figures not yet validated here
    validated: int
    submitted: int
    open: int  # drafts and returned figures

    @property
    def state(self) -> str:
        if not self.disclosed:
            return "validated" if self.validated else "undisclosed"
        if self.open:
            return "reported"
        if self.submitted:
            return "submitted"
        return "validated" if self.validated else "none"

    @property
    def figures(self) -> int:
        return self.validated + self.submitted + self.open


@dataclass
class Tally:
    """Cells of a row, a column, a plan or the whole matrix by state; `rate`: the share delivered."""

    expected: int = 0
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CELL_STATES, 0))

    def add(self, cell: Cell) -> None:
        self.expected += 1
        self.states[cell.state] += 1

    @property
    def delivered(self) -> int:
        return sum(self.states[state] for state in DELIVERED)

    @property
    def rate(self) -> float | None:
        return self.delivered / self.expected if self.expected else None


@dataclass
class Completeness:
    """Who reported what for one period: the expected cells (participants × active actions) and totals."""

    year: int
    half_year: int | None
    period: ReportingPeriod | None
    actions: list[OperationalAction]
    organisations: list[Organisation]
    cells: dict[tuple[int, int], Cell]

    @property
    def name(self) -> str:
        return period_name(self.year, self.half_year)

    def _tally(self, key) -> dict:
        tallies: dict = defaultdict(Tally)
        for cell in self.cells.values():
            tallies[key(cell)].add(cell)
        return tallies

    def by_action(self) -> dict[int, Tally]:
        return self._tally(lambda cell: cell.action_id)

    def by_organisation(self) -> dict[int, Tally]:
        return self._tally(lambda cell: cell.organisation_id)

    def by_plan(self) -> dict[int, Tally]:
        plan_of = {action.pk: action.plan_id for action in self.actions}
        return self._tally(lambda cell: plan_of[cell.action_id])

    def total(self) -> Tally:
        return self._tally(lambda cell: None)[None]

    def plans(self) -> list[OperationalActionPlan]:
        return list({action.plan_id: action.plan for action in self.actions}.values())


class CompletenessQuery(forms.Form):
    """The period and filters of a completeness request (page, downloads, API): each bad value is
    refused naming the field and the rule."""

    year = forms.IntegerField(
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        required=False,
        error_messages={"invalid": "Give the year as a number, such as 2026."},
    )
    half_year = forms.TypedChoiceField(
        choices=[("", "Whole year"), *[(str(v), label) for v, label in HalfYear.choices]],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Give 1 or 2 for a half-year, or nothing for the whole year."},
    )
    period = forms.RegexField(
        r"^\d{4}-[012]$",
        required=False,
        error_messages={"invalid": "Give the period as YEAR-HALF, such as 2026-2 (2026-0: the whole year)."},
    )
    # several values each, the API's way (oap.api.filters): the key repeated, or comma-separated
    plan = ManyField(required=False)
    priority = ManyField(required=False)
    kind = ManyField(
        choices=OrganisationKind.choices,
        required=False,
        error_messages={
            "invalid_choice": f"%(value)s is not a kind: give one of {', '.join(OrganisationKind.values)}."
        },
    )
    organisation = ManyField(required=False)

    def __init__(self, data=None, *, plans=None, **kwargs):
        super().__init__(data, **kwargs)
        self.plans = plans  # the plans the user may see (codes checked against them)

    def clean_plan(self):
        codes = self.cleaned_data["plan"]
        if codes and self.plans is not None:
            known = set(self.plans.filter(code__in=codes).values_list("code", flat=True))
            unknown = [code for code in codes if code not in known]
            if unknown:
                raise forms.ValidationError(
                    f"No plan {', '.join(map(repr, unknown))} among those you may see."
                )
        return codes

    def clean_organisation(self):
        codes = [code.upper() for code in self.cleaned_data["organisation"]]
        known = set(Organisation.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise forms.ValidationError(f"No organisation with the code {', '.join(map(repr, unknown))}.")
        return codes

    def clean(self):
        """`period` (the page's chooser), when given, stands for `year` and `half_year`."""
        data = super().clean()
        period = data.pop("period", "")
        if period:
            year, half = (int(part) for part in period.split("-"))
            if not MIN_YEAR <= year <= MAX_YEAR:
                self.add_error("period", f"Give a year from {MIN_YEAR} to {MAX_YEAR}.")
            data["year"], data["half_year"] = year, half or None
        return data


def read_query(user, params) -> tuple[dict, dict[str, list[str]]]:
    """The validated period and filters of a request (`params`: its GET parameters), the period
    due soonest when none is asked for; or the errors by field."""
    from django.utils import timezone

    from . import access
    from .selectors import default_period

    form = CompletenessQuery(params, plans=access.restrict(OperationalActionPlan.objects.all(), user))
    if not form.is_valid():
        return {}, {name: list(errors) for name, errors in form.errors.items()}
    query = dict(form.cleaned_data)
    if query["year"] is None:
        query["year"], query["half_year"] = default_period(timezone.localdate())
    return query, {}
