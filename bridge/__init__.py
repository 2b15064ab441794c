"""The one place that knows about NATS, event loops, envelopes, retries and shutdown.

Sites declare which subjects map onto which plain Django handler functions (``routes.py``),
and ``manage.py runbridge`` serves them. Sync Django code talks to NATS through
``bridge.client``.
"""
