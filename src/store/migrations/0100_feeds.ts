/**
 * Advisories stored offline. One row per (feed document, vulnerability);
 * affected products are indexed by normalised vendor and product so that a
 * site's identities are matched with one lookup each, not a scan.
 */
export const sql = `
CREATE TABLE advisories (
  adv_key TEXT PRIMARY KEY,
  vuln_id TEXT NOT NULL,
  source TEXT NOT NULL,
  document TEXT,
  cvss DOUBLE PRECISION,
  modified TEXT,
  file TEXT NOT NULL,
  imported_at BIGINT NOT NULL,
  doc_json TEXT NOT NULL
);
CREATE INDEX advisories_vuln ON advisories (vuln_id);

CREATE TABLE advisory_products (
  id {{autoid}},
  adv_key TEXT NOT NULL,
  vendor TEXT NOT NULL,
  product TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  entry_json TEXT NOT NULL
);
CREATE INDEX advisory_products_product ON advisory_products (product, vendor);
CREATE INDEX advisory_products_adv ON advisory_products (adv_key);

CREATE TABLE kev (
  cve TEXT PRIMARY KEY,
  vendor TEXT NOT NULL,
  product TEXT NOT NULL,
  name TEXT NOT NULL,
  date_added TEXT NOT NULL,
  due_date TEXT,
  required_action TEXT,
  ransomware TEXT
);

CREATE TABLE feed_files (
  path TEXT PRIMARY KEY,
  format TEXT NOT NULL,
  advisories INTEGER NOT NULL,
  kev INTEGER NOT NULL,
  warnings INTEGER NOT NULL,
  imported_at BIGINT NOT NULL
);
`;
