import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempModel, wardline } from './cli.ts';

/** A small valid model; each case edits some lines (1-based) and expects one error at an exact place. */
const BASE = `site: {name: Test Hospital, timezone: UTC}
zones:
  - name: servers
    kind: server
    cidrs: [10.0.0.0/24]
    processes: [radiology]
  - name: clients
    kind: user
    cidrs: [10.1.0.0/24]
  - name: internet
    kind: external
assets:
  - name: pacs
    kind: pacs
    address: 10.0.0.10
    aeTitle: PACS
conduits:
  - id: c1
    from: zone:clients
    to: asset:pacs
    services: [dicom]
`.split('\n');

interface Case {
  name: string;
  lines: Record<number, string>;
  append?: string[];
  at: string;
  message: RegExp;
  hint?: RegExp;
}

const CASES: Case[] = [
  { name: 'overlapping zone CIDRs', lines: { 9: '    cidrs: [10.0.0.128/25]' }, at: '9:13', message: /zone 'clients' CIDR 10\.0\.0\.128\/25 overlaps zone 'servers' CIDR 10\.0\.0\.0\/24/, hint: /10\.0\.0\.0\/24 is at .*model\.yaml:5:13/ },
  { name: 'unknown zone in a conduit', lines: { 19: '    from: zone:clinets' }, at: '19:11', message: /conduit 'c1' from unknown zone 'clinets'/, hint: /did you mean 'clients'/ },
  { name: 'unknown asset in a conduit', lines: { 20: '    to: asset:pcas' }, at: '20:9', message: /conduit 'c1' to unknown asset 'pcas'/, hint: /did you mean 'pacs'/ },
  { name: 'unknown process', lines: { 6: '    processes: [radiolgy]' }, at: '6:17', message: /unknown process 'radiolgy'/, hint: /did you mean 'radiology'/ },
  { name: 'asset outside its zone', lines: { 16: '    zone: clients' }, at: '15:14', message: /address 10\.0\.0\.10 of asset 'pacs' is outside its zone 'clients'/, hint: /falls in zone 'servers'/ },
  { name: 'asset inside a zone that is not its zone', lines: { 16: '    zone: internet' }, at: '15:14', message: /inside zone 'servers', which isn't its zone 'internet'/ },
  { name: 'duplicate zone name', lines: { 7: '  - name: servers', 9: '    cidrs: [10.2.0.0/24]' }, at: '7:11', message: /duplicate zone 'servers'/, hint: /first defined at .*model\.yaml:3:5/ },
  { name: 'bad CIDR', lines: { 5: '    cidrs: [10.0.0.0/33]' }, at: '5:13', message: /'10\.0\.0\.0\/33' is not an IPv4\/IPv6 address or CIDR/ },
  { name: 'bad IP', lines: { 15: '    address: 10.0.0.256' }, at: '15:14', message: /'10\.0\.0\.256' is not an IPv4\/IPv6 address/ },
  { name: 'bad MAC', lines: { 16: '    mac: 00:11:22:33:44' }, at: '16:10', message: /'00:11:22:33:44' is not a MAC address/ },
  { name: 'bad port', lines: { 21: '    services: [tcp/70000]' }, at: '21:16', message: /port 70000 is outside 1-65535/ },
  { name: 'unknown asset kind', lines: { 14: '    kind: pcas' }, at: '14:11', message: /unknown asset kind 'pcas'/, hint: /did you mean 'pacs'/ },
  { name: 'unknown key', lines: { 8: '    knd: user' }, at: '8:5', message: /unknown key 'knd' in a zone/, hint: /did you mean 'kind'/ },
  { name: 'security level out of range', lines: { 6: '    securityLevel: 5' }, at: '6:20', message: /security level '5' must be 1, 2, 3 or 4/ },
  { name: 'TLS required on cleartext HTTP', lines: { 21: '    services: [http]' }, append: ['    tlsRequired: true'], at: '21:16', message: /requires TLS but allows tcp\/80:http, which is cleartext/ },
  { name: 'DICOM identity without a DICOM service', lines: { 21: '    services: [https]' }, append: ['    dicom: {calledAeTitles: [PACS]}'], at: '22:12', message: /DICOM identity constraints but none of its services carries DICOM/ },
  { name: 'HL7 message type malformed', append: ['    hl7: {messageTypes: [ADT_A01]}'], lines: { 21: '    services: [hl7]' }, at: '22:26', message: /'ADT_A01' is not a valid HL7 message type/ },
  { name: 'impossible expiry date', append: ['    expires: 2026-02-30'], lines: {}, at: '22:14', message: /'2026-02-30' is not a date/ },
  { name: 'AE title too long', lines: { 16: '    aeTitle: PACS_MAIN_ARCHIVE_01' }, at: '16:14', message: /not a valid DICOM AE title/ },
  { name: 'broken YAML: unclosed flow sequence', lines: { 9: '    cidrs: [10.1.0.0/24' }, at: '10:3', message: /YAML syntax: Flow sequence/ },
  { name: 'broken YAML: tab indentation', lines: { 8: '\tkind: user' }, at: '8:1', message: /YAML syntax: Tabs are not allowed/ },
  { name: 'broken YAML: duplicate key', lines: { 8: '    name: again' }, at: '8:5', message: /YAML syntax: Map keys must be unique/ },
];

const cleanups: Array<() => void> = [];
after(() => { for (const c of cleanups) c(); });

function build(c: Case): string {
  const lines = [...BASE];
  for (const [n, text] of Object.entries(c.lines)) lines[Number(n) - 1] = text;
  if (c.append) lines.splice(lines.length - 1, 0, ...c.append);
  return lines.join('\n');
}

test('the unedited base model is valid', async () => {
  const { dir, cleanup } = tempModel({ 'model.yaml': BASE.join('\n') });
  cleanups.push(cleanup);
  const r = await wardline(['model', 'validate', join(dir, 'model.yaml')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
});

for (const c of CASES) {
  test(`broken model: ${c.name} → file:${c.at} and exit 2`, async () => {
    const { dir, cleanup } = tempModel({ 'model.yaml': build(c) });
    cleanups.push(cleanup);
    const file = join(dir, 'model.yaml');
    const r = await wardline(['model', 'validate', file]);
    assert.equal(r.code, 2, `exit code\n${r.stdout}${r.stderr}`);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${file}:${c.at}: error: `) && c.message.test(l));
    assert.ok(line, `expected ${file}:${c.at}: error: ${c.message} in:\n${r.stdout}`);
    if (c.hint) {
      const after = r.stdout.split('\n')[r.stdout.split('\n').indexOf(line) + 1] ?? '';
      assert.match(after, /^ {2}hint: /);
      assert.match(after, c.hint);
    }
    assert.match(r.stderr, /invalid: \d+ error\(s\)/);
  });
}

test('--json reports the same problems with their locations', async () => {
  const c = CASES[0];
  const { dir, cleanup } = tempModel({ 'model.yaml': build(c) });
  cleanups.push(cleanup);
  const r = await wardline(['model', 'validate', join(dir, 'model.yaml'), '--json']);
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout) as { valid: boolean; errors: number; problems: Array<{ severity: string; code: string; location: { file: string; line: number; column: number } }> };
  assert.equal(doc.valid, false);
  assert.equal(doc.errors, 1);
  assert.deepEqual(doc.problems[0].location, { file: join(dir, 'model.yaml'), line: 9, column: 13 });
  assert.equal(doc.problems[0].code, 'zone.overlap');
});

test('expired conduits are warnings relative to --now', async () => {
  const lines = [...BASE];
  lines.splice(lines.length - 1, 0, '    expires: 2026-03-31');
  const { dir, cleanup } = tempModel({ 'model.yaml': lines.join('\n') });
  cleanups.push(cleanup);
  const before = await wardline(['model', 'validate', dir, '--now', '2026-03-31']);
  assert.equal(before.code, 0);
  assert.doesNotMatch(before.stdout, /expired/);
  const later = await wardline(['model', 'validate', dir, '--now', '2026-04-01']);
  assert.equal(later.code, 0, 'warnings do not fail validation');
  assert.match(later.stdout, /model\.yaml:22:14: warning: conduit 'c1' expired on 2026-03-31/);
  const bad = await wardline(['model', 'validate', dir, '--now', 'yesterday']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--now 'yesterday' is not a date/);
});

test('a missing model path is an input error', async () => {
  const r = await wardline(['model', 'validate', join('does', 'not', 'exist')]);
  assert.equal(r.code, 2);
  assert.match(r.stdout + r.stderr, /no site model at does\/not\/exist/);
});

test('absurd nesting is an input error, not a crash', async () => {
  const { dir, cleanup } = tempModel({ 'deep.yaml': `zones: ${'['.repeat(20000)}\n` });
  cleanups.push(cleanup);
  const r = await wardline(['model', 'validate', join(dir, 'deep.yaml')]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /deep\.yaml:1:\d+: error: YAML syntax: the document nests too deeply/);
});
