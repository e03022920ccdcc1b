import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, verifyPassword } from '../../src/serve/password.ts';
import { LoginLimiter } from '../../src/serve/ratelimit.ts';
import { SessionStore, parseCookies, sameToken, sessionCookie } from '../../src/serve/session.ts';

describe('dashboard authentication pieces', () => {
  it('scrypt hashes verify, differ per salt, and refuse tampered or absurd parameters', async () => {
    const a = await hashPassword('a long enough password');
    const b = await hashPassword('a long enough password');
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('a long enough password', a), true);
    assert.equal(await verifyPassword('a long enough passworD', a), false);
    const parts = a.split('$');
    assert.equal(await verifyPassword('a long enough password', [...parts.slice(0, 1), String(1 << 30), ...parts.slice(2)].join('$')), false);
    assert.equal(await verifyPassword('a long enough password', 'plaintext'), false);
    const key = Buffer.from(parts[5], 'base64url');
    key[0] ^= 1;
    assert.equal(await verifyPassword('a long enough password', [...parts.slice(0, 5), key.toString('base64url')].join('$')), false);
  });

  it('sessions end after the idle timeout and the absolute lifetime', () => {
    const s = new SessionStore({ idleMs: 1000, maxMs: 5000 });
    const x = s.create('alice', 'admin', 0);
    assert.equal(s.get(x.id, 900)?.user, 'alice');
    assert.equal(s.get(x.id, 1800)?.user, 'alice', 'activity keeps it alive');
    assert.equal(s.get(x.id, 2801), undefined, 'idle too long');
    const y = s.create('bob', 'viewer', 0);
    for (let t = 900; t < 5000; t += 900) assert.ok(s.get(y.id, t));
    assert.equal(s.get(y.id, 5001), undefined, 'absolute lifetime');
    assert.notEqual(x.csrf, y.csrf);
    assert.ok(sameToken(x.csrf, x.csrf) && !sameToken(undefined, x.csrf) && !sameToken(`${x.csrf}x`, x.csrf));
    assert.equal(parseCookies(`a=1; ${sessionCookie('abc', true, 60).split(';')[0]}`).get('wardline_session'), 'abc');
    assert.match(sessionCookie('abc', true, 60), /HttpOnly; SameSite=Strict; Max-Age=60; Secure$/);
  });

  it('the login limiter counts per key in a sliding window', () => {
    const l = new LoginLimiter({ limit: 3, windowMs: 1000 });
    for (let i = 0; i < 3; i++) { assert.equal(l.retryAfter(['ip:a'], i), 0); l.fail(['ip:a', 'user:x'], i); }
    assert.equal(l.retryAfter(['ip:a'], 10), 990);
    assert.equal(l.retryAfter(['ip:b', 'user:x'], 10), 990, 'the user name is limited from any address');
    assert.equal(l.retryAfter(['ip:a'], 1000), 0, 'the first failure left the window');
    l.succeed(['user:x']);
    assert.equal(l.retryAfter(['user:x'], 10), 0);
  });
});
