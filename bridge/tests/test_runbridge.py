"""runbridge keeps each worker thread's PostgreSQL connection, whatever the site's web process keeps."""

from __future__ import annotations

import copy
from unittest import mock

from django.conf import settings

from bridge.management.commands.runbridge import keep_connections


def test_it_sets_every_postgresql_database_and_leaves_sqlite_files_alone():
    databases = {
        "default": {**copy.deepcopy(settings.DATABASES["default"]), "CONN_MAX_AGE": 0},
        "file": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3", "CONN_MAX_AGE": 0},
    }
    with mock.patch.object(settings, "DATABASES", databases):
        keep_connections(45)

    assert databases["default"]["ENGINE"].endswith("postgresql")
    assert [databases["default"]["CONN_MAX_AGE"], databases["file"]["CONN_MAX_AGE"]] == [45, 0]
