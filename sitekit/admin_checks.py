"""Test support: every admin list of a site stays usable with many rows.

A list filter that links every distinct value (``list_filter = ["building_id"]``) turns a
page into thousands of links, and a column that reads a related row per line turns it
into a query per line. Neither shows with the handful of rows a test usually stores.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

RowMaker = Callable[[int], None]


def many_users(count: int) -> None:
    User.objects.bulk_create(
        User(username=f"user-{index}", email=f"user-{index}@example.com") for index in range(count)
    )


def many_groups(count: int) -> None:
    Group.objects.bulk_create(Group(name=f"group-{index}") for index in range(count))


def many_tokens(count: int) -> None:
    many_users(count)
    Token.objects.bulk_create(
        Token(user=user, key=f"{user.pk:040d}") for user in User.objects.filter(username__startswith="user-")
    )


def many_sign_in_records(model: type) -> RowMaker:
    """Rows of one of django-axes' tables: attempts, failures or sign-ins, one address each."""

    def make(count: int) -> None:
        extra = {"get_data": "", "post_data": "", "failures_since_start": 1} if model is AccessAttempt else {}
        model.objects.bulk_create(
            model(
                username=f"user-{index}",
                ip_address=f"10.0.{index // 250}.{index % 250}",
                user_agent="test",
                http_accept="*/*",
                path_info="/accounts/login/",
                **extra,
            )
            for index in range(count)
        )

    return make


SHARED_ROWS: dict[str, RowMaker] = {
    "axes.AccessAttempt": many_sign_in_records(AccessAttempt),
    "axes.AccessFailureLog": many_sign_in_records(AccessFailureLog),
    "axes.AccessLog": many_sign_in_records(AccessLog),
    "auth.User": many_users,
    "auth.Group": many_groups,
    "authtoken.TokenProxy": many_tokens,
}

# Links within the page that only change its query string: filters, sorting, pages, dates.
QUERY_LINK = re.compile(r'href="\?')


class AdminListChecks:
    """For a site's ``TestCase``: each changelist renders with ``ROWS`` rows, in few queries and links.

    ``site_rows`` names a row maker for each model the site registers itself; a model in the
    admin without one fails the test, so a new admin list cannot skip the check.
    """

    ROWS = 1000
    MAX_QUERIES = 10  # session, user, counts, the page, filters, dates (7 at most today); not one per row
    MAX_QUERY_LINKS = 60  # sorting, pages, dates, choice filters; a link per distinct value is hundreds

    site_rows: dict[str, RowMaker] = {}

    def test_every_admin_list_renders_many_rows_in_a_bounded_number_of_queries_and_links(self):
        admin_user = User.objects.create_superuser("list-checker", "list-checker@example.com", "unused")
        self.client.force_login(admin_user)
        rows = {**SHARED_ROWS, **self.site_rows}
        for model in admin.site._registry:
            label = model._meta.label
            with self.subTest(label):
                self.assertIn(label, rows, f"no row maker for {label}: add it to site_rows")
                url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
                with transaction.atomic():  # each list alone with its rows, then rolled back
                    rows[label](self.ROWS)
                    with CaptureQueriesContext(connection) as queries:
                        response = self.client.get(url)
                    transaction.set_rollback(True)
                self.assertEqual(response.status_code, 200)
                self.assertLessEqual(len(queries), self.MAX_QUERIES, [query["sql"] for query in queries])
                links = len(QUERY_LINK.findall(response.content.decode()))
                self.assertLessEqual(links, self.MAX_QUERY_LINKS, "a list filter links every distinct value")
