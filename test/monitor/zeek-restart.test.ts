/**
 * Zeek tailing across monitor restarts: the tail position is committed with
 * the window its lines fed, so a restart (after kill -9, after a rotation
 * while the monitor was down) resumes exactly there. The stored edge totals
 * are checked against the batch reader (what `wardline discover` uses) over
 * the same lines, each once: nothing lost, nothing counted twice.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openModel } from '../../src/model/open.ts';
import { MonitorEngine } from '../../src/monitor/engine.ts';
import { LiveInputs, zeekInputKey } from '../../src/monitor/inputs.ts';
import { loadTailPositions } from '../../src/monitor/tail-store.ts';
import { ZeekTailer } from '../../src/monitor/zeek-tail.ts';
import { edgeKey } from '../../src/observations/types.ts';
import { readZeek } from '../../src/sources/zeek/index.ts';
import type { Db } from '../../src/store/db.ts';
import { openStore } from '../../src/store/open.ts';
import { REPO, corpusFile } from '../helpers/corpus.ts';
import { startPostgres, type PostgresHandle } from '../helpers/postgres.ts';
import { metric, query, sleep, startMonitor, started } from './harness.ts';

const TMP = mkdtempSync(join(tmpdir(), 'wl-monitor-zeek-restart-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const MODEL = join(REPO, 'examples', 'hospital');
const { model } = openModel(MODEL);

/** The corpus log split into its header and its data lines. */
function sample(name: string): { head: string[]; data: string[] } {
  const src = readFileSync(corpusFile('zeek', name), 'utf8').split('\n');
  return { head: src.filter((l) => l.trimStart().startsWith('#') && !l.startsWith('#close')), data: src.filter((l) => l && !l.trimStart().startsWith('#')) };
}

/** Another file's header: Zeek stamps each new log with its own #open time. */
function reopened(head: string[], stamp: string): string[] {
  return head.map((l) => (l.startsWith('#open') ? `#open\t${stamp}` : l));
}

const lines = (ls: string[]): string => ls.map((l) => `${l}\n`).join('');

function fileId(path: string): string {
  const st = statSync(path, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

type Totals = Map<string, { bytes: number; packets: number; sessions: number }>;

/** The one-shot batch reader over the given lines: the reference every restart must reproduce. */
async function reference(head: string[], data: string[]): Promise<Totals> {
  const f = join(TMP, `ref-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(f, lines([...head, ...data]));
  const r = await readZeek(f);
  const out: Totals = new Map();
  for (const e of r.edges) {
    const k = edgeKey(e);
    const have = out.get(k) ?? { bytes: 0, packets: 0, sessions: 0 };
    out.set(k, { bytes: have.bytes + e.bytes, packets: have.packets + e.packets, sessions: have.sessions + e.sessions });
  }
  return out;
}

function totalsOf(rows: Array<{ edge_key: string; bytes: unknown; packets: unknown; sessions: unknown }>): Totals {
  return new Map(rows.map((r) => [r.edge_key, { bytes: Number(r.bytes), packets: Number(r.packets), sessions: Number(r.sessions) }]));
}

function sorted(t: Totals): Array<[string, { bytes: number; packets: number; sessions: number }]> {
  return [...t].sort(([a], [b]) => a.localeCompare(b));
}

describe('ZeekTailer positions', () => {
  const { head, data } = sample('zeek_baseline_opt.basic_conn.log');

  test('a position ends at a line boundary; resuming from it reads every later line once, the cut line whole', () => {
    const dir = join(TMP, 'unit-boundary');
    mkdirSync(dir);
    const log = join(dir, 'conn.log');
    const seen: string[] = [];
    const key = (c: { uid: string }) => c.uid;
    writeFileSync(log, lines([...head, ...data.slice(0, 3)]));
    const a = new ZeekTailer(dir, (c) => seen.push(key(c)));
    assert.equal(a.resume, 'fresh');
    a.poll();
    // Half a line: read, but not handed out, so not part of the position.
    appendFileSync(log, data[3].slice(0, 12));
    a.poll();
    const p = a.position();
    a.stop();
    assert.ok(p);
    assert.equal(p.offset, Buffer.byteLength(lines([...head, ...data.slice(0, 3)])));
    assert.equal(p.file, fileId(log));
    assert.ok(p.header.some((h) => h.startsWith('#fields')));
    assert.equal(seen.length, 3);
    appendFileSync(log, `${data[3].slice(12)}\n${lines(data.slice(4))}`);
    const b = new ZeekTailer(dir, (c) => seen.push(key(c)), { resume: p });
    assert.equal(b.resume, 'resumed');
    b.poll();
    b.stop();
    // Column positions came from the stored header: the uids are the real ones, each once.
    assert.deepEqual(seen, data.map((l) => l.split('\t')[1]));
    assert.equal(b.parser.anomalies.list().length, 0);
  });

  test('rotated while down: the rest of the renamed file, then the new conn.log from its start', () => {
    const dir = join(TMP, 'unit-rotated');
    mkdirSync(dir);
    const log = join(dir, 'conn.log');
    const seen: string[] = [];
    writeFileSync(log, lines([...head, ...data.slice(0, 4)]));
    const a = new ZeekTailer(dir, (c) => seen.push(c.uid));
    a.poll();
    const p = a.position()!;
    a.stop();
    appendFileSync(log, lines(data.slice(4, 8)));
    renameSync(log, join(dir, 'conn.2026-11-28-13-00-00.log'));
    writeFileSync(log, lines([...reopened(head, '2026-11-28-13-00-00'), ...data.slice(8)]));
    const b = new ZeekTailer(dir, (c) => seen.push(c.uid), { resume: p });
    assert.equal(b.resume, 'resumed-rotated');
    b.poll();
    assert.equal(b.rotations, 1);
    assert.equal(b.position()!.file, fileId(log));
    b.stop();
    assert.deepEqual(seen, data.map((l) => l.split('\t')[1]));
  });

  test('the same inode rewritten with other content (copytruncate, inode reuse) is not resumed mid-file', () => {
    const dir = join(TMP, 'unit-replaced');
    mkdirSync(dir);
    const log = join(dir, 'conn.log');
    writeFileSync(log, lines([...head, ...data.slice(0, 4)]));
    const a = new ZeekTailer(dir, () => undefined);
    a.poll();
    const p = a.position()!;
    a.stop();
    truncateSync(log, 0);
    // Longer than the stored offset, same inode: only the fingerprint tells it apart.
    appendFileSync(log, lines([...reopened(head, '2026-11-28-14-00-00'), ...data.slice(4)]));
    assert.equal(fileId(log), p.file);
    assert.ok(statSync(log).size >= p.offset);
    const seen: string[] = [];
    const b = new ZeekTailer(dir, (c) => seen.push(c.uid), { resume: p });
    assert.equal(b.resume, 'stale');
    b.poll();
    b.stop();
    assert.deepEqual(seen, data.slice(4).map((l) => l.split('\t')[1]));
  });
});

/**
 * In process, on both stores: engine + live inputs, a crash after a window
 * (lines read but never committed), a new engine on the same store.
 */
async function restartOnStore(open: () => Promise<Db>, dir: string): Promise<void> {
  const { head, data } = sample('slips_test10_mixed_conn.tsv.log');
  mkdirSync(dir);
  const log = join(dir, 'conn.log');
  const third = Math.floor(data.length / 3);
  const run = async (before: () => void, commit: boolean): Promise<void> => {
    const db = await open();
    const engine = new MonitorEngine({ db, model, learnFirstWindow: false });
    const inputs = new LiveInputs(engine.window, engine.metrics);
    await inputs.start({ zeekDirs: [dir], tailPositions: await loadTailPositions(db, '') });
    engine.checkpoint = () => inputs.checkpoint();
    before();
    inputs.tailers[0].poll();
    if (commit) await engine.evaluateWindow();
    // A crash: whatever the window holds now is never committed.
    appendFileSync(log, lines(data.slice(third, third + 5)));
    inputs.tailers[0].poll();
    await inputs.stop();
    await db.close();
  };
  writeFileSync(log, lines(head));
  await run(() => appendFileSync(log, lines(data.slice(0, third))), true);
  await run(() => {
    // While down: the rest of the old file, a rotation, a new file.
    appendFileSync(log, lines(data.slice(third + 5, 2 * third)));
    renameSync(log, join(dir, 'conn.2026-11-28-13-00-00.log'));
    writeFileSync(log, lines([...reopened(head, '2026-11-28-13-00-00'), ...data.slice(2 * third)]));
  }, true);
  // The third run resumes in the new conn.log where the second run's window ended: the lines that run's crash appended
  // (read, never committed) are read again and committed once.
  await run(() => undefined, true);
  const db = await open();
  try {
    const rows = await db.all<{ edge_key: string; bytes: unknown; packets: unknown; sessions: unknown }>("SELECT edge_key, bytes, packets, sessions FROM monitor_edges WHERE site = ''");
    const stored = await loadTailPositions(db, '');
    const p = stored.get(zeekInputKey(dir));
    assert.ok(p);
    assert.equal(p.file, fileId(log));
    // The last run's own crash lines are read, not committed: the committed offset ends before them.
    const committedLines = [...data.slice(2 * third), ...data.slice(third, third + 5)];
    assert.equal(p.offset, Buffer.byteLength(lines([...reopened(head, '2026-11-28-13-00-00'), ...committedLines])));
    const want = await reference(head, [...data.slice(0, third), ...data.slice(third, 2 * third), ...committedLines]);
    assert.deepEqual(sorted(totalsOf(rows)), sorted(want));
  } finally {
    await db.close();
  }
}

describe('restart on the store, in process', () => {
  let pg: PostgresHandle | undefined;
  before(async () => { pg = await startPostgres(); });
  after(async () => { await pg?.stop(); });

  test('SQLite: two crashes (one across a rotation): edge totals equal the lines, each once', async () => {
    await restartOnStore(() => openStore(join(TMP, 'inproc.db')), join(TMP, 'inproc-sqlite'));
  });

  test('PostgreSQL: the same', async () => {
    await restartOnStore(() => openStore(pg!.url), join(TMP, 'inproc-pg'));
  });
});


function committed(db: string, dir: string): { file_id: string; byte_offset: number } | undefined {
  try {
    const r = query<{ file_id: string; byte_offset: number }>(db, `SELECT file_id, byte_offset FROM monitor_tail WHERE input = '${zeekInputKey(dir).replaceAll("'", "''")}'`);
    return r[0];
  } catch (err) {
    if (/no such table|unable to open/i.test((err as Error).message)) return undefined;
    throw err;
  }
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('wardline monitor --zeek: kill -9 after a committed window, rotation while down, restart: edge totals equal discover over the same lines', { timeout: 120_000 }, async () => {
  const { head, data } = sample('slips_test10_mixed_conn.tsv.log');
  const dir = join(TMP, 'cli');
  mkdirSync(dir);
  const log = join(dir, 'conn.log');
  const db = join(TMP, 'cli.db');
  const third = Math.floor(data.length / 3);
  const [a, b, c] = [data.slice(0, third), data.slice(third, 2 * third), data.slice(2 * third)];
  writeFileSync(log, lines([...head, ...a]));
  const args = ['--model', MODEL, '--zeek', dir, '--window', '2s', '--db', db, '--no-learn', '--health', '0'];
  const m1 = startMonitor(args);
  let before = 0;
  try {
    const { health } = await started(m1);
    // Right after a commit: a few more lines, read by the tailer (counted) but not yet committed when the monitor dies.
    // Should a window commit them first (a stalled machine), the next few lines try again.
    for (let tries = 0; tries < 3; tries++) {
      await until('everything so far committed', () => committed(db, dir)?.byte_offset === statSync(log).size);
      appendFileSync(log, lines(b.slice(before, before + 5)));
      before += 5;
      await until('the new lines read', async () => await metric(health!, 'wardline_monitor_records_total') >= a.length + before);
      if (Number(committed(db, dir)!.byte_offset) < statSync(log).size) break;
    }
    m1.proc.kill('SIGKILL');
    await m1.exited;
  } finally {
    if (m1.proc.exitCode === null) m1.proc.kill('SIGKILL');
  }
  assert.ok(Number(committed(db, dir)!.byte_offset) < statSync(log).size, 'lines were read but not committed when the monitor was killed');
  // While down: the old file grows, is rotated away, a new conn.log begins.
  appendFileSync(log, lines(b.slice(before)));
  renameSync(log, join(dir, 'conn.2026-11-28-13-00-00.log'));
  writeFileSync(log, lines([...reopened(head, '2026-11-28-13-00-00'), ...c]));
  const m2 = startMonitor(args);
  try {
    await started(m2);
    assert.match(m2.stderr(), /"resume":"resumed-rotated"/);
    await until('the new file committed', () => {
      const r = committed(db, dir);
      return r?.file_id === fileId(log) && Number(r.byte_offset) === statSync(log).size;
    });
    m2.proc.kill('SIGTERM');
    assert.equal(await m2.exited, 0, m2.stderr().slice(-2000));
  } finally {
    if (m2.proc.exitCode === null) m2.proc.kill('SIGKILL');
  }
  const rows = query<{ edge_key: string; bytes: number; packets: number; sessions: number }>(db, "SELECT edge_key, bytes, packets, sessions FROM monitor_edges WHERE site = ''");
  assert.deepEqual(sorted(totalsOf(rows)), sorted(await reference(head, [...a, ...b, ...c])));
});
