"""Central's PostgreSQL schema as migration steps (schema_version): append a step, never edit one.

The same tables and columns as the SQLite schema (central/schema.py, rollups.SCHEMA) at its
latest step, so every query runs unchanged on both; `messages` is partitioned by `ts`
(central/postgres.py makes and drops the partitions). Its primary key must hold the
partition key: (house, epoch, seq, ts). A message's ts is fixed by its identity (the
house's clock, or the re-timing by its boot's first anchor, which a replay gets again),
so a replay still meets its stored row and `ON CONFLICT DO NOTHING` skips it.
Roll-up values are `numeric` (counts, peaks, medians and a 60-bit minute mask, exactly).
Pure: no imports.
"""
from __future__ import annotations

# SQLite built-ins the shared SQL uses, with SQLite's meaning (NULL in, NULL out; a JSON null
# is SQL NULL).
COMPAT = """
CREATE FUNCTION max(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN a >= b THEN a ELSE b END';
CREATE FUNCTION max(a numeric, b numeric) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN a >= b THEN a ELSE b END';
CREATE FUNCTION min(a bigint, b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN a <= b THEN a ELSE b END';
CREATE FUNCTION numeric_bit_or(a numeric, b numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
    PARALLEL SAFE AS 'SELECT (a::bigint | b::bigint)::numeric';
CREATE OPERATOR | (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = numeric_bit_or);
CREATE FUNCTION json_extract(body text, path text) RETURNS jsonb LANGUAGE sql IMMUTABLE
    PARALLEL SAFE AS 'SELECT nullif(jsonb_path_query_first(body::jsonb, path::jsonpath), ''null'')';
"""

SCHEMA = """
CREATE TABLE houses (
    house       text PRIMARY KEY,
    first_seen  bigint NOT NULL,
    last_seen   bigint NOT NULL,
    online      integer NOT NULL DEFAULT 0,
    reason      text NOT NULL DEFAULT '',
    boot        text NOT NULL DEFAULT '',
    status_ts   bigint NOT NULL DEFAULT 0,
    version     text NOT NULL DEFAULT '',
    metrics     text NOT NULL DEFAULT '{}',
    metrics_ts  bigint NOT NULL DEFAULT 0,
    acked_seq   bigint NOT NULL DEFAULT 0,
    epoch       text NOT NULL DEFAULT ''
);
CREATE TABLE messages (
    house   text NOT NULL,
    epoch   text NOT NULL DEFAULT '',
    seq     bigint NOT NULL,
    kind    text NOT NULL,
    boot    text NOT NULL,
    ts      bigint NOT NULL,
    recv_ts bigint NOT NULL,
    tq      text NOT NULL,
    mono    bigint,
    type    text,
    body    text NOT NULL,
    upto    bigint,
    PRIMARY KEY (house, epoch, seq, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE messages_default PARTITION OF messages DEFAULT;
CREATE INDEX messages_by_time ON messages (house, kind, ts);
CREATE INDEX messages_reaching ON messages (house, epoch, upto) WHERE upto IS NOT NULL;
CREATE INDEX messages_by_boot ON messages (house, boot) WHERE tq = 'none';
CREATE TABLE clock_anchors (
    house   text NOT NULL,
    boot    text NOT NULL,
    ts      bigint NOT NULL,
    mono    bigint NOT NULL,
    PRIMARY KEY (house, boot)
);
CREATE TABLE status_log (
    house   text NOT NULL,
    boot    text NOT NULL,
    online  integer NOT NULL,
    reason  text NOT NULL,
    ts      bigint NOT NULL,
    recv_ts bigint NOT NULL
);
CREATE INDEX status_log_by_time ON status_log (recv_ts, house);
CREATE TABLE watermarks (
    house     text NOT NULL,
    epoch     text NOT NULL,
    acked_seq bigint NOT NULL,
    PRIMARY KEY (house, epoch)
);
CREATE TABLE rollup_hourly (
    house text NOT NULL, metric text NOT NULL, hour bigint NOT NULL, value numeric,
    PRIMARY KEY (house, metric, hour));
CREATE TABLE rollup_daily (
    house text NOT NULL, metric text NOT NULL, day text NOT NULL, value numeric,
    PRIMARY KEY (house, metric, day));
CREATE INDEX rollup_daily_of_day ON rollup_daily (day, house, metric) INCLUDE (value);
CREATE TABLE help_requests (
    house text NOT NULL, epoch text NOT NULL DEFAULT '', seq bigint NOT NULL,
    ts bigint NOT NULL, recv_ts bigint NOT NULL, request bigint, acked_ts bigint,
    acked_by text, PRIMARY KEY (house, epoch, seq));
CREATE INDEX help_open ON help_requests (acked_ts, ts);
CREATE TABLE rollup_settings (key text PRIMARY KEY, value text NOT NULL);
"""

# Step 2: each house's latest value of every metric (report-by-exception, central/latest.py;
# SQLite's step 3).
LATEST = """
CREATE TABLE latest_metrics (
    house  text NOT NULL,
    metric text NOT NULL,
    ts     bigint NOT NULL,
    value  text,
    PRIMARY KEY (house, metric)
);
"""

MIGRATIONS = (COMPAT + SCHEMA, LATEST)
