/** Change control: named baselines (snapshot items) and approved change plans. */
export const sql = `
CREATE TABLE cc_baselines (
  id {{autoid}},
  name TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  sources_json TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE cc_baseline_items (
  baseline_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  item_key TEXT NOT NULL,
  value TEXT NOT NULL,
  asset TEXT,
  addresses_json TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (baseline_id, kind, subject, item_key)
);

CREATE TABLE cc_changes (
  id {{autoid}},
  ticket TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  window_start BIGINT NOT NULL,
  window_end BIGINT NOT NULL,
  scope_json TEXT NOT NULL,
  note TEXT
);
CREATE INDEX cc_changes_window ON cc_changes (window_start, window_end);
`;
