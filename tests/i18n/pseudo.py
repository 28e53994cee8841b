"""A test-only pseudo-locale: every message that goes through gettext comes back wrapped in ⟦…⟧, so text that reaches a
page without the markers never passed through the translation machinery."""

from __future__ import annotations

import re
from contextlib import contextmanager
from html.parser import HTMLParser

from django.utils.translation import trans_real

PSEUDO = "en-xa"  # the pseudo-locale code Android and Chromium use; gettext falls back to "en" for its plural rules
OPEN, CLOSE = "⟦", "⟧"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
HIDDEN = {"script", "style", "template", "noscript", "svg"}  # not text a merchant reads (JS strings have their own catalog)
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
LETTER = re.compile(r"[^\W\d_]")
MARKED = re.compile(f"{OPEN}.*?{CLOSE}", re.S)
PIECES = re.compile(f"[{OPEN}{CLOSE}]|[^{OPEN}{CLOSE}]+")


class PseudoTranslation:
    """Stands in for a compiled catalogue whose every msgstr is its msgid in markers."""

    def gettext(self, message: str) -> str:
        # pgettext hands over "context\x04message" and drops the result if the separator survives.
        message = message.split(trans_real.CONTEXT_SEPARATOR, 1)[-1]
        return f"{OPEN}{message}{CLOSE}"

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return self.gettext(singular if number == 1 else plural)

    def to_language(self) -> str:
        return PSEUDO

    def language(self) -> str:
        return PSEUDO


@contextmanager
def pseudo_locale(settings):
    """Offer the pseudo-locale for the duration; the headers ask for it as a browser would (Accept-Language)."""
    # Changing LANGUAGES empties Django's catalogue cache and its language caches (django.test.signals), so the
    # pseudo catalogue goes in after, and the settings fixture's restore takes it out again.
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, "Pseudo")]
    trans_real._translations[PSEUDO] = PseudoTranslation()
    try:
        yield {"HTTP_ACCEPT_LANGUAGE": PSEUDO}
    finally:
        trans_real._translations.pop(PSEUDO, None)


def unmarked_letters(text: str) -> str:
    """What of `text` lies outside ⟦…⟧ and carries a letter ("" when everything shown was translated or is no word)."""
    rest = MARKED.sub(" ", text)
    return " ".join(rest.split()) if LETTER.search(rest) else ""


class UnmarkedText(HTMLParser):
    """Collects visible text nodes and shown attributes outside any translate="no" element that lack the markers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, whether text under it is exempt)
        self.found: list[str] = []
        self.in_head = False
        self.depth = 0  # open markers so far: a translated sentence may hold markup (<a>, a translate="no" name)

    @property
    def exempt(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        exempt = self.exempt or tag in HIDDEN or attributes.get("translate") == "no"
        if tag == "head":
            self.in_head = True
        if not exempt:
            for name in SHOWN_ATTRIBUTES:
                self._check(attributes.get(name) or "", f"@{name}")
            if tag == "input" and attributes.get("type") in {"submit", "button", "reset"}:
                self._check(attributes.get("value") or "", "@value")
        if tag not in VOID:
            self.stack.append((tag, exempt or (self.in_head and tag != "title")))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False
        for depth in range(len(self.stack) - 1, -1, -1):  # forgive a missing end tag of an inner element
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                break

    def handle_data(self, data):
        shown = not self.exempt and not (self.in_head and not self.stack)
        unmarked = []
        for piece in PIECES.findall(data):
            if piece == OPEN:
                self.depth += 1
            elif piece == CLOSE:
                self.depth = max(0, self.depth - 1)
            elif shown and not self.depth and LETTER.search(piece):
                unmarked.append(piece)
        if unmarked:
            self.found.append(repr(" ".join(" ".join(unmarked).split())))

    def _check(self, text: str, where: str) -> None:
        if unmarked := unmarked_letters(text):
            self.found.append(f"{where} {unmarked!r}" if where else repr(unmarked))


def unmarked_texts(html: str) -> list[str]:
    """Every piece of visible text in `html` that did not pass through gettext and is not marked as data."""
    parser = UnmarkedText()
    parser.feed(html)
    parser.close()
    return parser.found
