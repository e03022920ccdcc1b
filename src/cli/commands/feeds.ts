import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { importFeeds, type ImportReport } from '../../feeds/import.ts';
import { feedSummary } from '../../feeds/store.ts';
import { EXIT, type Command, type CommandContext } from '../command.ts';
import { withStore } from '../store.ts';

/** Feeds fetched by `feeds update` when no --url is given. */
export const DEFAULT_FEED_URLS = [
  'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
];

function reportImport(ctx: CommandContext, r: ImportReport): number {
  for (const s of r.skipped) ctx.out.warn(`${s.path}: skipped: ${s.error}`);
  for (const w of r.warnings.slice(0, 20)) ctx.out.warn(w);
  if (r.warnings.length > 20) ctx.out.warn(`... and ${r.warnings.length - 20} more warnings`);
  if (ctx.out.json) ctx.out.data(r);
  else {
    ctx.out.table(['file', 'format', 'advisories', 'KEV entries', 'notes'], r.imported.map((f) => [f.path, f.format, f.advisories, f.kev, f.notes || '']));
    ctx.out.info(`${r.imported.length} file(s) imported, ${r.skipped.length} skipped`);
  }
  // Exit 0 when anything imported (skips are warnings); 2 when nothing did, so a pipeline notices.
  return r.imported.length ? EXIT.OK : EXIT.USAGE;
}

const importCmd: Command = {
  name: 'import',
  summary: 'store advisories offline: NVD CVE API 2.0 JSON, CISA KEV JSON/CSV, CSAF 2.0, OSV',
  usage: 'wardline feeds import <file|dir>... [--db PATH] [--json]',
  description: [
    'Each file is recognised by its content. Directories are walked for .json and .csv files.',
    'Re-importing a file replaces what it stored before (idempotent). A file that is unreadable or',
    'not a feed is reported with its path and skipped; the others still import. Exit 0 when at least',
    'one file imported (skips are warnings on stderr), 2 when none did.',
  ].join('\n'),
  examples: [
    'wardline feeds import nvd/ kev/known_exploited_vulnerabilities.json',
    'wardline feeds import icsma-25-037-02.json --json',
    'wardline feeds import test/fixtures/vulns --db postgres://wardline@db/wardline',
  ],
  async run(ctx) {
    if (!ctx.args.length) throw new InputError('name at least one feed file or directory', { hint: 'wardline feeds import --help' });
    return withStore(ctx.opts, async (db) => {
      const r = await importFeeds(db, ctx.args, (p, i, n) => ctx.out.progress(`importing ${p}`, i, n));
      ctx.out.clearProgress();
      return reportImport(ctx, r);
    });
  },
};

const updateCmd: Command = {
  name: 'update',
  summary: 'fetch feeds from their URLs (where the network allows) and import them',
  usage: 'wardline feeds update [--url URL]... [--dir DIR] [--db PATH] [--json]',
  description: `Downloads each URL into --dir (default .wardline/feeds) and imports it. Without --url: ${DEFAULT_FEED_URLS.join(', ')}. NVD and CSAF sources are site-specific (API keys, advisory lists): pass them with --url.`,
  examples: [
    'wardline feeds update',
    'wardline feeds update --url https://example.org/csaf/icsma-25-037-02.json',
  ],
  options: {
    url: { type: 'string', multiple: true, value: 'URL', description: 'a feed URL (repeatable)' },
    dir: { type: 'string', value: 'DIR', description: 'where downloads are kept (default .wardline/feeds)' },
  },
  async run(ctx) {
    const urls = Array.isArray(ctx.opts.url) && ctx.opts.url.length ? ctx.opts.url : DEFAULT_FEED_URLS;
    const dir = typeof ctx.opts.dir === 'string' ? ctx.opts.dir : join('.wardline', 'feeds');
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (const url of urls) {
      let u: URL;
      try { u = new URL(url); } catch { throw new InputError(`not a URL: ${url}`); }
      try {
        const res = await fetch(u, { signal: AbortSignal.timeout(60_000) });
        if (!res.ok) { ctx.out.warn(`${url}: HTTP ${res.status}; skipped`); continue; }
        const name = (u.pathname.split('/').pop() || 'feed.json').replace(/[^A-Za-z0-9._-]/g, '_');
        const file = join(dir, name);
        writeFileSync(file, Buffer.from(await res.arrayBuffer()));
        files.push(file);
      } catch (err) {
        ctx.out.warn(`${url}: ${(err as Error).message}; skipped (no network?)`);
      }
    }
    if (!files.length) { ctx.out.error('nothing downloaded'); return EXIT.USAGE; }
    return withStore(ctx.opts, async (db) => reportImport(ctx, await importFeeds(db, files)));
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'what the store holds: imported files, advisories per source, KEV entries',
  usage: 'wardline feeds list [--db PATH] [--json]',
  examples: ['wardline feeds list', 'wardline feeds list --json | jq .advisories'],
  async run(ctx) {
    return withStore(ctx.opts, async (db) => {
      const s = await feedSummary(db);
      if (ctx.out.json) { ctx.out.data(s); return EXIT.OK; }
      ctx.out.table(['file', 'format', 'advisories', 'KEV', 'warnings', 'imported'], s.files.map((f) => [f.path, f.format, f.advisories, f.kev, f.warnings || '', f.importedAt]));
      ctx.out.write(`\nadvisories: ${Object.entries(s.advisories).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}; ${s.affectedProducts} affected-product entries; ${s.kev} KEV entries`);
      return EXIT.OK;
    });
  },
};

export const command: Command = {
  name: 'feeds',
  summary: 'vulnerability feeds: import NVD/KEV/CSAF/OSV files, update from URLs, list what is stored',
  usage: 'wardline feeds <import|update|list> [options]',
  examples: ['wardline feeds import feeds/', 'wardline feeds list --json', 'wardline feeds update'],
  subcommands: [importCmd, updateCmd, listCmd],
};
