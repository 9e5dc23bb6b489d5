#!/usr/bin/env bash
# Runs the benchmarks (Release build) against a private PostgreSQL and the in-process Kafka broker.
#   bash scripts/bench.sh [events]        the intake benchmark, default 100000 events
#   bash scripts/bench.sh dispatch        rate limit held by two replicas, and sends/s against one Hangfire job per send
#   bash scripts/bench.sh replies [connections...]   reply ingest under wrk, default at 32, 64 and 128 connections
#   bash scripts/bench.sh recording-statement [answers] [rounds]   the API answers' statement alone on one connection: one
#                                         plan kept against a plan per execution (lone answers), and without against with
#                                         the foreign key migration 0029 dropped (batches of 10)
#   bash scripts/bench.sh stream-catch-up [backlog] [batch]   the publisher's read draining a backlog of response events
#                                         (default 100000, rounds of 200), against the same read free to sort them all
#   bash scripts/bench.sh provider-latency [sms] [emails]   stand-ins at a real provider's latency (Twilio 200 ms, SMTP 60 ms),
#                                         calls in flight against the sequential baseline, default 20000 SMS and 10000 emails
#   bash scripts/bench.sh provider-latency-quick sms|email [count]   one channel in flight only, for a quick look
#   bash scripts/bench.sh all [events]    everything
#   (dispatch parts alone: sms-throttled, sms, email-throttled, email). Each benchmark's last line is its ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec dotnet run -c Release --project bench/NpsTriggers.Bench -- "$@"
