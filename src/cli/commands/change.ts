import { listPlans, parseScopeEntries, parseWindow, savePlan } from '../../analyses/change/plan.ts';
import { InputError } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { withStore } from '../store.ts';

const plan: Command = {
  name: 'plan',
  summary: 'record an approved change: ticket, scope, time window',
  usage: 'wardline change plan --ticket ID --scope ASSETS|CIDRS|FILES --window START/END [--note TEXT] [--json]',
  description: 'Drift whose subject is in the scope (an asset name, an address inside a CIDR, or a config file) and whose time is inside the window is reported as planned. Times are ISO 8601; without Z or an offset they are read as UTC. END may be a duration: 30m, 4h, 2d.',
  examples: [
    'wardline change plan --ticket CHG-1042 --scope pacs-main --window 2026-12-01T22:00Z/2026-12-02T02:00Z',
    'wardline change plan --ticket CHG-1043 --scope 10.20.3.0/24,pacs-web-viewer --window 2026-12-05T20:00Z/4h --note "Orthanc upgrade"',
  ],
  options: {
    ticket: { type: 'string', value: 'ID', description: 'change ticket id (required)' },
    scope: { type: 'string', multiple: true, value: 'LIST', description: 'asset names, CIDRs or config files (repeat or comma-separate; required)' },
    window: { type: 'string', value: 'START/END', description: 'approved time window (required)' },
    note: { type: 'string', value: 'TEXT', description: 'free text' },
  },
  async run({ opts, out }) {
    const ticket = opts.ticket as string | undefined;
    if (!ticket) throw new InputError('--ticket is required');
    if (!opts.window) throw new InputError('--window is required', { hint: 'e.g. --window 2026-12-01T22:00Z/4h' });
    const scope = parseScopeEntries((opts.scope as string[] | undefined) ?? []);
    const w = parseWindow(opts.window as string);
    return withStore(opts, async (db) => {
      const p = await savePlan(db, { ticket, createdAt: Date.now(), windowStart: w.start, windowEnd: w.end, scope, note: opts.note as string | undefined });
      if (out.json) out.data(p);
      else out.write(`change ${p.ticket} recorded: ${new Date(p.windowStart).toISOString()} to ${new Date(p.windowEnd).toISOString()}, scope ${[...scope.assets, ...scope.cidrs, ...scope.files].join(', ')}`);
      return 0;
    });
  },
};

const list: Command = {
  name: 'list',
  summary: 'list approved changes',
  usage: 'wardline change list [--json]',
  examples: ['wardline change list', 'wardline change list --json'],
  async run({ opts, out }) {
    return withStore(opts, async (db) => {
      const plans = await listPlans(db);
      if (out.json) out.data(plans);
      else out.table(['TICKET', 'START', 'END', 'SCOPE', 'NOTE'], plans.map((p) => [p.ticket, new Date(p.windowStart).toISOString(), new Date(p.windowEnd).toISOString(), [...p.scope.assets, ...p.scope.cidrs, ...p.scope.files].join(','), p.note]));
      return 0;
    });
  },
};

export const command: Command = {
  name: 'change',
  summary: 'change control: record approved changes (plan) and list them',
  usage: 'wardline change <plan|list> [options]',
  examples: [
    'wardline change plan --ticket CHG-1042 --scope pacs-main --window 2026-12-01T22:00Z/4h',
    'wardline change list',
  ],
  subcommands: [plan, list],
};
