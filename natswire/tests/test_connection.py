"""What a NATS connection shows of its login: the user, never the password."""

from __future__ import annotations

from natswire.connection import authorization_failed, inbox_prefix, redact_url, without_login


def test_it_masks_every_password_of_a_cluster_url_for_logs():
    url = "nats://alarms:s3cret@n1:4222, nats://n2:4222,tls://t0ken@n3:4222"

    assert redact_url(url) == "nats://alarms:***@n1:4222, nats://n2:4222,tls://***@n3:4222"
    assert without_login(url) == "nats://n1:4222,nats://n2:4222,tls://n3:4222"
    command = 'python -m bench.client alarm-publish {"url": "nats://admin:s3cret@127.0.0.1:4222", "count": 5}'
    assert redact_url(command) == command.replace("s3cret", "***")


def test_it_names_the_refused_user_but_not_the_password():
    assert str(authorization_failed("nats://h:4222", "alarms")) == (
        'NATS authorization failed for user "alarms" at nats://h:4222: check NATS_USER and NATS_PASSWORD'
    )
    from_url = str(authorization_failed("nats://generator:s3cret@h:4222", ""))
    assert 'for user "generator"' in from_url and "s3cret" not in from_url
    assert "requires a user" in str(authorization_failed("nats://h:4222", ""))
    assert "t0ken" not in str(authorization_failed("nats://t0ken@h:4222", ""))


def test_it_gives_each_user_its_own_reply_inbox():
    assert inbox_prefix("buildings") == "_INBOX.buildings"
    assert inbox_prefix("") == "_INBOX"
