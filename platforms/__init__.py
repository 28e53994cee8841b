"""Store adapters: one protocol (`platforms.base`), one package per platform, and a registry by platform code.

A library: it imports `koongo.http`, httpx and pydantic, never Django models.
"""
