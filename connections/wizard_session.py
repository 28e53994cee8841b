"""The add-connection wizard keeps the Miinto password server-side between its steps: encrypted in the session, never
written back into the page; the save step uses it when the page posts no password."""

from __future__ import annotations

from koongo.crypto import DecryptionError, decrypt, encrypt

SESSION_KEY = "wizard_miinto_login"


def login_remember(session, *, environment: str, username: str, password: str) -> None:
    session[SESSION_KEY] = {"environment": environment, "username": username, "password": encrypt(password)}


def password_recall(session, *, environment: str, username: str) -> str:
    """The password given in step 1 for this environment and username, or "" (another account needs its own)."""
    saved = session.get(SESSION_KEY) or {}
    if saved.get("environment") != environment or saved.get("username") != username:
        return ""
    try:
        return decrypt(saved["password"])
    except (DecryptionError, KeyError):
        return ""


def login_forget(session) -> None:
    session.pop(SESSION_KEY, None)
