"""The stack's ceiling: the thinnest Django read, served the way the buildings web is served.

One table, no middleware, no auth, no DRF: ``GET /<id>/`` runs one cursor query and returns
the row as JSON with orjson. The bench measures it beside our own read, in the same run, so
every run says what fraction of what Django and the web server can do on this machine our
read reaches (bench/http.py).
"""
