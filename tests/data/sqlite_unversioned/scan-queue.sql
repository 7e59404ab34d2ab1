BEGIN TRANSACTION;
CREATE TABLE scan_jobs (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    preset TEXT NOT NULL,
    created REAL NOT NULL,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "scan_jobs" VALUES('j1','scan','document',1767225600.0,1,0);
COMMIT;
