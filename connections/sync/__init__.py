"""The sync engine: runs and dispatch, the outbox, activity, problems, and their pages, API and admin.

A subpackage of the connections app, so its models keep the `connections` label and tables.
"""
