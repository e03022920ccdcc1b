/**
 * What every fuzz harness shares: seeded generators, the generic byte and
 * text mutations, the case loop (per-case time limit, expected errors,
 * failure report) and the command-line entry. A harness brings its samples,
 * its structure-aware mutations and its invariants.
 */

export type Rand = () => number;

/** mulberry32: the harnesses' default generator, so a printed seed replays a failure. */
export function rng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** xorshift32: kept for the harnesses and tests whose recorded seeds were found with it. */
export function xorshift(seed: number): Rand {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

export function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Applies 1..6 random edits: flips, inserted tokens, deletions, duplicated slices, truncation, random runs, extreme 16-bit values. */
export function mutate(src: Uint8Array, r: Rand, tokens: Uint8Array[]): Uint8Array {
  let b = src;
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (b.length + 1));
    const op = Math.floor(r() * 7);
    if (op === 0 && b.length > 0) {
      const c = b.slice();
      c[Math.min(at, c.length - 1)] ^= 1 << Math.floor(r() * 8);
      b = c;
    } else if (op === 1) {
      const t = tokens[Math.floor(r() * tokens.length)];
      b = concat(b.subarray(0, at), t, b.subarray(at));
    } else if (op === 2) {
      b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(r() * 32))));
    } else if (op === 3) {
      const from = Math.floor(r() * b.length);
      b = concat(b.subarray(0, at), b.subarray(from, from + Math.floor(r() * 128)), b.subarray(at));
    } else if (op === 4) {
      b = b.subarray(0, at);
    } else if (op === 5) {
      const run = new Uint8Array(Math.floor(r() * 64));
      for (let i = 0; i < run.length; i++) run[i] = Math.floor(r() * 256);
      b = concat(b.subarray(0, at), run, b.subarray(at));
    } else if (b.length > 1) {
      // Overwrite a 16-bit value with an extreme: lengths are the usual weak spot.
      const c = b.slice();
      const p = Math.min(at, c.length - 2);
      const v = [0, 0xffff, 0x7fff, 0x8000, 1][Math.floor(r() * 5)];
      c[p] = v >> 8;
      c[p + 1] = v & 0xff;
      b = c;
    }
  }
  return b;
}

export interface TextMutation {
  /** At most this many edits per case. */
  edits: number;
  tokens: readonly string[];
  /** Longest run a deletion removes (plus one). */
  cut: number;
  /** Longest slice copied elsewhere. */
  slice: number;
  /** A string repeated up to n times: deep nesting, huge fields. Each is an operator of its own. */
  floods: ReadonlyArray<readonly [string, number]>;
}

/** Text edits: deletions, inserted tokens, replaced characters, duplicated slices, truncation, floods. */
export function mutateText(text: string, r: Rand, m: TextMutation): string {
  let s = text;
  const n = 1 + Math.floor(r() * m.edits);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = Math.floor(r() * (5 + m.floods.length));
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * m.cut));
    else if (op === 1) s = s.slice(0, at) + m.tokens[Math.floor(r() * m.tokens.length)] + s.slice(at);
    else if (op === 2) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + s.slice(at + 1);
    else if (op === 3) {
      const b = Math.floor(r() * s.length);
      s = s.slice(0, at) + s.slice(b, b + Math.floor(r() * m.slice)) + s.slice(at);
    } else if (op === 4) s = s.slice(0, at);
    else {
      const [unit, max] = m.floods[op - 5];
      s = s.slice(0, at) + unit.repeat(Math.floor(r() * max)) + s.slice(at);
    }
  }
  return s;
}

export interface FuzzSpec<T> {
  name: string;
  cases: number;
  seed: number;
  /** Defaults to rng(seed). */
  rand?: Rand;
  /** Builds case i; undefined when the mutations left nothing to run (the case is skipped, not timed). */
  gen(r: Rand, i: number): T | undefined;
  /** Runs the code under test; a thrown error or a returned message is a failure. */
  check(input: T, r: Rand, i: number): string | undefined | void;
  /** Names the sample in failure messages. */
  label?(input: T): string;
  /** Errors the code is meant to raise on bad input (InputError): counted, not failures. */
  expected?(err: unknown): boolean;
  /** A case slower than this is a failure (a hang). */
  slowMs?: number;
  /** Stop once this many failures were seen. */
  stopAfter?: number;
  /** Keep at most this many failure messages (the run goes on). */
  keep?: number;
  prefix?: string;
}

export interface FuzzRun {
  /** Cases run (not skipped). */
  ran: number;
  skipped: number;
  expected: number;
  slowestMs: number;
  failures: string[];
}

/** Set by fuzzMain: progress lines belong on a terminal, not in test output. */
let progressEvery = 0;

function describe(err: unknown): string {
  return err instanceof Error ? err.stack ?? err.message : String(err);
}

export function runFuzz<T>(spec: FuzzSpec<T>): FuzzRun {
  const r = spec.rand ?? rng(spec.seed);
  const run: FuzzRun = { ran: 0, skipped: 0, expected: 0, slowestMs: 0, failures: [] };
  const keep = spec.keep ?? Infinity;
  let failed = 0;
  const fail = (i: number, input: T, msg: string) => {
    failed++;
    if (run.failures.length >= keep) return;
    const label = spec.label ? `, ${spec.label(input)}` : '';
    run.failures.push(`${spec.prefix ?? ''}case ${i} (seed ${spec.seed}${label}): ${msg}`);
  };
  const t0 = performance.now();
  for (let i = 0; i < spec.cases; i++) {
    if (progressEvery && i > 0 && i % progressEvery === 0) process.stderr.write(`${spec.name}: ${i} cases, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const input = spec.gen(r, i);
    if (input === undefined) {
      run.skipped++;
      continue;
    }
    const started = performance.now();
    try {
      const problem = spec.check(input, r, i);
      if (problem) fail(i, input, problem);
    } catch (err) {
      if (spec.expected?.(err)) run.expected++;
      else fail(i, input, describe(err));
    }
    const ms = performance.now() - started;
    if (ms > run.slowestMs) run.slowestMs = ms;
    if (spec.slowMs !== undefined && ms > spec.slowMs) fail(i, input, `took ${ms.toFixed(0)} ms`);
    run.ran++;
    if (spec.stopAfter !== undefined && failed >= spec.stopAfter) break;
  }
  return run;
}

/**
 * The command line of a harness: `node fuzz/<area>.ts [cases] [seed]`.
 * `run` returns its failures and a one-line summary of what it exercised.
 */
export function fuzzMain(name: string, run: (cases: number, seed: number) => { failures: readonly string[]; summary: string }, defaultSeed = 1): void {
  const cases = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? defaultSeed);
  progressEvery = 10_000;
  const t0 = performance.now();
  const res = run(cases, seed);
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`${name} fuzz: ${cases} cases, seed ${seed}, ${s} s: ${res.summary}; ${res.failures.length} failure(s)`);
  for (const f of res.failures) console.log(f);
  process.exitCode = res.failures.length ? 1 : 0;
}
