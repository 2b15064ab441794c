#!/bin/bash
# Creates one role and one database per site: each site's role owns its database and can
# connect to no other database, so a leaked password or a bad migration stays inside one site.
#
# The postgres image runs this once, on first start with an empty data volume. Changing a
# *_DB_PASSWORD later needs `ALTER ROLE <site> PASSWORD '...'` in psql as well.
#
# The image may source this file instead of running it, so it changes no shell options.

create_site_database() {
    # $1: the site's role and database name; $2: the role's password.
    psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set=site="$1" --set=password="$2" <<'SQL'
CREATE ROLE :"site" LOGIN PASSWORD :'password';
CREATE DATABASE :"site" OWNER :"site";
REVOKE ALL ON DATABASE :"site" FROM PUBLIC;
SQL
}

# Without this every role could connect to the maintenance database too.
psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;"

create_site_database buildings "${BUILDINGS_DB_PASSWORD:?BUILDINGS_DB_PASSWORD is not set}"
create_site_database workflows "${WORKFLOWS_DB_PASSWORD:?WORKFLOWS_DB_PASSWORD is not set}"
create_site_database alarms "${ALARMS_DB_PASSWORD:?ALARMS_DB_PASSWORD is not set}"
