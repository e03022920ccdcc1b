import type { ModelIndex } from '../../model/index.ts';
import { loadObservations } from '../../observations/persist.ts';
import type { Db } from '../../store/db.ts';
import { configItems, observationItems, probeItems, readProbeReport, type ItemKind, type SnapshotItem } from './snapshot.ts';

export interface CollectOptions {
  configs: string[];
  probeResults?: string;
  /** Read flow edges and host facts from the store. */
  observations: boolean;
  index?: ModelIndex;
}

/** The current state from config files, a probe report and the store's observations. */
export async function collectSnapshot(db: Db, o: CollectOptions): Promise<{ items: SnapshotItem[]; kinds: Set<ItemKind> }> {
  const items: SnapshotItem[] = [];
  const kinds = new Set<ItemKind>();
  if (o.configs.length) {
    items.push(...configItems(o.configs, o.index));
    kinds.add('config').add('config-file');
  }
  if (o.probeResults) {
    items.push(...probeItems(readProbeReport(o.probeResults)));
    kinds.add('probe');
  }
  if (o.observations) {
    items.push(...observationItems(await loadObservations(db), o.index));
    for (const k of ['flow', 'ae-pair', 'hl7-pair', 'ae-title', 'hl7-app', 'software', 'listening-port'] as const) kinds.add(k);
  }
  return { items, kinds };
}
