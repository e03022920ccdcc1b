/**
 * Cleartext credential spotting. Only the fact and the scheme leave this
 * module: never the user name, the password, or the encoded header value.
 */

/** Authorization schemes whose value is a reusable secret when sent without TLS. */
const CLEARTEXT_SCHEMES = new Set(['basic', 'bearer', 'apikey', 'token']);

const KNOWN_SCHEMES = new Set([
  'basic', 'bearer', 'digest', 'ntlm', 'negotiate', 'hoba', 'mutual', 'aws4-hmac-sha256', 'apikey', 'token', 'oauth',
  'scram-sha-1', 'scram-sha-256', 'vapid', 'hmac', 'dpop', 'gssapi',
]);

/**
 * The lower-case scheme of an Authorization header, and whether it exposes a
 * reusable secret. Unknown schemes are reported as "other": an unknown first
 * word might be the secret itself.
 */
export function authorizationScheme(value: string): { scheme: string; cleartext: boolean } {
  const trimmed = value.trimStart();
  const sp = trimmed.search(/\s/);
  const word = (sp < 0 ? trimmed : trimmed.slice(0, sp)).toLowerCase();
  if (!KNOWN_SCHEMES.has(word)) return { scheme: 'other', cleartext: true };
  return { scheme: word, cleartext: CLEARTEXT_SCHEMES.has(word) };
}

const MAX_KEY = 32;
const KEYS = ['pass', 'passwd', 'password', 'pwd', 'passphrase', 'secret', 'pin', 'j_password', 'user_password', 'client_secret'];

/**
 * Scans an application/x-www-form-urlencoded body, possibly split over many
 * chunks, for a field named like a password. Values are skipped byte by byte
 * and never buffered; only key names (at most 32 bytes) are held.
 */
export class FormPasswordScanner {
  private key = new Uint8Array(MAX_KEY);
  private keyLen = 0;
  private inValue = false;
  private overflow = false;
  found = false;

  reset(): void {
    this.keyLen = 0;
    this.inValue = false;
    this.overflow = false;
    this.found = false;
  }

  feed(buf: Uint8Array, start: number, end: number): void {
    if (this.found) return;
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c === 38 /* & */) {
        this.keyLen = 0;
        this.inValue = false;
        this.overflow = false;
      } else if (this.inValue) {
        continue;
      } else if (c === 61 /* = */) {
        this.inValue = true;
        if (!this.overflow && this.matches()) {
          this.found = true;
          return;
        }
      } else if (this.keyLen < MAX_KEY) {
        this.key[this.keyLen++] = c >= 65 && c <= 90 ? c + 32 : c;
      } else {
        this.overflow = true;
      }
    }
  }

  private matches(): boolean {
    for (const k of KEYS) {
      if (k.length !== this.keyLen) continue;
      let ok = true;
      for (let j = 0; j < k.length; j++) {
        if (this.key[j] !== k.charCodeAt(j)) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
    }
    return false;
  }
}

const FIELD_NAMES = ['password', 'passwd', 'pwd', 'passphrase', 'client_secret', 'secret'];
const enc = new TextEncoder();
const JSON_PATTERNS = FIELD_NAMES.map((n) => enc.encode(`"${n}"`));
const MULTIPART_PATTERNS = FIELD_NAMES.map((n) => enc.encode(`name="${n}"`));

/**
 * Finds a password-named field in JSON (`"password": ...`) or multipart
 * (`name="password"`) bodies, split over any number of chunks. It matches
 * byte patterns with one small index per pattern; nothing is buffered.
 */
export class PatternPasswordScanner {
  private readonly patterns: Uint8Array[];
  private readonly at: Int32Array;
  /** JSON: a key matched, waiting for the ':' that makes it a key rather than a value. */
  private readonly needColon: boolean;
  private colonPending = false;
  found = false;

  constructor(kind: 'json' | 'multipart') {
    this.patterns = kind === 'json' ? JSON_PATTERNS : MULTIPART_PATTERNS;
    this.at = new Int32Array(this.patterns.length);
    this.needColon = kind === 'json';
  }

  reset(): void {
    this.at.fill(0);
    this.colonPending = false;
    this.found = false;
  }

  feed(buf: Uint8Array, start: number, end: number): void {
    for (let i = start; i < end && !this.found; i++) {
      let c = buf[i];
      if (this.colonPending) {
        if (c === 58 /* : */) {
          this.found = true;
          return;
        }
        if (c !== 32 && c !== 9 && c !== 10 && c !== 13) this.colonPending = false;
      }
      if (c >= 65 && c <= 90) c += 32;
      for (let p = 0; p < this.patterns.length; p++) {
        const pat = this.patterns[p];
        if (pat[this.at[p]] === c) this.at[p]++;
        else this.at[p] = pat[0] === c ? 1 : 0;
        if (this.at[p] === pat.length) {
          this.at[p] = 0;
          if (this.needColon) this.colonPending = true;
          else this.found = true;
        }
      }
    }
  }
}
