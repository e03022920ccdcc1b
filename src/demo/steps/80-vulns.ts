import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadFindings } from '../../analyses/vulns/inputs.ts';
import { runVulns } from '../../analyses/vulns/run.ts';
import { saveFindings } from '../../analyses/check/store.ts';
import { importFeeds } from '../../feeds/import.ts';
import { loadObservations } from '../../observations/persist.ts';
import type { DemoStep } from '../types.ts';
import { demoModel } from './30-check.ts';

/** Step: the repository's small NVD/KEV extracts imported, the sample hospital's top vulnerabilities listed. */
export const step: DemoStep = {
  name: 'vulns',
  async run(ctx) {
    const feeds = join(ctx.root, 'test', 'fixtures', 'vulns');
    // The malformed-file fixture is there for the tests, not the demo.
    const files = readdirSync(feeds).filter((f) => f.endsWith('.json') && !f.startsWith('malformed')).map((f) => join(feeds, f));
    const imp = await importFeeds(ctx.db, files);
    const model = demoModel(ctx);
    const obs = await loadObservations(ctx.db);
    const r = await runVulns({ model, modelPath: ctx.modelPath, db: ctx.db, edges: obs.edges, hosts: obs.hosts, probeFindings: await loadFindings(ctx.db, 'probe') });
    await saveFindings(ctx.db, r.findings);
    const advisories = imp.imported.reduce((n, f) => n + f.advisories, 0);
    const kev = r.vulns.filter((v) => v.kev);
    const summary = [
      `${advisories} advisories and ${imp.imported.reduce((n, f) => n + f.kev, 0)} KEV entries imported offline from ${imp.imported.length} files; ${r.identities} software identities on ${r.assetsWithIdentity} assets`,
      `${r.vulns.length} vulnerable (asset, CVE) pairs on ${new Set(r.vulns.map((v) => v.asset)).size} assets; ${kev.length} known exploited (KEV)`,
      ...r.vulns.slice(0, 3).map((v, i) => `#${i + 1} ${v.asset} ${v.vuln} (${v.severity}, priority ${v.priority}): ${v.factors.slice(1, 3).join(', ')}${v.fixed ? `; fixed in ${v.fixed}` : ''}`),
    ];
    if (r.lifecycle.length) summary.push(`outdated/end-of-life: ${r.lifecycle.map((l) => `${l.asset} (${l.identity.replace(/ \(in .*\)$/, '')})`).slice(0, 3).join(', ')}`);
    return { summary: summary.slice(0, 6), data: { vulns: r.vulns.length, kev: kev.length, top: r.vulns.slice(0, 5).map((v) => ({ asset: v.asset, vuln: v.vuln, priority: v.priority })) } };
  },
};
