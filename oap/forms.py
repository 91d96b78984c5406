"""Form fields shared by the API's filters (`oap.api.filters`) and the pages' queries
(`oap.completeness.CompletenessQuery`): several values under one key, the same way everywhere."""

from __future__ import annotations

from django import forms


class ManyWidget(forms.SelectMultiple):
    """Every value of a repeated key, each split at its commas: `a&a=b,c` → [a, b, c]."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        parts = [part.strip() for value in values if value for part in str(value).split(",")]
        return [part for part in parts if part] or None


class ManyField(forms.MultipleChoiceField):
    """A list of values; checked against `choices` when there are any (codes are looked up, not listed)."""

    widget = ManyWidget
    max_length = 100

    def validate(self, value):
        if self.choices:
            return super().validate(value)
        for item in value:
            if len(item) > self.max_length or "\x00" in item:
                raise forms.ValidationError(
                    f"Give codes of at most {self.max_length} characters.", code="invalid_choice"
                )
        return None
