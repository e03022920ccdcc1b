import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, cidrsOverlap, formatIPv4, isPrivateAddress, parseCidr, parseIPv4, parseIPv6 } from '../../src/core/net.ts';

describe('addresses and CIDRs', () => {
  it('parses IPv4 strictly', () => {
    assert.equal(parseIPv4('10.20.20.10'), 0x0a14140a);
    for (const bad of ['10.20.20', '10.20.20.256', '1.2.3.4.5', 'a.b.c.d', '', '1..2.3']) assert.equal(parseIPv4(bad), undefined, bad);
    assert.equal(formatIPv4(0x0a14140a), '10.20.20.10');
  });

  it('parses IPv6 with compression and an embedded IPv4 tail', () => {
    assert.equal(parseIPv6('::1'), 1n);
    assert.equal(parseIPv6('fd00::1'), (0xfd00n << 112n) | 1n);
    assert.equal(parseIPv6('::ffff:10.0.0.1'), (0xffffn << 32n) | 0x0a000001n);
    for (const bad of ['1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9']) assert.equal(parseIPv6(bad), undefined, bad);
  });

  it('contains and overlaps, host bits ignored, families kept apart', () => {
    const z = parseCidr('10.20.20.0/24')!;
    assert.ok(cidrContains(z, '10.20.20.10'));
    assert.ok(!cidrContains(z, '10.20.21.10'));
    assert.ok(!cidrContains(z, '::ffff:10.20.20.10'));
    assert.ok(cidrContains(parseCidr('10.20.20.77/24')!, '10.20.20.1'));
    assert.ok(cidrsOverlap(parseCidr('10.0.0.0/8')!, z));
    assert.ok(!cidrsOverlap(parseCidr('10.30.0.0/16')!, z));
    assert.ok(cidrContains(parseCidr('0.0.0.0/0')!, '203.0.113.77'));
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.equal(parseCidr('10.0.0.0/8/1'), undefined);
  });

  it('parses dotted quads and nothing else', () => {
    assert.equal(parseIPv4('10.77.0.30'), 10 * 2 ** 24 + 77 * 2 ** 16 + 30);
    assert.equal(parseIPv4('255.255.255.255'), 2 ** 32 - 1);
    assert.equal(parseIPv4('0.0.0.0'), 0);
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', '1.2.3.a', '1234.1.1.1', '', '::1']) {
      assert.equal(parseIPv4(bad), undefined, bad);
    }
  });

  it('tells private from internet addresses', () => {
    const cases: Record<string, boolean> = {
      '10.1.2.3': true, '172.16.10.30': true, '172.32.0.1': false, '192.168.1.1': true, '127.0.0.1': true,
      '100.64.1.1': true, '169.254.1.1': true, '8.8.8.8': false, '203.0.113.77': false,
      'fd00::1': true, 'fe80::1': true, '::1': true, '2001:db8::1': false, 'not-an-address': false,
    };
    for (const [addr, priv] of Object.entries(cases)) assert.equal(isPrivateAddress(addr), priv, addr);
  });
});
