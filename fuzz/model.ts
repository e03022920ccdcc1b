/**
 * Fuzzes the site-model loader and validator with mutations of real models:
 * the sample hospital and the starter template. Inputs are merged from one
 * to three mutated sources (as a model directory would be). Seeded, so a
 * failure is reproducible:
 *   node fuzz/model.ts [cases] [seed]
 * A failure is any exception other than InputError, or a case slower than 2 s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../src/core/errors.ts';
import { ModelIndex } from '../src/model/index.ts';
import { loadModelSources, type ModelSource } from '../src/model/load.ts';
import { STARTER_MODEL } from '../src/model/template.ts';
import { validateModel } from '../src/model/validate.ts';
import { fuzzMain, runFuzz } from './lib.ts';
import { REPO } from '../test/helpers/corpus.ts';


/** Whole sample files, plus windows of their lines so that most cases stay small and fast. */
function samples(): ModelSource[] {
  const dir = join(REPO, 'examples', 'hospital');
  const whole: ModelSource[] = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()
    .map((f) => ({ file: `examples/hospital/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
  whole.push({ file: 'wardline.yaml', text: STARTER_MODEL });
  const out = [...whole];
  for (const s of whole) {
    const lines = s.text.split('\n');
    const header = lines.findIndex((l) => /^[a-z]+:/.test(l));
    // Windows start at a list item, so that unmutated they are valid models too.
    const items = lines.map((l, i) => (/^ {2}- /.test(l) ? i : -1)).filter((i) => i > header);
    for (let k = 0; k < items.length; k += 3) {
      const end = items[k + 4] ?? lines.length;
      out.push({ file: `${s.file}#${items[k]}`, text: [lines[header], ...lines.slice(items[k], end)].join('\n') });
    }
  }
  return out;
}

const TOKENS = [
  ':', ': ', '- ', '-', '[', ']', '{', '}', ',', '"', "'", '#', '&a ', '*a', '&b [*b]', '!!binary ', '!!map', '? ', '|', '>-',
  '---\n', '...\n', '%YAML 1.2\n', '\t', '\n', '\r\n', '  ', '    ', '\u0000', '\ufeff', '\u2028', 'null', '~', 'true', 'no',
  '0x1F', '1e999', '-1', '65536', '0', '10.0.0.0/8', '0.0.0.0/0', '::/0', 'fe80::1%eth0', '10.20.10.300', '999.1.1.1/33',
  'zone:', 'asset:', 'partner:', 'zone:internet', 'tcp/', 'udp/0', 'tcp/5-1', 'dicom/104,11112:hl7', ':fhir', 'ADT^', '^',
  'kind: ', 'name: x', 'cidrs: ', 'services: ', 'expires: 2024-02-30', 'securityLevel: 9', '<<: *a', 'x'.repeat(300),
];

const VALUES = [
  'pcas', 'clinical', 'external', 'zone:nowhere', 'asset:pacs-main', 'partner:insurer', 'radiology-modalities', '[10.20.10.0/25]',
  '[0.0.0.0/0]', '10.20.20.10', '172.16.10.30', '"fd00::/8"', '02:00:0a', 'yes', 'maybe', '5', '0', '[https, http]', '[tcp]',
  '[dicom, tcp/70000]', '2020-01-01', '2099-12-31', 'NOT_A_VALID_AE_TITLE_AT_ALL', '[ADT^A01, XYZ]', '[PID-3, pid]', '[Patient, 1]',
  '{ zone: dmz }', '{ zone: a, asset: b }', '{ transport: tcp, ports: [1-2] }', '[]', '{}', 'Mars/Olympus', 'billing', 'emr',
];

/** `wellFormed`: only value replacements, so most cases get past the parser into validation. */
function mutate(text: string, r: () => number, wellFormed = false): string {
  let s = text;
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = wellFormed ? 7 : Math.floor(r() * 10);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 24));
    else if (op <= 2) s = s.slice(0, at) + TOKENS[Math.floor(r() * TOKENS.length)] + s.slice(at);
    else if (op === 3) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + s.slice(at + 1);
    else if (op === 4) { const b = Math.floor(r() * s.length); s = s.slice(0, at) + s.slice(b, b + Math.floor(r() * 120)) + s.slice(at); }
    else if (op === 5) {
      // Re-indent a line: the commonest real mistake in YAML.
      const ls = s.lastIndexOf('\n', at - 1) + 1;
      s = r() < 0.5 ? s.slice(0, ls) + ' '.repeat(1 + Math.floor(r() * 3)) + s.slice(ls) : s.slice(0, ls) + s.slice(ls).replace(/^ {1,3}/, '');
    } else if (op === 6) {
      const lines = s.split('\n');
      const i = Math.floor(r() * lines.length);
      const j = Math.floor(r() * lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      s = lines.join('\n');
    } else if (op <= 8) {
      // Replace a value but keep the YAML well-formed, so validation runs on it.
      const ls = s.lastIndexOf('\n', at - 1) + 1;
      const le = s.indexOf('\n', ls);
      const line = s.slice(ls, le < 0 ? s.length : le);
      const colon = line.indexOf(': ');
      if (colon > 0) s = s.slice(0, ls) + line.slice(0, colon + 2) + VALUES[Math.floor(r() * VALUES.length)] + s.slice(le < 0 ? s.length : le);
    } else s = s.slice(0, at);
  }
  return s;
}

export interface FuzzResult {
  cases: number;
  inputErrors: number;
  withProblems: number;
  failures: string[];
  slowest: number;
}

/** `slowMs`: a case slower than this counts as a failure (a hang); tests on a loaded CI machine pass more. */
export function fuzzModel(cases: number, seed = 1, slowMs = 2000): FuzzResult {
  const pool = samples();
  const res: FuzzResult = { cases, inputErrors: 0, withProblems: 0, failures: [], slowest: 0 };
  const probes = ['10.20.10.11', '172.16.10.30', '8.8.8.8', '::1', 'fd00::5', '10.80.3.255'];
  const run = runFuzz({
    name: 'model', cases, seed, slowMs,
    gen: (r) => {
      const count = r() < 0.8 ? 1 : 2 + Math.floor(r() * 2);
      const sources: ModelSource[] = [];
      for (let i = 0; i < count; i++) {
        const s = pool[Math.floor(r() * pool.length)];
        sources.push({ file: s.file, text: i === 0 || r() < 0.3 ? mutate(s.text, r, r() < 0.4) : s.text });
      }
      return sources;
    },
    expected: (err) => err instanceof InputError,
    check: (sources) => {
      const { model, problems } = loadModelSources(sources);
      const more = validateModel(model, { now: Date.UTC(2026, 0, 1) });
      if (problems.length + more.length) res.withProblems++;
      const index = new ModelIndex(model);
      for (const p of probes) { index.zoneFor(p); index.assetFor(p); index.partnerFor(p); }
    },
  });
  res.inputErrors = run.expected;
  res.slowest = run.slowestMs;
  res.failures = run.failures;
  return res;
}

if (import.meta.main) {
  fuzzMain('model', (cases, seed) => {
    const res = fuzzModel(cases, seed);
    return { failures: res.failures.slice(0, 5), summary: `${res.inputErrors} InputError, ${res.withProblems} with problems, slowest ${res.slowest.toFixed(1)} ms` };
  });
}
