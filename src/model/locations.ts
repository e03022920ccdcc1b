import type { SourceLocation } from '../core/errors.ts';
import type { Located } from './types.ts';

/**
 * Where each field of a model element was written ("cidrs.1", "from",
 * "services.0"). Kept beside the model rather than in it so that the model
 * stays plain data for JSON and snapshots; lookups fall back to the element.
 */
const fieldLocations = new WeakMap<object, Map<string, SourceLocation>>();

export function setFieldLoc(el: object, field: string, loc: SourceLocation): void {
  let m = fieldLocations.get(el);
  if (!m) { m = new Map(); fieldLocations.set(el, m); }
  m.set(field, loc);
}

/** The location of a field ("cidrs.1" falls back to "cidrs", then to the element). */
export function fieldLoc(el: Located, field?: string): SourceLocation | undefined {
  const m = fieldLocations.get(el);
  if (m && field !== undefined) {
    let f = field;
    while (true) {
      const hit = m.get(f);
      if (hit) return hit;
      const dot = f.lastIndexOf('.');
      if (dot < 0) break;
      f = f.slice(0, dot);
    }
  }
  return el.loc;
}

/** Whether the user wrote this field (rather than it being defaulted or inferred). */
export function hasField(el: object, field: string): boolean {
  return fieldLocations.get(el)?.has(field) ?? false;
}
