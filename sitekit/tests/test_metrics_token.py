"""/metrics is served on the web port, so with METRICS_TOKEN set it answers only its bearer."""

from __future__ import annotations

from django.test import Client, override_settings


@override_settings(METRICS_TOKEN="s3cret-token")
def test_it_answers_the_bearer_of_the_metrics_token_only():
    anonymous = Client().get("/metrics")
    wrong = Client(HTTP_AUTHORIZATION="Bearer another").get("/metrics")
    right = Client(HTTP_AUTHORIZATION="Bearer s3cret-token").get("/metrics")

    assert (anonymous.status_code, anonymous["WWW-Authenticate"]) == (401, 'Bearer realm="metrics"')
    assert wrong.status_code == 401
    assert right.status_code == 200 and b"django_http_requests_total_by_view_transport_method" in right.content


@override_settings(METRICS_TOKEN="")
def test_without_a_token_it_is_open_as_on_a_developers_machine():
    assert Client().get("/metrics").status_code == 200
