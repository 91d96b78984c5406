"""The words of the schema: default operation descriptions, field descriptions with demo examples,
and the links between operations. Kept apart from the machinery in `schema.py`."""

from __future__ import annotations

DEFAULT_DESCRIPTIONS = {
    "list": "Pages of the rows you may see, in a stable order: follow `next` until it is null. Filters "
    "that take several values take them as the key repeated (`status=draft&status=returned`) or "
    "comma-separated (`status=draft,returned`). `count=true` adds the exact total.",
    "retrieve": "One row, when it exists and you may see it (404 otherwise). The `ETag` header identifies "
    "this version; `If-None-Match` with it answers 304 while nothing changed.",
    "export": "Every row of the filtered list you may see, as one CSV (default) or XLSX file: the list's "
    "filters and `ordering` apply, without pages. Numbers are written plainly; cells that a spreadsheet "
    "would run as formulas are neutralised.",
    "get": "Read only.",
}

#: field name → (description, example with the demo data's codes)
FIELD_DOCS: dict[str, tuple[str, object]] = {
    "id": ("The row's numeric id (stable).", None),
    "code": ("The row's code, unique and stable; other rows refer to it by this code.", None),
    "name": ("The name, for people.", None),
    "title": ("The action's title.", "Joint action days against heroin trafficking"),
    "description": ("The free-text description.", None),
    "kind": ("The kind of organisation.", "third_country"),
    "is_hub": ("True for EMPACT support at Europol (the hub): it sees and reviews everything.", None),
    "cycle": ("The EMPACT cycle's code.", "2022-2025"),
    "start_year": ("The first year.", 2024),
    "end_year": ("The last year.", 2025),
    "number": ("The priority's number in its cycle.", 3),
    "aim": ("What the priority aims at.", None),
    "unit": ("The counter's unit: `count` (whole numbers), `eur`, `kg`, `l`, `units`, …", "count"),
    "category": ("The counter's category.", "arrests"),
    "parent": ("For an 'of which' counter: the code of the counter it is part of.", None),
    "priority": ("The priority crime area's code.", "THB"),
    "plan": ("The operational action plan's code.", "THB-24"),
    "driver": ("The code of the organisation driving the plan.", "NL"),
    "co_drivers": ("The codes of the plan's co-drivers.", ["AT", "EUROPOL"]),
    "status": ("The state: see the enum.", None),
    "handling": (
        "Who may see the action: `participants` (and the plan's drivers), `eu` (also every EU member "
        "state and body), `partners` (also third countries and international organisations).",
        "partners",
    ),
    "start": ("The day the action starts (ISO 8601 date).", "2025-01-01"),
    "end": ("The day the action ends (ISO 8601 date).", "2025-12-31"),
    "leader": ("The code of the organisation leading the action.", "NL"),
    "participants": ("The organisations taking part, with their role.", None),
    "role": ("The role: see the enum.", None),
    "chsgs": ("The codes of the Common Horizontal Strategic Goals the action serves.", ["CHSG-1"]),
    "totals": ("Validated results you may see, per year and counter code: JSON numbers.", None),
    "created_at": ("When the row was created (UTC, ISO 8601, ending in Z).", "2025-03-01T09:30:00Z"),
    "updated_at": ("When the row last changed (UTC, ISO 8601, ending in Z).", "2025-03-04T16:05:12Z"),
    "action": ("The operational action's code.", "THB 1.1"),
    "organisation": ("The reporting organisation's code.", "CO"),
    "result_type": ("The counter's code (see /result-types/).", "arrests"),
    "year": ("The reporting year.", 2025),
    "half_year": (
        "1 or 2 for a half-year, null for the whole year (a figure is given for a whole year or for "
        "half-years, never both).",
        None,
    ),
    "value": (
        "The figure, a JSON number (whole for counts; up to 3 decimals for amounts). Never negative.",
        12,
    ),
    "comment": ("A comment for the reviewers.", "Joint action day, 14 arrests, 2 released."),
    "return_reason": ("Why a reviewer returned the entry (empty otherwise).", None),
    "entered_at": ("When the figure was first recorded (UTC).", None),
    "submitted_at": ("When it was last submitted for validation (UTC), or null.", None),
    "validated_at": ("When it was validated (UTC), or null.", None),
    "reason": ("Why the entry goes back to its organisation.", "Please split the figure by half-year."),
    "results": ("The results.", None),
    "created": ("How many results were recorded.", 2),
    "username": ("Your user name.", "co.partner"),
    "email": ("Your e-mail address.", None),
    "is_superuser": ("True for the site's administrators.", None),
    "sees_everything": ("True when the access rule shows you every row (the hub, administrators).", None),
    "permissions": ("Your role's permissions, as `app.action_model`.", None),
    "may": ("What your role allows, in a word each.", None),
    "version": ("The factsheet's version of its year and scope (1, 2, …).", 1),
    "progress": ("How far the compile is, 0–100.", 100),
    "task_id": ("The compile task's id.", None),
    "checksum": ("SHA-256 of the figures and the entries they were read from.", None),
    "error": ("Why the last compile failed (empty otherwise).", None),
    "requested_at": ("When the compile was requested (UTC).", None),
    "compiled_at": ("When the figures were compiled (UTC), or null.", None),
    "published_at": ("When the version was published (UTC), or null.", None),
    "figures": ("The factsheet's figures (numbers are JSON numbers).", None),
    "files": ("Download links of the factsheet's files (send your token with them).", None),
    "entries": ("How many entries (or download links of the year's entries, on a factsheet).", None),
    "url": ("This row in the API.", None),
    "results_due": ("The day results are due (ISO 8601 date).", None),
    "validation_closes": ("The day validation closes (ISO 8601 date).", None),
    "note": ("A note from the hub.", None),
    "next": ("The next page, or null on the last one.", None),
    "previous": ("The previous page, or null on the first one.", None),
    "count": ("The exact total, when asked with `count=true`.", None),
}

#: (operationId, status) → {link name: (target operationId, parameters, description)}
_BY_ID = {"id": "$response.body#/id"}
LINKS = {
    ("results_create", "201"): {
        "submit": ("results_submit_create", _BY_ID, "Submit the recorded entry for validation."),
        "read": ("results_retrieve", _BY_ID, "Read the entry (and its ETag)."),
        "change": ("results_partial_update", _BY_ID, "Change its value or comment while it is open."),
        "delete": ("results_destroy", _BY_ID, "Delete it while it is open."),
    },
    ("results_submit_create", "200"): {
        "validate": ("results_validate_create", _BY_ID, "A reviewer validates the submitted entry."),
        "return": ("results_return_create", _BY_ID, "A reviewer returns it, with the reason."),
    },
    ("results_validate_create", "200"): {
        "return": ("results_return_create", _BY_ID, "A reviewer may still return a validated entry."),
    },
    ("results_return_create", "200"): {
        "submit": ("results_submit_create", _BY_ID, "Submit the corrected entry again."),
    },
}
