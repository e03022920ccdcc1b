/**
 * Fuzzes the feed and SBOM readers with mutations of real samples: the
 * repository's feed fixtures and sample-hospital SBOMs always, plus the
 * shared corpus's feeds and SBOMs when present (large files cut to a
 * window). Mutations are structural (a JSON value replaced by another type,
 * removed, duplicated, a string made into a weird version or CPE) and
 * textual (byte flips, truncation, splices). Every parsed feed is also run
 * through the matcher against a few identities, and version/CPE/purl/range
 * readers get the mutated strings. Seeded, so a failure is reproducible:
 *   node fuzz/feeds.ts [cases] [seed]
 * A failure is any exception other than InputError, or a case slower than 2 s.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../src/core/errors.ts';
import { parseCpe } from '../src/feeds/cpe.ts';
import type { SoftwareIdentity } from '../src/feeds/identity.ts';
import { explainMatch } from '../src/feeds/match.ts';
import { parseFeedText } from '../src/feeds/parse.ts';
import { parsePurl } from '../src/feeds/purl.ts';
import { parseSbom } from '../src/feeds/sbom.ts';
import { compareVersions, inRange, parseRangeText } from '../src/feeds/version.ts';
import { CORPUS, REPO } from '../test/helpers/corpus.ts';
import { fuzzMain, runFuzz, type Rand } from './lib.ts';


interface Sample { name: string; text: string; kind: 'feed' | 'sbom' }

function samples(): Sample[] {
  const out: Sample[] = [];
  const add = (dir: string, kind: Sample['kind'], label: string) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (!statSync(p).isFile() || !/\.(json|csv|spdx)$/.test(f)) continue;
      let text = readFileSync(p, 'utf8');
      // Keep cases fast: the big KEV files and SBOMs contribute their first 60 kB (often cut mid-JSON, which is a case too).
      if (text.length > 60_000) text = text.slice(0, 60_000);
      out.push({ name: `${label}/${f}`, text, kind });
    }
  };
  add(join(REPO, 'test', 'fixtures', 'vulns'), 'feed', 'fixtures');
  add(join(REPO, 'examples', 'hospital', 'sboms'), 'sbom', 'sboms');
  add(join(CORPUS, 'feeds'), 'feed', 'corpus/feeds');
  add(join(CORPUS, 'sbom'), 'sbom', 'corpus/sbom');
  return out;
}

const WEIRD = ['', '*', '-', '0', '-1', '1e309', '99999999999999999999', '1..2', '..', '~', '1.2b', 'b3', 'v', ':', '\\:', 'cpe:2.3:a', 'cpe:/', 'pkg:', 'pkg:/@', '< ', '>= | <=', '|||', 'vers:x/', '\u0000', '\uFFFF', 'a'.repeat(5000), '9.'.repeat(2000), 'SP'.repeat(100)];

type J = unknown;

function mutateJson(v: J, r: Rand, depth = 0): J {
  if (depth > 40) return v;
  if (Array.isArray(v)) {
    if (v.length && r() < 0.3) {
      const i = Math.floor(r() * v.length);
      const copy = [...v];
      const op = r();
      if (op < 0.3) copy.splice(i, 1);
      else if (op < 0.6) copy.push(copy[i]);
      else copy[i] = mutateJson(copy[i], r, depth + 1);
      return copy;
    }
    return v.map((x) => (r() < 0.1 ? mutateJson(x, r, depth + 1) : x));
  }
  if (v && typeof v === 'object') {
    const o = { ...(v as Record<string, J>) };
    const keys = Object.keys(o);
    if (!keys.length) return o;
    const k = keys[Math.floor(r() * keys.length)];
    const op = r();
    if (op < 0.15) delete o[k];
    else if (op < 0.3) o[k] = [null, 0, -1, true, 'x', [], {}, WEIRD[Math.floor(r() * WEIRD.length)]][Math.floor(r() * 8)];
    else o[k] = mutateJson(o[k], r, depth + 1);
    return o;
  }
  if (typeof v === 'string') {
    const op = r();
    if (op < 0.4) return WEIRD[Math.floor(r() * WEIRD.length)];
    if (op < 0.7) return v.slice(0, Math.floor(r() * (v.length + 1)));
    return v + WEIRD[Math.floor(r() * WEIRD.length)];
  }
  if (typeof v === 'number') return [0, -1, NaN, 1e308, 3.7, Number.MAX_SAFE_INTEGER][Math.floor(r() * 6)];
  return v;
}

function mutateText(s: string, r: Rand): string {
  const op = r();
  if (op < 0.3) return s.slice(0, Math.floor(r() * s.length));
  const b = Buffer.from(s, 'utf8');
  const n = 1 + Math.floor(r() * 8);
  if (op < 0.7) {
    for (let i = 0; i < n && b.length; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    return b.toString('utf8');
  }
  const at = Math.floor(r() * s.length);
  const from = Math.floor(r() * s.length);
  return s.slice(0, at) + s.slice(from, from + Math.floor(r() * 200)) + s.slice(at);
}

const IDS: SoftwareIdentity[] = [
  { asset: 'a', display: 'Orthanc 1.10.1', vendor: 'orthanc_server', product: 'orthanc', version: '1.10.1', cpe: parseCpe('cpe:2.3:a:orthanc-server:orthanc:1.10.1:*:*:*:*:*:*:*'), source: 'model-cpe', detail: 'fuzz', confidence: 'high' },
  { asset: 'a', display: 'DCMTK', vendor: 'offis', product: 'dcmtk', source: 'passive', detail: 'fuzz', confidence: 'low' },
  { asset: 'a', display: 'requests 2.30.0', vendor: '', product: 'requests', version: '2.30.0', purl: parsePurl('pkg:pypi/requests@2.30.0'), source: 'sbom', detail: 'fuzz', confidence: 'high' },
];

export interface FuzzResult { cases: number; parsed: number; inputErrors: number; failures: string[] }

export function fuzzFeeds(cases: number, seed = 1, hangMs = 2000): FuzzResult {
  const all = samples();
  const res: FuzzResult = { cases, parsed: 0, inputErrors: 0, failures: [] };
  const parsedJson = new Map<string, J>();
  for (const s of all) {
    try { parsedJson.set(s.name, JSON.parse(s.text)); } catch { /* a cut sample: text mutations only */ }
  }
  const run = runFuzz({
    name: 'feeds', cases, seed, slowMs: hangMs, keep: 20,
    gen: (r) => {
      const s = all[Math.floor(r() * all.length)];
      const json = parsedJson.get(s.name);
      return { s, text: json !== undefined && r() < 0.7 ? JSON.stringify(mutateJson(json, r)) : mutateText(s.text, r) };
    },
    label: (c) => c.s.name,
    expected: (err) => err instanceof InputError,
    check: ({ s, text }, r) => {
      if (s.kind === 'feed') {
        const feed = parseFeedText(text, s.name);
        for (const a of feed.advisories) for (const e of a.affected) for (const id of IDS) explainMatch(id, e);
      } else parseSbom(text, s.name);
      res.parsed++;
      const w = WEIRD[Math.floor(r() * WEIRD.length)] + text.slice(Math.floor(r() * text.length)).slice(0, 20);
      compareVersions(w, '1.10.1');
      const rg = parseRangeText(w);
      if (rg) inRange('3.6.7', rg);
      parseCpe(`cpe:2.3:${w}`);
      parsePurl(`pkg:${w}`);
    },
  });
  res.inputErrors = run.expected;
  res.failures = run.failures;
  return res;
}

if (import.meta.main) {
  fuzzMain('feeds', (cases, seed) => {
    const res = fuzzFeeds(cases, seed);
    return { failures: res.failures, summary: `${res.parsed} parsed, ${res.inputErrors} InputErrors` };
  }, 20261128);
}
