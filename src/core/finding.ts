import type { Severity } from './severity.ts';
import type { SourceLocation } from './errors.ts';

/**
 * The one shape every analysis reports in: check violations, probe results,
 * audit rules, vulnerabilities, drift. Outputs (tables, SARIF, SIEM, the
 * dashboard) only ever see this.
 */
export interface Finding {
  /** Stable identity, so that re-runs update rather than duplicate (rule + subject). */
  id: string;
  /** The rule or check that produced it, e.g. "check.no-conduit", "audit.orthanc.remote-access". */
  rule: string;
  title: string;
  severity: Severity;
  /** Which part of Wardline produced it: check, probe, audit, vulns, drift, monitor. */
  source: string;
  /** What it is about: an asset name, a flow key, a zone, a config file. */
  subject: string;
  /** Clinical process, where known, for grouping in reports. */
  process?: string;
  zone?: string;
  /** Human-readable facts; never PHI. */
  evidence: Record<string, unknown>;
  rationale?: string;
  fix?: string;
  /** Standards and sources: "IEC 62443-3-3 SR 5.1", "HIPAA 164.312(e)(1)", "HICP TV2 Practice 6", URLs. */
  references: string[];
  location?: SourceLocation;
  firstSeen?: number;
  lastSeen?: number;
}
