import { createHash } from 'node:crypto';
import { isAbsolute, relative } from 'node:path';
import type { SiteModel } from './types.ts';

export interface ModelSnapshot {
  /** sha256 of `json`: equal models (wherever they were loaded from) hash equal. */
  hash: string;
  json: string;
}

/**
 * A model as stored in model_snapshots: canonical JSON with file paths made
 * relative to `root`, so that the same model checked out in two places, or
 * loaded on two machines, gets the same hash (what drift and change compare).
 */
export function snapshotModel(model: SiteModel, root: string = process.cwd()): ModelSnapshot {
  const rel = (f: string) => (isAbsolute(f) ? relative(root, f) : f);
  const json = JSON.stringify(model, (key, value: unknown) => {
    if (key === 'file' && typeof value === 'string') return rel(value);
    if (key === 'files' && Array.isArray(value)) return value.map((f) => (typeof f === 'string' ? rel(f) : f));
    return value;
  });
  return { hash: createHash('sha256').update(json).digest('hex'), json };
}
