#!/usr/bin/env bash
# Sets up and runs the whole service on embedded defaults:
#  - a private PostgreSQL cluster in .data/pg (port $NPS_PG_PORT, default 55432), created on first run;
#  - the embedded Kafka broker (librdkafka's mock cluster), because no Kafka:BootstrapServers is set;
#  - email written as .eml files to .data/mail instead of being sent;
#  - the web endpoints on http://127.0.0.1:5080.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
port=${NPS_PG_PORT:-55432}
bash scripts/pg.sh start .data/pg "$port"
psql="psql -h 127.0.0.1 -p $port -U postgres -v ON_ERROR_STOP=1 -qtA"
$psql -d postgres -c "select 1 from pg_database where datname = 'npstriggers'" | grep -q 1 \
  || $psql -d postgres -c "create database npstriggers"
mkdir -p .data/mail
export ASPNETCORE_ENVIRONMENT=Development
export Postgres__ConnectionString="Host=127.0.0.1;Port=$port;Username=postgres;Database=npstriggers"
export Smtp__PickupDirectory="$PWD/.data/mail"
export Kafka__EmbeddedBootstrapFile="$PWD/.data/kafka-bootstrap"
exec dotnet run --project src/Host -- --urls http://127.0.0.1:5080
