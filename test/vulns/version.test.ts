import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpeAdmits, formatCpe, parseCpe } from '../../src/feeds/cpe.ts';
import { parsePurl, ecosystemType } from '../../src/feeds/purl.ts';
import { compareSemver, compareVersions, inRange, parseRangeText } from '../../src/feeds/version.ts';

describe('version comparator', () => {
  const lt = (a: string, b: string) => {
    assert.equal(compareVersions(a, b), -1, `${a} < ${b}`);
    assert.equal(compareVersions(b, a), 1, `${b} > ${a}`);
  };
  const eq = (a: string, b: string) => assert.equal(compareVersions(a, b), 0, `${a} == ${b}`);

  it('orders dotted numbers numerically, not as text', () => {
    lt('1.9.9', '1.10.1');
    lt('1.10.1', '1.12.0');
    lt('3.6.7', '3.6.10');
    lt('1.5.7', '1.5.8');
    eq('1.2', '1.2.0');
    eq('3.6.7', '3.6.7.0');
  });
  it('service packs and build numbers sort after the release', () => {
    lt('2.0.1', '2.0.1-SP3');
    lt('2.0.1-SP2', '2.0.1-SP3');
    lt('2.0.1-SP3', '2.0.2');
    lt('10.0.19041', '10.0.19041.1234');
    lt('10.0.19041.1234', '10.0.19041.1288');
    lt('10.0.19041.9999', '10.0.19042.1');
    lt('2023.3_Build_9342', '2023.3_Build_9343');
    lt('2023.3_Build_9342', '2024.1');
  });
  it('betas and release candidates sort before the release; a lone letter is a letter release', () => {
    lt('1.2b3', '1.2');
    lt('1.2b3', '1.2b4');
    lt('1.2a1', '1.2b1');
    lt('1.2rc1', '1.2');
    lt('1.2-beta', '1.2');
    lt('1.0.2', '1.0.2a');
    lt('1.0.2a', '1.0.2q');
    lt('3.6.9~rc1', '3.6.9');
  });
  it('ignores a Debian epoch and a leading v', () => {
    eq('1:1.10.1', '1.10.1');
    eq('v1.2.3', '1.2.3');
    lt('1.10.1+dfsg-1', '1.10.1+dfsg-2');
  });
  it('semver pre-releases are older than their release', () => {
    assert.equal(compareSemver('1.22.0-0', '1.22.0'), -1);
    assert.equal(compareSemver('1.21.12', '1.22.0-0'), -1);
    assert.equal(compareSemver('1.0.0-alpha.1', '1.0.0-alpha.beta'), -1);
    assert.equal(compareSemver('1.0.0+build', '1.0.0'), 0);
  });
  it('is antisymmetric and transitive over a shuffled set of device versions', () => {
    const vs = ['1.2b3', '1.2', '1.2.0.1', '1.2-SP1', '1.3', '1.10', '2.0.1-SP3', '2.0.2', '10.0.19041.1234', 'VA30', 'VB10', '3.6.7', '3.6.8'];
    for (const a of vs) for (const b of vs) assert.equal(compareVersions(a, b), -compareVersions(b, a) || 0, `${a} vs ${b}`);
    const sorted = [...vs].sort(compareVersions);
    for (let i = 0; i < sorted.length; i++) for (let j = i + 1; j < sorted.length; j++) assert.ok(compareVersions(sorted[i], sorted[j]) <= 0);
  });
});

describe('version ranges', () => {
  it('applies the four NVD bounds', () => {
    assert.equal(inRange('1.10.1', { endExcluding: '1.12.0' }), true);
    assert.equal(inRange('1.12.0', { endExcluding: '1.12.0' }), false);
    assert.equal(inRange('1.10.1', { endExcluding: '1.5.8' }), false);
    assert.equal(inRange('3.6.8', { endIncluding: '3.6.8' }), true);
    assert.equal(inRange('3.6.9', { endIncluding: '3.6.8' }), false);
    assert.equal(inRange('2.0', { startIncluding: '2.0', endExcluding: '3' }), true);
    assert.equal(inRange('2.0', { startExcluding: '2.0', endExcluding: '3' }), false);
  });
  it('reads the free-text ranges CISA writes in CSAF', () => {
    assert.deepEqual(parseRangeText('<1.5.8'), { endExcluding: '1.5.8' });
    assert.deepEqual(parseRangeText('< 3.6.7'), { endExcluding: '3.6.7' });
    assert.deepEqual(parseRangeText('>= 1.1 | <= 1.3.2'), { startIncluding: '1.1', endIncluding: '1.3.2' });
    assert.deepEqual(parseRangeText('5.0|5.1'), { exact: ['5.0', '5.1'] });
    assert.deepEqual(parseRangeText('*'), { all: true });
    assert.deepEqual(parseRangeText('vers:generic/>=1.0|<2.0'), { startIncluding: '1.0', endExcluding: '2.0' });
    assert.equal(inRange('2023.3_Build_9342', parseRangeText('<=2023.3_Build_9342')!), true);
    assert.equal(inRange('2024.1', parseRangeText('<=2023.3_Build_9342')!), false);
    assert.equal(parseRangeText('5.0 | <6'), undefined);
  });
});

describe('CPE 2.3', () => {
  it('parses escapes, ANY and NA', () => {
    const c = parseCpe('cpe:2.3:a:orthanc-server:orthanc:1.10.1:*:*:*:*:*:*:*')!;
    assert.equal(c.vendor, 'orthanc-server');
    assert.equal(c.version, '1.10.1');
    const e = parseCpe('cpe:2.3:a:acme:web\\:portal:2.0\\.1:sp3:*:*:*:*:*:-')!;
    assert.equal(e.product, 'web:portal');
    assert.equal(e.version, '2.0.1');
    assert.equal(e.update, 'sp3');
    assert.equal(e.other, '-');
    assert.equal(parseCpe(formatCpe(e))!.product, 'web:portal');
    assert.equal(parseCpe('cpe:2.3:a:too:few'), undefined);
    assert.equal(parseCpe('not a cpe'), undefined);
  });
  it('reads the 2.2 URI form CSAF helpers use', () => {
    const c = parseCpe('cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-alpha')!;
    assert.equal(c.product, 'cvrf-csaf-converter');
    assert.equal(c.version, '1.0.0-alpha');
    assert.equal(c.update, '*');
  });
  it('matches fixed fields, ANY and NA', () => {
    const crit = parseCpe('cpe:2.3:o:microsoft:windows_server_2019:-:*:*:*:*:*:*:*')!;
    assert.ok(cpeAdmits(crit, parseCpe('cpe:2.3:o:microsoft:windows_server_2019:-:*:*:*:*:*:*:*')!));
    assert.ok(!cpeAdmits(crit, parseCpe('cpe:2.3:o:microsoft:windows_server_2022:-:*:*:*:*:*:*:*')!));
    const v = parseCpe('cpe:2.3:a:offis:dcmtk:3.6.7:*:*:*:*:*:*:*')!;
    assert.ok(cpeAdmits(v, parseCpe('cpe:2.3:a:offis:dcmtk:3.6.7.0:*:*:*:*:*:*:*')!));
    assert.ok(!cpeAdmits(v, parseCpe('cpe:2.3:a:offis:dcmtk:3.6.8:*:*:*:*:*:*:*')!));
    const tgt = parseCpe('cpe:2.3:a:x:y:*:*:*:*:*:windows:*:*')!;
    assert.ok(!cpeAdmits(tgt, parseCpe('cpe:2.3:a:x:y:1:*:*:*:*:linux:*:*')!));
    assert.ok(cpeAdmits(tgt, parseCpe('cpe:2.3:a:x:y:1:*:*:*:*:*:*:*')!));
  });
});

describe('purl', () => {
  it('parses namespaces, versions, qualifiers and encodings', () => {
    const p = parsePurl('pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar')!;
    assert.equal(p.type, 'maven');
    assert.equal(p.fullName, 'com.fasterxml.jackson.core:jackson-databind');
    assert.equal(p.version, '2.10.0');
    const n = parsePurl('pkg:npm/%40angular/core@1.0.0')!;
    assert.equal(n.fullName, '@angular/core');
    assert.equal(parsePurl('pkg:pypi/requests')!.version, undefined);
    assert.equal(parsePurl('https://example.org'), undefined);
    assert.equal(ecosystemType('Alpine:v3.3'), 'apk');
    assert.equal(ecosystemType('PyPI'), 'pypi');
  });
});

describe('CVSS v3 base score from a vector (OSV gives only vectors)', () => {
  it('matches the scores NVD publishes for these vectors', async () => {
    const { cvss3BaseScore } = await import('../../src/feeds/cvss.ts');
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H'), 8.8);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H'), 10);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'), 7.5);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H'), 8.1);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N'), 4.7);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N'), 5.3);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N'), 0);
    assert.equal(cvss3BaseScore('CVSS:2.0/AV:N'), undefined);
    assert.equal(cvss3BaseScore('CVSS:3.1/AV:X/AC:L'), undefined);
  });
});
