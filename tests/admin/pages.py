"""Reading admin pages as a browser would: the forms they show, and the text a person reads.

`forms(html)` parses every <form> with its inputs, selects and textareas (the values the page
holds, the options it offers); `Form.data()` is what a browser would post, `Form.altered()` the
same with values changed the way a hostile user would (other options picked, text rewritten,
unticked boxes ticked).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

TEXT_TYPES = {"text", "hidden", "number", "date", "datetime-local", "time", "email", "url", "search", "tel"}


@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "select-multiple" or "textarea"
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    id: str
    fields: list[Field] = field(default_factory=list)

    def names(self) -> set[str]:
        return {f.name for f in self.fields}

    def data(self) -> dict[str, list[str]]:
        """What submitting the form unchanged sends."""
        data: dict[str, list[str]] = {}
        for f in self.fields:
            if f.kind in ("submit", "button", "reset", "image", "file"):
                continue
            if f.kind in ("checkbox", "radio"):
                if f.checked:
                    data.setdefault(f.name, []).append(f.value or "on")
            elif f.kind == "select":
                chosen = f.selected[-1:] or f.options[:1]
                data.setdefault(f.name, []).extend(chosen)
            elif f.kind == "select-multiple":
                data.setdefault(f.name, []).extend(f.selected)
            else:
                data.setdefault(f.name, []).append(f.value)
        return data

    def altered(self, extra_choices: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
        """The form's data with every value a user could change changed.

        Selects take another option (multiple selects: every option, plus `extra_choices`, e.g. the
        attacker's own organisation), text gets a marker, boxes are ticked. Hidden inputs that
        carry the form's machinery (csrf, management forms, ids) are kept.
        """
        data = self.data()
        extra_choices = extra_choices or {}
        for f in self.fields:
            if f.kind == "select" and len(f.options) > 1:
                current = (f.selected[-1:] or f.options[:1])[0]
                others = [o for o in f.options if o != current and o != ""]
                if others:
                    data[f.name] = [others[-1]]
            elif f.kind == "select-multiple":
                data[f.name] = sorted(set(f.options) | set(extra_choices.get(f.name, [])))
            elif f.kind == "checkbox" and not f.checked and not f.name.endswith("DELETE"):
                data.setdefault(f.name, []).append(f.value or "on")
            elif f.kind in ("text", "textarea", "search", "url") and not _machinery(f.name):
                data[f.name] = [(f.value or "") + " (crawler)"]
            elif f.kind == "number" and not _machinery(f.name):
                data[f.name] = [str(_number(f.value) + 1)]
        return data


def _machinery(name: str) -> bool:
    return name.startswith("csrf") or name.endswith(
        ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
    )


def _number(text: str) -> int:
    try:
        return int(float(text or 0))
    except ValueError:
        return 0


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: str | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(
                action=a.get("action", ""), method=a.get("method", "get").lower(), id=a.get("id", "")
            )
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            self._form.fields.append(
                Field(name=a["name"], kind=kind, value=a.get("value", ""), checked="checked" in a)
            )
        elif tag == "select" and a.get("name"):
            kind = "select-multiple" if "multiple" in a else "select"
            self._select = Field(name=a["name"], kind=kind)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value")
            self._option = value
            if value is not None:
                self._select.options.append(value)
                if "selected" in a:
                    self._select.selected.append(value)
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field(name=a["name"], kind="textarea")
            self._form.fields.append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:
                self._textarea.value = self._textarea.value.strip("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data


def forms(page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def post_forms(page: str) -> list[Form]:
    """The forms of a page that POST (the ones that could write)."""
    return [form for form in forms(page) if form.method == "post"]


_TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.S | re.I)


def visible_text(page: str) -> str:
    """The page's text as a person reads it (tags, scripts and styles removed), with attributes' text.

    Attribute values (titles, option values) are kept too: a hidden row's title in a tooltip
    leaks as much as in a cell.
    """
    attributes = " ".join(html.unescape(v) for v in re.findall(r'(?:title|alt|placeholder)="([^"]*)"', page))
    return html.unescape(_TAGS.sub(" ", page)) + " " + attributes
