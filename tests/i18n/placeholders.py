"""The placeholders of a message: `%(name)s`, positional `%s`/`%d`, and `{name}`; a translation must keep them."""

from __future__ import annotations

import re
from collections import Counter

PLACEHOLDER = re.compile(r"%%|%\((?P<named>\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[#0 +-]*\d*(?:\.\d+)?(?P<positional>[diouxXeEfFgGcrsa])|\{(?P<brace>\w*)\}")


def placeholders(text: str, *, percent: bool = True) -> Counter:
    """Each placeholder with how often it occurs (a doubled %% is a percent sign, not one); `percent=False` for a text
    that is never %-formatted ("97% of", marked `xgettext:no-python-format` where it is written)."""
    found = Counter()
    for match in PLACEHOLDER.finditer(text or ""):
        if match.group(0) == "%%" or (not percent and match.group(0).startswith("%")):
            continue
        if match.group("named") is not None:
            found[f"%({match.group('named')})"] += 1
        elif match.group("positional") is not None:
            found[f"%{match.group('positional')}"] += 1
        else:
            found[f"{{{match.group('brace')}}}"] += 1
    return found


def placeholder_mismatches(message) -> list[str]:
    """What is wrong with a Babel message's translation(s): each form whose placeholders are not the English ones.

    A plural form may use the singular's placeholders ("One order" for n = 1) or the plural's ("%(count)s orders").
    """
    percent = "no-python-format" not in message.flags
    if isinstance(message.id, tuple):
        allowed = [placeholders(text, percent=percent) for text in message.id]
        forms = list(message.string)
    else:
        allowed = [placeholders(message.id, percent=percent)]
        forms = [message.string]
    return [
        f"form {index}: {form!r} has {sorted(placeholders(form, percent=percent).elements())}, English has {sorted(allowed[-1].elements())}"
        for index, form in enumerate(forms)
        if form and placeholders(form, percent=percent) not in allowed
    ]
