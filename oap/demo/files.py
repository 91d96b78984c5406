"""The demo's data files: `fixtures/demo_actions.yaml` (2022–2023) and `fixtures/demo_present.yaml`
(2024–2025, 2026–2027, and where their figures stand), read and checked before anything is written.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..choices import ActionStatus, EntryStatus, HandlingLevel, ParticipationRole
from .base import DEMO_ACTIONS_FILE, NO_RESULT_STATUSES, PRESENT_FILE, PRESENT_SPAN, PUBLISHED_YEARS
from .published import PLAN_WEIGHTS


@dataclass(frozen=True)
class DemoAction:
    plan: str
    code: str
    title: str
    description: str
    status: str
    start: datetime.date
    end: datetime.date
    handling: str
    chsgs: tuple[int, ...]
    leader: str
    co_leaders: tuple[str, ...]
    participants: tuple[str, ...]
    #: published years: counters this action is strongest on (they get a larger share)
    focus: frozenset[str] = frozenset()
    #: present years: the counters its organisations report
    counters: tuple[str, ...] = ()

    @property
    def roles(self) -> list[tuple[str, str]]:
        """(organisation code, role), the leader first."""
        return (
            [(self.leader, ParticipationRole.LEADER)]
            + [(code, ParticipationRole.CO_LEADER) for code in self.co_leaders]
            + [(code, ParticipationRole.PARTICIPANT) for code in self.participants]
        )

    def reports_in(self, year: int) -> bool:
        """Whether the action has results for `year` (it runs then, and is not planned or cancelled)."""
        return self.status not in NO_RESULT_STATUSES and self.start.year <= year <= self.end.year


@dataclass(frozen=True)
class StatusOverride:
    """The figures of one cell (action, organisation, period) standing elsewhere than their period's course."""

    action: str
    organisation: str
    year: int
    half_year: int | None
    status: str
    reason: str = ""


_ACTION_KEYS = {
    "code",
    "title",
    "description",
    "status",
    "start",
    "end",
    "handling",
    "chsgs",
    "leader",
    "co_leaders",
    "participants",
    "focus",
    "counters",
}

_OVERRIDE_KEYS = {"action", "organisation", "year", "half_year", "status", "reason"}


def _load(path: Path):
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _parse_actions(data: dict, years: tuple[int, int], problems: list[str]) -> list[DemoAction]:
    actions, seen = [], set()
    for plan, items in data.items():
        for item in items:
            code = item.get("code", "?")
            unknown = set(item) - _ACTION_KEYS
            if unknown:
                problems.append(f"{code}: unknown keys {sorted(unknown)}")
            action = DemoAction(
                plan=plan,
                code=code,
                title=item["title"],
                description=item.get("description", ""),
                status=item["status"],
                start=item["start"],
                end=item["end"],
                handling=item.get("handling", HandlingLevel.EU),
                chsgs=tuple(item.get("chsgs", ())),
                leader=item["leader"],
                co_leaders=tuple(item.get("co_leaders", ())),
                participants=tuple(item.get("participants", ())),
                focus=frozenset(item.get("focus", ())),
                counters=tuple(item.get("counters", ())),
            )
            orgs = [org for org, _ in action.roles]
            if code in seen:
                problems.append(f"{code}: duplicate code")
            seen.add(code)
            if len(set(orgs)) != len(orgs):
                problems.append(f"{code}: an organisation is listed twice")
            if not 2 <= len(orgs) <= 15:
                problems.append(f"{code}: {len(orgs)} organisations (2 to 15 expected)")
            if action.status not in ActionStatus.values:
                problems.append(f"{code}: unknown status {action.status!r}")
            if action.handling not in HandlingLevel.values:
                problems.append(f"{code}: unknown handling level {action.handling!r}")
            if action.end < action.start or action.start.year < years[0] or action.end.year > years[-1]:
                problems.append(f"{code}: dates must lie within {years[0]}–{years[-1]}, start before end")
            actions.append(action)
    return actions


def read_demo_actions(path: Path = DEMO_ACTIONS_FILE) -> list[DemoAction]:
    """Parse and check `fixtures/demo_actions.yaml`; raise ValueError naming every problem."""
    problems: list[str] = []
    actions = _parse_actions(_load(path), PUBLISHED_YEARS, problems)
    for action in actions:
        unknown = action.focus - set(PLAN_WEIGHTS) - {"minor_victims_identified"}
        if unknown:
            problems.append(f"{action.code}: unknown focus counters {sorted(unknown)}")
        if action.counters:
            problems.append(f"{action.code}: counters are for the present actions (demo_present.yaml)")
    if problems:
        raise ValueError(f"{path.name}: " + "; ".join(problems))
    return actions


def read_present(path: Path = PRESENT_FILE) -> tuple[list[DemoAction], list[StatusOverride]]:
    """Parse and check `fixtures/demo_present.yaml`: its actions and the cells off their course.

    Raises ValueError naming every problem; what needs the database (counters, organisations'
    kinds) is checked when the entries are made (`present.present_entries`).
    """
    data = _load(path)
    problems: list[str] = []
    unknown = set(data) - {"actions", "statuses"}
    if unknown:
        problems.append(f"unknown sections {sorted(unknown)}")
    actions = _parse_actions(data.get("actions") or {}, PRESENT_SPAN, problems)
    for action in actions:
        if not action.counters:
            problems.append(f"{action.code}: no counters")
        if action.focus:
            problems.append(f"{action.code}: focus is for the published years (demo_actions.yaml)")
    overrides = []
    for item in data.get("statuses") or []:
        override = StatusOverride(
            action=item.get("action", "?"),
            organisation=item.get("organisation", "?"),
            year=item.get("year", 0),
            half_year=item.get("half_year"),
            status=item.get("status", "?"),
            reason=item.get("reason", ""),
        )
        where = f"statuses: {override.action} · {override.organisation} · {override.year}"
        extra = set(item) - _OVERRIDE_KEYS
        if extra:
            problems.append(f"{where}: unknown keys {sorted(extra)}")
        if override.status not in EntryStatus.values:
            problems.append(f"{where}: unknown status {override.status!r}")
        if (override.status == EntryStatus.RETURNED) != bool(override.reason):
            problems.append(f"{where}: a reason is given exactly for returned figures")
        overrides.append(override)
    if problems:
        raise ValueError(f"{path.name}: " + "; ".join(problems))
    return actions, overrides
