"""THE state machine of a result entry: one table of steps, read by the access rule, the services,
the admin's buttons and the API alike.

    draft ──submit──▶ submitted ──validate──▶ validated
      ▲                  │  ▲                    │
      └──── returned ◀───┘  └─────── return ─────┘   (return: submitted or validated → returned)

A draft or returned entry may still be changed or deleted by its organisation; a submitted one
waits; a validated one counts in the factsheets and is frozen until a reviewer returns it.
Whether a user may take a step at all (who) is `oap.access`'s answer for the step's
`permission`; whether the entry's state allows it now is this table's.
"""

from __future__ import annotations

from typing import NamedTuple

from .choices import EntryStatus


class Step(NamedTuple):
    name: str
    #: the access rule's action deciding who may take it (oap.access)
    permission: str
    #: the statuses it may start from
    sources: frozenset[str]
    #: the status it leads to; None when the status stays (change, delete)
    target: str | None
    #: past participle, for messages
    done: str
    needs_reason: bool = False


OPEN = frozenset({EntryStatus.DRAFT, EntryStatus.RETURNED})

STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("change", "change", OPEN, None, "changed"),
        Step("delete", "delete", OPEN, None, "deleted"),
        Step("submit", "submit", OPEN, EntryStatus.SUBMITTED, "submitted for validation"),
        Step("validate", "validate", frozenset({EntryStatus.SUBMITTED}), EntryStatus.VALIDATED, "validated"),
        Step(
            "return",
            "validate",
            frozenset({EntryStatus.SUBMITTED, EntryStatus.VALIDATED}),
            EntryStatus.RETURNED,
            "returned",
            needs_reason=True,
        ),
    )
}


def sources_of(permission: str) -> frozenset[str]:
    """The statuses from which some step needing `permission` may start (for the access querysets)."""
    return frozenset().union(*(s.sources for s in STEPS.values() if s.permission == permission))


def _label(status: str) -> str:
    return str(EntryStatus(status).label).lower()


def state_refusal(status: str, step: Step) -> str | None:
    """Why an entry in `status` cannot take `step` now, in words for people; None when it can."""
    if status in step.sources:
        return None
    if status == EntryStatus.VALIDATED and step.name in ("change", "delete", "submit"):
        return (
            "This entry is validated and can no longer change. Ask the action leader, a plan driver "
            "or the hub to return it if it needs a correction."
        )
    if status == EntryStatus.SUBMITTED and step.name in ("change", "delete", "submit"):
        return "This entry is submitted and waits for validation; it can change once it is returned."
    allowed = " or ".join(sorted(_label(s) for s in step.sources))
    return f"Only {allowed} entries can be {step.done}; this one is {_label(status)}."
