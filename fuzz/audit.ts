/**
 * Fuzzes the configuration readers (tolerant JSON, dcmqrscp.cfg, nginx) and
 * the whole audit with mutations of real samples: the shared corpus configs
 * and the audit fixtures. Seeded, so a failure is reproducible:
 *   node fuzz/audit.ts [cases] [seed]
 * A failure is any exception, or a case slower than 2 s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditText, type ConfigKind } from '../src/checks/audit/audit.ts';
import { parseDcmqrscp } from '../src/checks/audit/dcmqrscp.ts';
import { parseJsonc } from '../src/checks/audit/jsonc.ts';
import { parseNginx } from '../src/checks/audit/nginx.ts';
import { fuzzMain, mutateText, runFuzz, type TextMutation } from './lib.ts';
import { CORPUS, REPO } from '../test/helpers/corpus.ts';


export function loadSamples(): Array<{ name: string; text: string; kind: ConfigKind }> {
  const out: Array<{ name: string; text: string; kind: ConfigKind }> = [];
  const corpus = CORPUS;
  const dirs = [join(corpus, 'config'), join(REPO, 'test', 'fixtures', 'audit')];
  for (const d of dirs) {
    let files: string[];
    try { files = readdirSync(d); } catch { continue; }
    for (const f of files) {
      const kind: ConfigKind = f.endsWith('.json') ? 'orthanc' : f.endsWith('.cfg') ? 'dcmqrscp' : 'nginx';
      out.push({ name: f, text: readFileSync(join(d, f), 'utf8'), kind });
    }
  }
  return out;
}

const TOKENS = ['{', '}', '[', ']', '"', ',', ':', '//', '/*', '*/', '\\', '\\u12', 'true', 'false', 'null', '-', '1e999', ';', '#', '(', ')', 'ANY', 'BEGIN', 'END', 'AETable', '\n', '\r\n', '\u0000', '\ufeff', "'", 'server {', 'location / {', 'ssl_protocols'];
const MUTATION: TextMutation = { edits: 8, tokens: TOKENS, cut: 16, slice: 64, floods: [['[', 400], ['{"a":', 50]] };

export function fuzz(cases: number, seed: number): { cases: number; failures: string[] } {
  const samples = loadSamples();
  if (samples.length === 0) throw new Error('no samples to mutate');
  const run = runFuzz({
    name: 'audit', cases, seed, slowMs: 2000, stopAfter: 5,
    gen: (r) => {
      const sample = samples[Math.floor(r() * samples.length)];
      return { sample, text: mutateText(sample.text, r, MUTATION) };
    },
    label: (c) => c.sample.name,
    check: ({ sample, text }) => {
      parseJsonc(text);
      parseDcmqrscp(text);
      parseNginx(text);
      auditText(sample.name, text, sample.kind);
    },
  });
  return { cases, failures: run.failures };
}

if (import.meta.main) fuzzMain('audit', (cases, seed) => ({ ...fuzz(cases, seed), summary: 'readers and audit' }), 20261128);
