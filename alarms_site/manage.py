#!/usr/bin/env python
"""Django's command-line utility for alarms_site."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # Import every site and ``bridge`` by package name from the repository root.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alarms_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
