BEGIN TRANSACTION;
CREATE TABLE outbox (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind  TEXT NOT NULL CHECK (kind IN ('telemetry', 'event')),
    boot  TEXT NOT NULL,
    ts    INTEGER NOT NULL,
    mono  INTEGER,
    tq    TEXT NOT NULL DEFAULT 'ntp',
    type  TEXT,
    body  TEXT NOT NULL
, upto INTEGER, level INTEGER NOT NULL DEFAULT 0);
INSERT INTO "outbox" VALUES(1,'telemetry','b1',1767225600000,1000,'none',NULL,'{"sys.uptime_s":60}',NULL,0);
INSERT INTO "outbox" VALUES(2,'event','b1',1767225660000,NULL,'ntp','print.job_completed','{"pages":2}',NULL,0);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('outbox',2);
COMMIT;
