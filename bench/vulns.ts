/**
 * Vulnerability matching at NVD scale: ~300k CVEs generated from the shape
 * of a real NVD CVE API 2.0 record (the Orthanc CVE-2023-33466 record, from
 * the corpus when present, else the repository fixture), written as paged
 * API responses and imported with `importFeeds` into a fresh SQLite store;
 * then 10k asset identities matched through the (product, vendor) index.
 * The peer is a straightforward nested loop (every identity against every
 * affected-product entry) on a subset, side by side with the indexed match
 * of the same subset; medians of BENCH_RUNS (default 3) and the ratio.
 *   node bench/vulns.ts [cves] [assets]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importFeeds } from '../src/feeds/import.ts';
import type { SoftwareIdentity } from '../src/feeds/identity.ts';
import { dbIndex, explainMatch, matchIdentities, memoryIndex, type IndexRow } from '../src/feeds/match.ts';
import type { AffectedProduct } from '../src/feeds/types.ts';
import { openStore } from '../src/store/open.ts';
import { median } from './lib.ts';
import { CORPUS, REPO } from '../test/helpers/corpus.ts';

const CVES = Number(process.argv[2] ?? 300_000);
const ASSETS = Number(process.argv[3] ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PRODUCTS = 20_000;
const SUBSET = 300;
const PAGE = 2000;

let seed = 0x5eed;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}
function version(): string {
  return `${rnd(12)}.${rnd(20)}.${rnd(30)}`;
}
/** CPU time (user+system) of this process, ms: the machine is shared, so wall time alone overstates. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
function log(msg: string): void {
  process.stderr.write(`[bench vulns] ${msg}\n`);
}

const templatePath = existsSync(join(CORPUS, 'feeds', 'nvd_cve_CVE-2023-33466_orthanc.json'))
  ? join(CORPUS, 'feeds', 'nvd_cve_CVE-2023-33466_orthanc.json')
  : join(REPO, 'test', 'fixtures', 'vulns', 'nvd-CVE-2023-33466.json');
const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Record<string, unknown>;

/** One CVE in the template's shape: 1-3 cpeMatch entries over the product pool, each with a bound or an exact version. */
function makeCve(i: number): Record<string, unknown> {
  const matches = [];
  for (let k = 0, n = 1 + rnd(3); k < n; k++) {
    const p = rnd(PRODUCTS);
    const m: Record<string, unknown> = { vulnerable: true, matchCriteriaId: `00000000-0000-0000-0000-${String(i * 4 + k).padStart(12, '0')}` };
    const kind = rnd(4);
    if (kind === 0) m.criteria = `cpe:2.3:a:vendor${p % 5000}:product${p}:${version()}:*:*:*:*:*:*:*`;
    else {
      m.criteria = `cpe:2.3:a:vendor${p % 5000}:product${p}:*:*:*:*:*:*:*:*`;
      if (kind >= 2) m.versionStartIncluding = `${rnd(4)}.0`;
      m.versionEndExcluding = version();
    }
    matches.push(m);
  }
  const year = 2000 + (i % 26);
  return {
    ...template,
    id: `CVE-${year}-${100000 + i}`,
    lastModified: '2025-01-01T00:00:00.000',
    metrics: { cvssMetricV31: [{ source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '3.1', baseScore: 1 + rnd(90) / 10, baseSeverity: 'HIGH' } }] },
    configurations: [{ nodes: [{ operator: 'OR', negate: false, cpeMatch: matches }] }],
  };
}

function identities(n: number): SoftwareIdentity[] {
  const out: SoftwareIdentity[] = [];
  for (let a = 0; a < n; a++) {
    const p = rnd(PRODUCTS);
    const v = version();
    const cpe = { part: 'a', vendor: `vendor${p % 5000}`, product: `product${p}`, version: v, update: '*', edition: '*', language: '*', swEdition: '*', targetSw: '*', targetHw: '*', other: '*' };
    out.push({ asset: `asset-${a}`, display: `product${p} ${v}`, vendor: cpe.vendor, product: cpe.product, version: v, cpe, source: 'model-cpe', detail: 'bench', confidence: 'high' });
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wl-vulns-bench-'));
  try {
    log(`generating ${CVES.toLocaleString('en-US')} CVEs over ${PRODUCTS.toLocaleString('en-US')} products from ${templatePath.includes('corpus') ? 'the corpus' : 'the fixture'} record shape`);
    const files: string[] = [];
    for (let start = 0; start < CVES; start += PAGE) {
      const vulns = [];
      for (let i = start; i < Math.min(CVES, start + PAGE); i++) vulns.push({ cve: makeCve(i) });
      const f = join(dir, `nvd-page-${String(start / PAGE).padStart(4, '0')}.json`);
      writeFileSync(f, JSON.stringify({ resultsPerPage: vulns.length, startIndex: start, totalResults: CVES, format: 'NVD_CVE', version: '2.0', vulnerabilities: vulns }));
      files.push(f);
    }
    const db = await openStore(join(dir, 'bench.db'));
    let t = performance.now();
    let c = cpuMs();
    const rep = await importFeeds(db, files);
    const importS = (performance.now() - t) / 1000;
    const importCpuS = (cpuMs() - c) / 1000;
    const entries = Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM advisory_products'))!.n);
    log(`imported ${rep.imported.reduce((n, f) => n + f.advisories, 0).toLocaleString('en-US')} CVEs (${entries.toLocaleString('en-US')} affected-product rows) in ${importS.toFixed(1)} s`);

    const ids = identities(ASSETS);
    const storeTimes: number[] = [];
    const storeCpu: number[] = [];
    let storeMatches = 0;
    for (let r = 0; r < RUNS; r++) {
      t = performance.now();
      c = cpuMs();
      storeMatches = (await matchIdentities(ids, dbIndex(db))).length;
      storeTimes.push(performance.now() - t);
      storeCpu.push(cpuMs() - c);
    }
    log(`store-indexed match, ${ASSETS} identities: median ${median(storeTimes).toFixed(0)} ms, ${storeMatches} matches`);

    // The peer: every identity against every entry, on a subset; and the indexed match of the same subset in memory.
    const rows = (await db.all<{ adv_key: string; entry_json: string }>('SELECT adv_key, entry_json FROM advisory_products')).map((x): IndexRow => ({ advKey: x.adv_key, entry: JSON.parse(x.entry_json) as AffectedProduct }));
    const sub = ids.slice(0, SUBSET);
    const mem = memoryIndex(rows);
    await matchIdentities(sub, mem); // warm-up: the first call pays for JIT and the CPE parse cache
    const loopTimes: number[] = [];
    const idxTimes: number[] = [];
    let loopN = 0, idxN = 0;
    for (let r = 0; r < RUNS; r++) {
      c = cpuMs();
      loopN = 0;
      for (const id of sub) for (const row of rows) if (explainMatch(id, row.entry)) loopN++;
      loopTimes.push(cpuMs() - c);
      c = cpuMs();
      idxN = (await matchIdentities(sub, mem)).length;
      idxTimes.push(cpuMs() - c);
    }
    if (loopN !== idxN) throw new Error(`nested loop found ${loopN} matches, index ${idxN}`);
    const lm = median(loopTimes), im = median(idxTimes);
    const lines = [
      `feed: ${CVES.toLocaleString('en-US')} CVEs, ${entries.toLocaleString('en-US')} affected-product rows; import ${importS.toFixed(1)} s wall, ${importCpuS.toFixed(1)} s CPU (${Math.round(CVES / importS).toLocaleString('en-US')} CVEs/s wall)`,
      `match ${ASSETS.toLocaleString('en-US')} identities through the store index: median ${(median(storeTimes) / 1000).toFixed(2)} s wall, ${(median(storeCpu) / 1000).toFixed(2)} s CPU (${storeMatches} matches)`,
      `subset of ${SUBSET} identities, CPU time: nested loop median ${lm.toFixed(0)} ms vs indexed ${im.toFixed(1)} ms (${loopN} matches each) -> index ${(lm / im).toFixed(0)}x faster`,
      `nested loop extrapolated to ${ASSETS.toLocaleString('en-US')} identities: ~${((lm * ASSETS) / SUBSET / 1000).toFixed(0)} s`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
