"""Test support shared by the sites."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.test.runner import DiscoverRunner

REPO_ROOT = Path(__file__).resolve().parent.parent


class SiteTestRunner(DiscoverRunner):
    """``manage.py test`` with no labels runs this site's tests only, not the whole repository."""

    def build_suite(self, test_labels=None, **kwargs):
        if not test_labels:
            test_labels = [str(REPO_ROOT / settings.SITE_PACKAGE)]
        if self.top_level is None:
            self.top_level = str(REPO_ROOT)
        return super().build_suite(test_labels, **kwargs)
