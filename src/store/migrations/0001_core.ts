/** The core schema: runs, model snapshots, observations, inventory, findings, events, baselines. */
export const sql = `
CREATE TABLE runs (
  id {{autoid}},
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  command TEXT NOT NULL,
  inputs_json TEXT NOT NULL DEFAULT '[]',
  summary_json TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE model_snapshots (
  id {{autoid}},
  created_at BIGINT NOT NULL,
  site TEXT NOT NULL,
  hash TEXT NOT NULL,
  model_json TEXT NOT NULL
);
CREATE INDEX model_snapshots_hash ON model_snapshots (hash);

CREATE TABLE flow_edges (
  edge_key TEXT PRIMARY KEY,
  src TEXT NOT NULL,
  dst TEXT NOT NULL,
  transport TEXT NOT NULL,
  dport INTEGER NOT NULL,
  protocol TEXT NOT NULL,
  protocol_from TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  packets BIGINT NOT NULL,
  sessions BIGINT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  encrypted INTEGER NOT NULL,
  phi INTEGER NOT NULL,
  facts_json TEXT NOT NULL,
  label_json TEXT,
  sources_json TEXT NOT NULL
);
CREATE INDEX flow_edges_src ON flow_edges (src);
CREATE INDEX flow_edges_dst ON flow_edges (dst);

CREATE TABLE hosts (
  address TEXT PRIMARY KEY,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  facts_json TEXT NOT NULL
);

CREATE TABLE findings (
  id TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  title TEXT NOT NULL,
  severity TEXT NOT NULL,
  source TEXT NOT NULL,
  subject TEXT NOT NULL,
  process TEXT,
  zone TEXT,
  evidence_json TEXT NOT NULL,
  references_json TEXT NOT NULL,
  rationale TEXT,
  fix TEXT,
  location_json TEXT,
  status TEXT NOT NULL DEFAULT 'open',
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL
);
CREATE INDEX findings_source ON findings (source, severity);

CREATE TABLE events (
  id {{autoid}},
  ts BIGINT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  subject TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE
);
CREATE INDEX events_ts ON events (ts);

CREATE TABLE baselines (
  id {{autoid}},
  created_at BIGINT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  payload_json TEXT NOT NULL
);
CREATE INDEX baselines_name ON baselines (name, kind);
`;
