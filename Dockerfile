# One image for every process of the system: each docker-compose.yml service names the
# command it runs (the WSGI server sitekit.webserver, daphne, a manage.py command or the alarms
# generator).
#
#   docker build -t building-operations .

# Builder: the pinned runtime requirements, installed into a venv that is copied as is.
FROM python:3.11-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements/base.txt /tmp/requirements/base.txt
# Wheels only: every pin ships one (psycopg[binary] bundles libpq), so no compiler is
# needed, and a pin that loses its wheel fails the build here instead of compiling.
RUN /opt/venv/bin/pip install --only-binary=:all: -r /tmp/requirements/base.txt

# Runtime: the venv and the code, nothing else, run by an unprivileged user.
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    PATH=/opt/venv/bin:$PATH
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# .dockerignore lets in only the packages the processes import (and their healthcheck).
# The code stays owned by root: the processes can read it but never change it.
COPY . .
# Compiled once here, since the app user cannot write __pycache__ next to the code.
RUN python -m compileall -q /app
# Where compose's nats-passwords job writes the NATS password hashes: a new named volume
# takes this directory's owner, so the app user can write there.
RUN mkdir -p /run/nats-auth && chown 10001:10001 /run/nats-auth
# Numeric, so orchestrators that require a non-root user can verify it without /etc/passwd.
USER 10001:10001
EXPOSE 8000
