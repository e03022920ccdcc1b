/**
 * Fuzzes the configuration readers (tolerant JSON, dcmqrscp.cfg, nginx) and
 * the whole audit with mutations of real samples: the shared corpus configs
 * and the audit fixtures. Seeded, so a failure is reproducible:
 *   node fuzz/audit.ts [cases] [seed]
 * A failure is any exception, or a case slower than 2 s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditText, type ConfigKind } from '../src/checks/audit/audit.ts';
import { parseDcmqrscp } from '../src/checks/audit/dcmqrscp.ts';
import { parseJsonc } from '../src/checks/audit/jsonc.ts';
import { parseNginx } from '../src/checks/audit/nginx.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function loadSamples(): Array<{ name: string; text: string; kind: ConfigKind }> {
  const out: Array<{ name: string; text: string; kind: ConfigKind }> = [];
  const corpus = process.env.WARDLINE_CORPUS ?? join(ROOT, '..', 'shared', 'corpus');
  const dirs = [join(corpus, 'config'), join(ROOT, 'test', 'fixtures', 'audit')];
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

export function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 8);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = Math.floor(r() * 7);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 16));
    else if (op === 1) s = s.slice(0, at) + TOKENS[Math.floor(r() * TOKENS.length)] + s.slice(at);
    else if (op === 2) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + s.slice(at + 1);
    else if (op === 3) { const b = Math.floor(r() * s.length); s = s.slice(0, at) + s.slice(b, b + Math.floor(r() * 64)) + s.slice(at); }
    else if (op === 4) s = s.slice(0, at);
    else if (op === 5) s = s.slice(0, at) + '['.repeat(Math.floor(r() * 400)) + s.slice(at);
    else s = s.slice(0, at) + '{"a":'.repeat(Math.floor(r() * 50)) + s.slice(at);
  }
  return s;
}

export function fuzz(cases: number, seed: number): { cases: number; failures: string[] } {
  const samples = loadSamples();
  if (samples.length === 0) throw new Error('no samples to mutate');
  const r = rng(seed);
  const failures: string[] = [];
  for (let i = 0; i < cases; i++) {
    const sample = samples[Math.floor(r() * samples.length)];
    const text = mutate(sample.text, r);
    const t0 = performance.now();
    try {
      parseJsonc(text);
      parseDcmqrscp(text);
      parseNginx(text);
      auditText(sample.name, text, sample.kind);
    } catch (err) {
      failures.push(`case ${i} (${sample.name}): ${(err as Error).stack ?? String(err)}`);
    }
    const ms = performance.now() - t0;
    if (ms > 2000) failures.push(`case ${i} (${sample.name}): ${ms.toFixed(0)} ms`);
    if (failures.length >= 5) break;
  }
  return { cases, failures };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cases = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? 20261128);
  const t0 = performance.now();
  const { failures } = fuzz(cases, seed);
  const s = (performance.now() - t0) / 1000;
  console.log(`fuzz/audit: ${cases} cases, seed ${seed}, ${s.toFixed(1)} s, ${failures.length} failure(s)`);
  for (const f of failures) console.log(f);
  process.exitCode = failures.length ? 1 : 0;
}
