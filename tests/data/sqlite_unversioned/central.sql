BEGIN TRANSACTION;
CREATE TABLE clock_anchors (
    house   TEXT NOT NULL,
    boot    TEXT NOT NULL,
    ts      INTEGER NOT NULL,
    mono    INTEGER NOT NULL,
    PRIMARY KEY (house, boot)
) WITHOUT ROWID;
CREATE TABLE help_requests (
    house TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, recv_ts INTEGER NOT NULL,
    request INTEGER, acked_ts INTEGER, acked_by TEXT, PRIMARY KEY (house, seq));
INSERT INTO "help_requests" VALUES('house-01',1,1767225600000,1767225600000,1,NULL,NULL);
CREATE TABLE houses (
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
INSERT INTO "houses" VALUES('house-01',1767225600000,1767225660000,0,'','',0,'','{"wifi.clients": 3}',1767225660000,2);
CREATE TABLE messages (
    house   TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    boot    TEXT NOT NULL,
    ts      INTEGER NOT NULL,
    recv_ts INTEGER NOT NULL,
    tq      TEXT NOT NULL,
    mono    INTEGER,
    type    TEXT,
    body    TEXT NOT NULL, upto INTEGER,
    PRIMARY KEY (house, seq)
) WITHOUT ROWID;
INSERT INTO "messages" VALUES('house-01',1,'event','b1',1767225600000,1767225600000,'ntp',NULL,'help.requested','{"request": 1}',NULL);
INSERT INTO "messages" VALUES('house-01',2,'telemetry','b1',1767225660000,1767225660000,'ntp',NULL,NULL,'{"wifi.clients": 3}',NULL);
CREATE TABLE rollup_daily (
    house TEXT NOT NULL, metric TEXT NOT NULL, day TEXT NOT NULL, value,
    PRIMARY KEY (house, metric, day)) WITHOUT ROWID;
INSERT INTO "rollup_daily" VALUES('house-01','help.requests','2026-01-01',1);
INSERT INTO "rollup_daily" VALUES('house-01','online.minutes','2026-01-01',1);
INSERT INTO "rollup_daily" VALUES('house-01','wifi.clients','2026-01-01',3);
CREATE TABLE rollup_hourly (
    house TEXT NOT NULL, metric TEXT NOT NULL, hour INTEGER NOT NULL, value,
    PRIMARY KEY (house, metric, hour)) WITHOUT ROWID;
INSERT INTO "rollup_hourly" VALUES('house-01','help.requests',490896,1);
INSERT INTO "rollup_hourly" VALUES('house-01','online.mask',490896,2);
INSERT INTO "rollup_hourly" VALUES('house-01','online.minutes',490896,1);
INSERT INTO "rollup_hourly" VALUES('house-01','wifi.clients',490896,3);
CREATE TABLE rollup_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "rollup_settings" VALUES('timezone','Asia/Ho_Chi_Minh');
CREATE TABLE status_log (
    house   TEXT NOT NULL,
    boot    TEXT NOT NULL,
    online  INTEGER NOT NULL,
    reason  TEXT NOT NULL,
    ts      INTEGER NOT NULL,
    recv_ts INTEGER NOT NULL
);
CREATE INDEX messages_by_time ON messages (house, kind, ts);
CREATE INDEX rollup_daily_of_day ON rollup_daily (day, house, metric, value);
CREATE INDEX help_open ON help_requests (acked_ts, ts);
COMMIT;
