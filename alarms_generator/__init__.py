"""Publishes realistic ``alarm.created`` events, as the seed's NestJS alarms-generator does.

Unlike the seed, each event goes through JetStream (so it is stored even when no alarms
service is up) with its id as ``Nats-Msg-Id`` (so a retried publish is stored once) and a
``Trace-Id`` header. Not a Django project: it needs no settings, only a NATS URL.
"""
