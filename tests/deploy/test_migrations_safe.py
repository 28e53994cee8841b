"""Every migration of ours is safe to apply under traffic, as django-migration-linter judges it."""

import pytest
from django.core.management import call_command

OUR_APPS = ["accounts", "koongo", "connections", "catalog", "orders", "rma"]
# Migrations the linter flags, each with the reason it is safe. A new entry needs a reason as good as these.
REVIEWED = {
    "0002_feed_settings_product_map_and_stock_problems": (
        "catalog: shipped with the first wave, before any deployment held data, so its NOT NULL columns and "
        "indexes were added to empty tables"
    ),
    "0003_store_identity_and_archive": (
        "connections: the unique constraints and their indexes are on the two connection tables, one row per "
        "connection, built in well under a second"
    ),
    "0010_price_threshold_four_decimals": (
        "connections: widens the threshold's numeric precision on the order-configuration table, one row per "
        "connection; old code reads and writes the same values"
    ),
}


def lint(capsys, *extra: str) -> tuple[int, str]:
    """Run the linter on our apps; it prints its report to sys.stdout, so capsys reads it."""
    capsys.readouterr()
    try:
        call_command(
            "lintmigrations", "--no-cache", "--sql-analyser", "postgresql", "--warnings-as-errors",
            "--include-apps", *OUR_APPS, *extra,
        )
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().out


# transactional_db: sqlmigrate of a concurrent index refuses to run inside the test's transaction.
@pytest.mark.postgres
def test_every_migration_is_safe_under_traffic(transactional_db, capsys):
    code, report = lint(capsys, "--ignore-name", *REVIEWED)
    assert code == 0, report
    assert "Erroneous migrations: 0/" in report


@pytest.mark.postgres
def test_the_linter_flags_the_reviewed_migrations(transactional_db, capsys):
    """The reviewed list holds only migrations the linter really flags, so it cannot hide a new one."""
    code, report = lint(capsys, "--include-name", *REVIEWED)
    assert code == 1
    assert f"Erroneous migrations: {len(REVIEWED)}/" in report
