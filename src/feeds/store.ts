/** Advisories, affected products and KEV entries in the store; re-import replaces, never duplicates. */
import type { Db } from '../store/db.ts';
import type { AffectedProduct, Advisory, KevEntry, ParsedFeed } from './types.ts';

/** Stores one parsed file in one transaction; returns how many advisories were kept because the store had newer ones. */
export async function saveFeed(db: Db, feed: ParsedFeed, file: string, now = Date.now()): Promise<number> {
  return db.tx(async (t) => {
    let older = 0;
    for (const a of feed.advisories) if (!(await saveAdvisory(t, a, now))) older++;
    for (const k of feed.kev) await saveKev(t, k);
    await t.run(
      `INSERT INTO feed_files (path, format, advisories, kev, warnings, imported_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET format = excluded.format, advisories = excluded.advisories, kev = excluded.kev, warnings = excluded.warnings, imported_at = excluded.imported_at`,
      [file, feed.format, feed.advisories.length, feed.kev.length, feed.warnings.length, now],
    );
    return older;
  });
}

/**
 * Replaces the stored record unless the stored one is strictly newer (by
 * lastModified / current_release_date), so importing an old snapshot after
 * a fresh one does not roll the data back. Returns whether it was written.
 */
export async function saveAdvisory(db: Db, a: Advisory, now = Date.now()): Promise<boolean> {
  const { affected, ...rest } = a;
  const old = await db.get<{ modified: string | null }>('SELECT modified FROM advisories WHERE adv_key = ?', [a.key]);
  if (old?.modified && a.modified && Date.parse(old.modified) > Date.parse(a.modified)) return false;
  if (old) await db.run('DELETE FROM advisory_products WHERE adv_key = ?', [a.key]);
  await db.run(
    `INSERT INTO advisories (adv_key, vuln_id, source, document, cvss, modified, file, imported_at, doc_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (adv_key) DO UPDATE SET vuln_id = excluded.vuln_id, source = excluded.source, document = excluded.document, cvss = excluded.cvss,
       modified = excluded.modified, file = excluded.file, imported_at = excluded.imported_at, doc_json = excluded.doc_json`,
    [a.key, a.id, a.source, a.document ?? null, a.cvss?.score ?? null, a.modified ?? null, a.file, now, JSON.stringify(rest)],
  );
  // One multi-row INSERT per advisory (a few hundred rows at most per statement): far fewer round trips at NVD scale.
  for (let i = 0; i < affected.length; i += 200) {
    const chunk = affected.slice(i, i + 200);
    await db.run(`INSERT INTO advisory_products (adv_key, vendor, product, kind, status, entry_json) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
      chunk.flatMap((p) => [a.key, p.vendor, p.product, p.kind, p.status, JSON.stringify(p)]));
  }
  return true;
}

async function saveKev(db: Db, k: KevEntry): Promise<void> {
  await db.run(
    `INSERT INTO kev (cve, vendor, product, name, date_added, due_date, required_action, ransomware) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (cve) DO UPDATE SET vendor = excluded.vendor, product = excluded.product, name = excluded.name, date_added = excluded.date_added,
       due_date = excluded.due_date, required_action = excluded.required_action, ransomware = excluded.ransomware`,
    [k.cve, k.vendor, k.product, k.name, k.dateAdded, k.dueDate ?? null, k.requiredAction ?? null, k.ransomware ?? null],
  );
}

/** Affected-product rows for one product key (any vendor), with their advisory keys. */
export async function productRows(db: Db, product: string): Promise<Array<{ advKey: string; entry: AffectedProduct }>> {
  return (await productRowsMany(db, [product])).get(product) ?? [];
}

/** The same for many product keys, a few hundred per query, through the (product, vendor) index. */
export async function productRowsMany(db: Db, products: readonly string[]): Promise<Map<string, Array<{ advKey: string; entry: AffectedProduct }>>> {
  const out = new Map<string, Array<{ advKey: string; entry: AffectedProduct }>>();
  for (let i = 0; i < products.length; i += 400) {
    const chunk = products.slice(i, i + 400);
    const rows = await db.all<{ adv_key: string; product: string; entry_json: string }>(
      `SELECT adv_key, product, entry_json FROM advisory_products WHERE product IN (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const r of rows) {
      const list = out.get(r.product);
      const row = { advKey: r.adv_key, entry: JSON.parse(r.entry_json) as AffectedProduct };
      if (list) list.push(row); else out.set(r.product, [row]);
    }
  }
  return out;
}

export async function loadAdvisory(db: Db, key: string): Promise<Omit<Advisory, 'affected'> | undefined> {
  const r = await db.get<{ doc_json: string }>('SELECT doc_json FROM advisories WHERE adv_key = ?', [key]);
  return r ? (JSON.parse(r.doc_json) as Omit<Advisory, 'affected'>) : undefined;
}

export async function kevFor(db: Db, cves: string[]): Promise<Map<string, KevEntry>> {
  const out = new Map<string, KevEntry>();
  for (let i = 0; i < cves.length; i += 500) {
    const chunk = cves.slice(i, i + 500);
    if (!chunk.length) break;
    const rows = await db.all<{ cve: string; vendor: string; product: string; name: string; date_added: string; due_date: string | null; required_action: string | null; ransomware: string | null }>(
      `SELECT * FROM kev WHERE cve IN (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const r of rows) {
      out.set(r.cve, { cve: r.cve, vendor: r.vendor, product: r.product, name: r.name, dateAdded: r.date_added, dueDate: r.due_date ?? undefined, requiredAction: r.required_action ?? undefined, ransomware: r.ransomware ?? undefined });
    }
  }
  return out;
}

export interface FeedSummary {
  files: Array<{ path: string; format: string; advisories: number; kev: number; warnings: number; importedAt: string }>;
  advisories: Record<string, number>;
  affectedProducts: number;
  kev: number;
}

export async function feedSummary(db: Db): Promise<FeedSummary> {
  const files = await db.all<{ path: string; format: string; advisories: number; kev: number; warnings: number; imported_at: number }>('SELECT * FROM feed_files ORDER BY path');
  const bySource = await db.all<{ source: string; n: number }>('SELECT source, COUNT(*) AS n FROM advisories GROUP BY source ORDER BY source');
  const prod = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM advisory_products');
  const kev = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM kev');
  return {
    files: files.map((f) => ({ path: f.path, format: f.format, advisories: Number(f.advisories), kev: Number(f.kev), warnings: Number(f.warnings), importedAt: new Date(Number(f.imported_at)).toISOString() })),
    advisories: Object.fromEntries(bySource.map((r) => [r.source, Number(r.n)])),
    affectedProducts: Number(prod?.n ?? 0),
    kev: Number(kev?.n ?? 0),
  };
}
