/**
 * The sample hospital in a fresh store, through the real pipeline (discover
 * on its capture, check against its model, a segmentation proposal), the way
 * a user would build it before opening the dashboard or writing a report.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wardline } from '../helpers/cli.ts';
import { REPO } from '../helpers/corpus.ts';

export const MODEL = join(REPO, 'examples', 'hospital');
export const CAPTURE = join(MODEL, 'captures', 'hospital.pcap');

export interface Hospital {
  dir: string;
  db: string;
  proposedDir: string;
}

export function buildHospitalStore(): Hospital {
  const dir = mkdtempSync(join(tmpdir(), 'wl-show-'));
  const db = join(dir, 'wardline.db');
  const d = wardline(['discover', CAPTURE, '--model', MODEL, '--db', db, '--quiet']);
  if (d.status !== 0) throw new Error(`discover failed (${d.status}): ${d.stderr}`);
  const c = wardline(['check', '--model', MODEL, '--db', db, '--json']);
  if (c.status !== 0) throw new Error(`check failed (${c.status}): ${c.stderr}`);
  const proposedDir = join(dir, 'proposed');
  mkdirSync(proposedDir);
  const s = wardline(['segment', 'propose', '--model', MODEL, '--db', db, '--out', join(proposedDir, 'model.yaml')]);
  if (s.status !== 0) throw new Error(`segment propose failed (${s.status}): ${s.stderr}`);
  return { dir, db, proposedDir };
}
