"""Every Problem links to what it is about: apps register, per subject type, how to turn subject ids into (label, URL)
for one merchant in one query; the problems page asks once per subject type on the page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.urls import reverse
from django.utils.translation import gettext as _

SubjectLinks = Callable[[object, list[str]], dict[str, tuple[str, str]]]
_resolvers: dict[str, SubjectLinks] = {}


class Link(NamedTuple):
    """A problem's (label, url), read by name in templates: `link.1` fails a dict and an attribute lookup, and a
    `dir()` of the tuple, before Django tries it as an index."""

    label: str
    url: str


def register_subject_links(subject_type: str, resolve: SubjectLinks) -> None:
    """`resolve(merchant, subject_ids)` returns {subject id: (label, url)} for the ids that still exist; the label is
    translated by the resolver ("order %(id)s"), the page shows it as "Open <label>"."""
    _resolvers[subject_type] = resolve


def attach_links(merchant, problems: Iterable) -> None:
    """Set `problem.link` to a Link (label, url), or None; falls back to the problem's connection page."""
    problems = list(problems)
    by_type: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        if problem.subject_type in _resolvers:
            by_type[problem.subject_type].append(problem.subject_id)
    found = {subject_type: _resolvers[subject_type](merchant, sorted(set(ids))) for subject_type, ids in by_type.items()}
    for problem in problems:
        link = found.get(problem.subject_type, {}).get(problem.subject_id)
        if link is None and problem.connection_id:
            link = (_("connection"), reverse("connections:detail", kwargs={"pk": problem.connection_id}))
        problem.link = Link(*link) if link else None


def _connections(merchant, ids: list[str]) -> dict[str, tuple[str, str]]:
    from connections.models import MiintoConnection

    found = MiintoConnection.objects.filter(merchant=merchant, pk__in=[i for i in ids if i.isdigit()])
    return {str(c.pk): (_("connection %(name)s") % {"name": c}, reverse("connections:detail", kwargs={"pk": c.pk})) for c in found}


register_subject_links("connection", _connections)
