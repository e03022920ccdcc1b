/**
 * Where the monitor stands in each tailed log (a Zeek conn.log): the file's
 * identity (device:inode), the byte offset at a line boundary, the header
 * lines needed to parse from there, and a fingerprint of the file's first
 * bytes (an inode reused by a new file must not resume mid-file). Written in
 * the transaction of the window the lines fed, so a restart resumes exactly
 * after what was committed.
 */
export const sql = `
CREATE TABLE monitor_tail (
  site TEXT NOT NULL,
  input TEXT NOT NULL,
  file_id TEXT NOT NULL,
  byte_offset BIGINT NOT NULL,
  line_no BIGINT NOT NULL,
  header_json TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  fingerprint_len INTEGER NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (site, input)
);
`;
