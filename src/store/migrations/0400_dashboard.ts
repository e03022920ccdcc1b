/**
 * Dashboard accounts and its audit log. Passwords are scrypt hashes (never
 * the password); the audit log records logins (good and bad) and every
 * change made through the dashboard, with who, when and from where.
 */
export const sql = `
CREATE TABLE dashboard_users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  origin TEXT NOT NULL
);

CREATE TABLE dashboard_audit (
  id {{autoid}},
  ts BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  address TEXT NOT NULL,
  detail_json TEXT NOT NULL
);
CREATE INDEX dashboard_audit_ts ON dashboard_audit (ts);
`;
