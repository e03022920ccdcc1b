import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type CompileTarget } from '../../src/outputs/compile/index.ts';
import { REPO } from '../helpers/corpus.ts';
import { hospitalModel } from './hospital.ts';
import { asaErrors, iosErrors, panosErrors } from './syntax.ts';

const NOW = Date.UTC(2026, 10, 28);
const GOLDEN: Array<[CompileTarget, string]> = [
  ['nftables', 'hospital.nft'], ['iptables', 'hospital.iptables'], ['cisco-ios', 'hospital.ios'], ['cisco-asa', 'hospital.asa'], ['paloalto', 'hospital.panos'],
];

test('every target matches its golden file and is deterministic', () => {
  for (const [target, file] of GOLDEN) {
    const text = compileModel(hospitalModel(), target, NOW);
    assert.equal(compileModel(hospitalModel(), target, NOW), text, `${target} is deterministic`);
    const path = join(REPO, 'test', 'fixtures', 'design', file);
    if (process.env.WARDLINE_UPDATE_GOLDEN) writeFileSync(path, text);
    assert.equal(text, readFileSync(path, 'utf8'), `${target} differs from ${file} (WARDLINE_UPDATE_GOLDEN=1 rewrites)`);
  }
});

test('one rule per conduit with its id and justification; expired conduits left out', () => {
  const m = hospitalModel();
  const nft = compileModel(m, 'nftables', NOW);
  for (const c of m.conduits) {
    const hits = nft.split('\n').filter((l) => l.includes(`comment "${c.id}: `)).length;
    assert.equal(hits, c.id === 'legacy-any' ? 0 : 1, c.id);
  }
  assert.match(nft, /# Expired conduits not compiled: legacy-any/);
  assert.match(nft, /policy drop;/);
  assert.match(nft, /ct state established,related accept/);
  const asa = compileModel(m, 'cisco-asa', NOW);
  assert.equal((asa.match(/extended permit object-group/g) ?? []).length, 13);
  // Without a reference time nothing is treated as expired.
  assert.match(compileModel(m, 'nftables'), /comment "legacy-any: /);
});

test('nft and iptables-restore accept the output (check mode)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-design-'));
  try {
    writeFileSync(join(dir, 'p.nft'), compileModel(hospitalModel(), 'nftables', NOW));
    execFileSync('nft', ['-c', '-f', join(dir, 'p.nft')]);
  } catch (err) {
    assert.fail(String(err));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  execFileSync('iptables-restore', ['--test'], { input: compileModel(hospitalModel(), 'iptables', NOW) });
});

test('Cisco IOS, ASA and PAN-OS output pass the statement grammar; broken text does not', () => {
  assert.deepEqual(iosErrors(compileModel(hospitalModel(), 'cisco-ios', NOW)), []);
  assert.deepEqual(asaErrors(compileModel(hospitalModel(), 'cisco-asa', NOW)), []);
  assert.deepEqual(panosErrors(compileModel(hospitalModel(), 'paloalto', NOW)), []);
  assert.equal(iosErrors(' permit object-group S_x object-group A object-group B').length, 3);
  assert.equal(asaErrors('access-list X extended permit ip any any sometimes').length, 1);
  assert.equal(panosErrors('set rulebase security rules "r" from any to any source A_x destination any service any application any action allow').length, 1);
});

test('comments cannot break out of quotes', () => {
  const m = hospitalModel();
  m.conduits[0].justification = 'evil" accept; flush ruleset; "\nnext line ünïcode';
  const nft = compileModel(m, 'nftables', NOW);
  assert.match(nft, /comment "modalities-to-pacs: evil accept; flush ruleset; next line n code"/);
  execFileSync('nft', ['-c', '-f', '-'], { input: nft });
});

test('an external zone without CIDRs compiles to any address', () => {
  const m = hospitalModel();
  m.zones.find((z) => z.name === 'internet')!.cidrs = [];
  const nft = compileModel(m, 'nftables', NOW);
  assert.match(nft, /set Z_internet_v4 \{[^}]*elements = \{ 0\.0\.0\.0\/0 \}/);
  assert.match(nft, /set Z_internet_v6 \{[^}]*elements = \{ ::\/0 \}/);
  assert.match(nft, /ip saddr @Z_internet_v4 ip daddr @A_patient-portal_v4 tcp dport 443 /);
  execFileSync('nft', ['-c', '-f', '-'], { input: nft });
});

test('IPv6 addresses: nftables and ip6tables carry them, IPv4-only targets say what they left out', () => {
  const m = hospitalModel();
  m.assets.find((a) => a.name === 'pacs-main')!.addresses.push('fd00:20::10');
  m.zones.find((z) => z.name === 'radiology-modalities')!.cidrs.push('fd00:10::/64');
  const nft = compileModel(m, 'nftables', NOW);
  assert.match(nft, /ip6 saddr @Z_radiology-modalities_v6 ip6 daddr @A_pacs-main_v6 tcp dport 104 ct state new accept/);
  execFileSync('nft', ['-c', '-f', '-'], { input: nft });
  const ip6 = compileModel(m, 'ip6tables', NOW);
  assert.match(ip6, /-A WARDLINE -s fd00:10::\/64 -d fd00:20::10 -p tcp --dport 104 /);
  execFileSync('ip6tables-restore', ['--test'], { input: ip6 });
  assert.match(compileModel(m, 'cisco-ios', NOW), /! IPv6 addresses not compiled for this target .*A_pacs-main/);
  assert.match(compileModel(m, 'iptables', NOW), /# IPv6 addresses not compiled .*use --target ip6tables/);
});
