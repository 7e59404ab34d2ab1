"""Central's SQLite schema as migration steps (common/db.py): append a step, never edit one.

Step 1 is the schema of the last unversioned release, roll-up tables included; step 2 adds
outbox epochs.
Pure: standard library, sqlite3, central.latest and central.rollups only.
"""
from __future__ import annotations

from . import latest, rollups

SCHEMA = """
CREATE TABLE IF NOT EXISTS houses (
    house       TEXT PRIMARY KEY,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    online      INTEGER NOT NULL DEFAULT 0,
    reason      TEXT NOT NULL DEFAULT '',
    boot        TEXT NOT NULL DEFAULT '',
    status_ts   INTEGER NOT NULL DEFAULT 0,
    version     TEXT NOT NULL DEFAULT '',
    metrics     TEXT NOT NULL DEFAULT '{}',
    metrics_ts  INTEGER NOT NULL DEFAULT 0,
    acked_seq   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
    house   TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    boot    TEXT NOT NULL,
    ts      INTEGER NOT NULL,
    recv_ts INTEGER NOT NULL,
    tq      TEXT NOT NULL,
    mono    INTEGER,
    type    TEXT,
    body    TEXT NOT NULL,
    upto    INTEGER,
    PRIMARY KEY (house, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (house, kind, ts);
CREATE TABLE IF NOT EXISTS clock_anchors (
    house   TEXT NOT NULL,
    boot    TEXT NOT NULL,
    ts      INTEGER NOT NULL,
    mono    INTEGER NOT NULL,
    PRIMARY KEY (house, boot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS status_log (
    house   TEXT NOT NULL,
    boot    TEXT NOT NULL,
    online  INTEGER NOT NULL,
    reason  TEXT NOT NULL,
    ts      INTEGER NOT NULL,
    recv_ts INTEGER NOT NULL
);
"""
# Step 2: a message is identified by (house, epoch, seq), the epoch being the random id of
# the edge's outbox file (a new SD card starts its seqs again), with a watermark per
# (house, epoch); houses.epoch is the one the house's latest status announced and
# houses.acked_seq that epoch's watermark. Rows stored before epochs keep epoch "".
EPOCHS = """
CREATE TABLE messages_by_epoch (
    house   TEXT NOT NULL,
    epoch   TEXT NOT NULL DEFAULT '',
    seq     INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    boot    TEXT NOT NULL,
    ts      INTEGER NOT NULL,
    recv_ts INTEGER NOT NULL,
    tq      TEXT NOT NULL,
    mono    INTEGER,
    type    TEXT,
    body    TEXT NOT NULL,
    upto    INTEGER,
    PRIMARY KEY (house, epoch, seq)
) WITHOUT ROWID;
INSERT INTO messages_by_epoch (house, epoch, seq, kind, boot, ts, recv_ts, tq, mono, type, body,
                               upto)
    SELECT house, '', seq, kind, boot, ts, recv_ts, tq, mono, type, body, upto FROM messages;
DROP TABLE messages;
ALTER TABLE messages_by_epoch RENAME TO messages;
CREATE INDEX messages_by_time ON messages (house, kind, ts);
CREATE INDEX messages_reaching ON messages (house, epoch, upto) WHERE upto IS NOT NULL;
ALTER TABLE houses ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
CREATE TABLE watermarks (
    house     TEXT NOT NULL,
    epoch     TEXT NOT NULL,
    acked_seq INTEGER NOT NULL,
    PRIMARY KEY (house, epoch)
) WITHOUT ROWID;
INSERT INTO watermarks (house, epoch, acked_seq) SELECT house, '', acked_seq FROM houses;
CREATE TABLE help_requests_by_epoch (
    house TEXT NOT NULL, epoch TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL,
    ts INTEGER NOT NULL, recv_ts INTEGER NOT NULL, request INTEGER, acked_ts INTEGER,
    acked_by TEXT, PRIMARY KEY (house, epoch, seq));
INSERT INTO help_requests_by_epoch (house, seq, ts, recv_ts, request, acked_ts, acked_by)
    SELECT house, seq, ts, recv_ts, request, acked_ts, acked_by FROM help_requests;
DROP TABLE help_requests;
ALTER TABLE help_requests_by_epoch RENAME TO help_requests;
CREATE INDEX help_open ON help_requests (acked_ts, ts);
"""
# Step 3: each house's latest value of every metric (report-by-exception, central/latest.py).
MIGRATIONS = (SCHEMA + rollups.SCHEMA, EPOCHS, latest.SCHEMA)
