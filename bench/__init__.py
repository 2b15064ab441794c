"""Benchmarks of the whole system: ``python -m bench`` (see bench/README.md).

Each figure lives in a module of its own and measures the system as the run command
starts it, on a private NATS server and private databases, so a developer's stack is
never touched. Tests stay free of timings; this package holds every number.
"""
