import { InputError } from '../core/errors.ts';
import type { Finding } from '../core/finding.ts';
import { atLeast, isSeverity } from '../core/severity.ts';
import { EXIT } from './command.ts';

/** Exit code for a verb that reports findings: 1 when any is at or above --fail-on. */
export function gateExit(findings: Pick<Finding, 'severity'>[], failOn: unknown): number {
  if (failOn === undefined || failOn === false) return EXIT.OK;
  if (typeof failOn !== 'string' || !isSeverity(failOn)) {
    throw new InputError(`--fail-on takes info, low, medium, high or critical, not '${String(failOn)}'`);
  }
  return findings.some((f) => atLeast(f.severity, failOn)) ? EXIT.FINDINGS : EXIT.OK;
}
