"""Starts the whole system on one machine: infrastructure checks, databases, processes.

Used by the README's run command (``python -m stack run``) and by the system tests, which
start the same processes the same way.
"""
