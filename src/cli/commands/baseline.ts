import { listBaselines, saveBaseline } from '../../analyses/drift/baseline-store.ts';
import { collectSnapshot } from '../../analyses/drift/collect.ts';
import { expandConfigPaths } from '../../checks/audit/audit.ts';
import { ModelIndex } from '../../model/index.ts';
import { openModel } from '../../model/open.ts';
import type { Command } from '../command.ts';
import { withStore } from '../store.ts';

export const command: Command = {
  name: 'baseline',
  summary: 'record a change-control snapshot: configs, probe results, observed flows and asset facts',
  usage: 'wardline baseline [--name NAME] [--configs FILES...] [--probe-results FILE] [--model DIR] [--no-flows] [--list] [--json]',
  description: 'Stores, under a name, each config file by content hash and parsed setting (secrets as a hash), the results of a probe report, the observed flow edges, DICOM AE pairs and HL7 application pairs, and host facts (software versions, AE titles, listening ports) from the store. `wardline drift` compares against it. A config may be given as ASSET=PATH to tie it to a model asset (else its folder name is tried).',
  examples: [
    'wardline baseline --name go-live --configs configs/ --model model/',
    'wardline probe 10.20.3.0/28 --scope 10.20.3.0/24 --out probe.json && wardline baseline --name weekly --probe-results probe.json',
    'wardline baseline --configs pacs-main=/etc/orthanc/orthanc.json --name before-upgrade',
    'wardline baseline --list',
  ],
  options: {
    name: { type: 'string', value: 'NAME', description: 'baseline name (default: baseline-<UTC time>)' },
    configs: { type: 'string', multiple: true, value: 'FILES', description: 'config files or folders (Orthanc JSON, dcmqrscp.cfg, nginx)' },
    'probe-results': { type: 'string', value: 'FILE', description: 'a probe report (wardline probe --out FILE)' },
    model: { type: 'string', value: 'DIR', description: 'site model: ties addresses and config folders to assets' },
    'no-flows': { type: 'boolean', description: 'leave out observed flows and host facts' },
    replace: { type: 'boolean', description: 'replace a baseline of the same name' },
    list: { type: 'boolean', description: 'list the recorded baselines' },
  },
  async run({ args, opts, out }) {
    return withStore(opts, async (db) => {
      if (opts.list) {
        const list = await listBaselines(db);
        if (out.json) out.data(list);
        else out.table(['NAME', 'CREATED', 'ITEMS'], list.map((b) => [b.name, new Date(b.createdAt).toISOString(), b.items]));
        return 0;
      }
      const index = opts.model ? new ModelIndex(openModel(opts.model as string).model) : undefined;
      const configArgs = [...((opts.configs as string[] | undefined) ?? []), ...args];
      // Folders expand here so that the baseline records the files themselves.
      const configs = configArgs.flatMap((c) => (/^[A-Za-z0-9_.-]+=/.test(c) && !c.startsWith('./') ? [c] : expandConfigPaths([c])));
      const probeResults = opts['probe-results'] as string | undefined;
      const { items } = await collectSnapshot(db, { configs, probeResults, observations: opts['no-flows'] !== true, index });
      const name = (opts.name as string | undefined) ?? `baseline-${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`;
      const b = await saveBaseline(db, name, { configs, probeResults, observations: opts['no-flows'] !== true }, items, { replace: opts.replace === true });
      const byKind: Record<string, number> = {};
      for (const i of items) byKind[i.kind] = (byKind[i.kind] ?? 0) + 1;
      if (out.json) out.data({ name: b.name, createdAt: b.createdAt, items: items.length, byKind, sources: b.sources });
      else {
        out.write(`baseline '${b.name}' recorded: ${items.length} item(s)`);
        out.table(['KIND', 'ITEMS'], Object.entries(byKind).sort().map(([k, n]) => [k, n]));
      }
      return 0;
    });
  },
};
