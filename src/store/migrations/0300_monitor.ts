/**
 * Monitor state: alert lifecycle (one row per alert, its current episode),
 * what has been seen before (for "new asset / new AE pair" alerts), which
 * sensor batches were committed (redelivery is a no-op) and per-site edge
 * totals the central consumers accumulate.
 */
export const sql = `
CREATE TABLE monitor_alerts (
  id TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  subject TEXT NOT NULL,
  title TEXT NOT NULL,
  state TEXT NOT NULL,
  episode BIGINT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  sightings BIGINT NOT NULL,
  site TEXT NOT NULL DEFAULT ''
);
CREATE INDEX monitor_alerts_state ON monitor_alerts (state, last_seen);

CREATE TABLE monitor_known (
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  site TEXT NOT NULL DEFAULT '',
  first_seen BIGINT NOT NULL,
  PRIMARY KEY (kind, subject, site)
);

CREATE TABLE monitor_batches (
  id TEXT PRIMARY KEY,
  site TEXT NOT NULL,
  seq BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  edges INTEGER NOT NULL,
  records BIGINT NOT NULL
);

CREATE TABLE monitor_edges (
  site TEXT NOT NULL,
  edge_key TEXT NOT NULL,
  src TEXT NOT NULL,
  dst TEXT NOT NULL,
  transport TEXT NOT NULL,
  dport INTEGER NOT NULL,
  protocol TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  packets BIGINT NOT NULL,
  sessions BIGINT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  PRIMARY KEY (site, edge_key)
);
`;
