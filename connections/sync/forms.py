"""Filter forms of the errors inbox and the activity list; choices are built per request, never at import."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connections.models import ProblemState
from connections.sync.problems import problem_kinds
from connections.sync.selectors import sync_connections_for
from connections.widgets import DataSelect


def _connection_choices(merchant) -> list[tuple[str, str]]:
    return [("", _("All connections"))] + [(str(c.pk), str(c)) for c in sync_connections_for(merchant)]


class ProblemFilterForm(forms.Form):
    state = forms.ChoiceField(required=False)
    kind = forms.ChoiceField(required=False)
    connection = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, widget=DataSelect)

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Any state")), *ProblemState.choices]
        self.fields["kind"].choices = [("", _("All kinds"))] + [(code, kind.label) for code, kind in sorted(problem_kinds().items())]
        self.fields["connection"].choices = _connection_choices(merchant)

    def filters(self) -> dict:
        """Selector keyword arguments; an invalid filter is dropped rather than failing the page."""
        if not self.is_valid():
            return {"state": ProblemState.OPEN}
        data = self.cleaned_data
        return {"state": data["state"], "kind": data["kind"], "connection_id": data["connection"]}


class ActivityFilterForm(forms.Form):
    connection = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, widget=DataSelect)
    subject_type = forms.CharField(required=False, max_length=40, label=gettext_lazy("Subject type"))
    subject_id = forms.CharField(required=False, max_length=64, label=gettext_lazy("Subject id"))
    run = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].choices = _connection_choices(merchant)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "connection_id": data["connection"],
            "subject_type": data["subject_type"],
            "subject_id": data["subject_id"],
            "run_id": data["run"],
        }
