import type { DcmqrscpConfig } from './dcmqrscp.ts';
import { REF, type AuditRule, type Hit } from './rule.ts';

/** The dcmqrscp.cfg rule table. */
export const DCMQRSCP_RULES: AuditRule<DcmqrscpConfig>[] = [
  {
    id: 'audit.dcmqrscp.peers-any-write',
    catalogue: 'CFG-D1',
    title: 'Storage area writable by any peer (Peers ANY with W access)',
    severity: 'high',
    rationale: 'Peers ANY admits every calling AE from every host; with W or RW access any of them can store into the archive.',
    fix: 'Replace ANY with HostTable symbols for the peers that must store here.',
    references: [REF.dcmqrcnf, REF.hipaaAccess],
    check(c) {
      return c.aes.filter((a) => a.access.includes('W') && a.peers.some((p) => p.kind === 'any'))
        .map((a): Hit => ({ line: a.line, evidence: { aeTitle: a.aeTitle, access: a.access, peers: 'ANY' } }));
    },
  },
  {
    id: 'audit.dcmqrscp.peers-any-read',
    catalogue: 'CFG-D1',
    title: 'Storage area readable by any peer (Peers ANY)',
    severity: 'high',
    rationale: 'Peers ANY lets any calling AE query (C-FIND) and retrieve (C-MOVE/C-GET) from this AE: the patient list and the studies.',
    fix: 'Replace ANY with the HostTable symbols of the viewers and workstations that need it.',
    references: [REF.dcmqrcnf, REF.hipaaAccess, REF.exposure],
    check(c) {
      return c.aes.filter((a) => !a.access.includes('W') && a.access.includes('R') && a.peers.some((p) => p.kind === 'any'))
        .map((a): Hit => ({ line: a.line, evidence: { aeTitle: a.aeTitle, access: a.access, peers: 'ANY' } }));
    },
  },
  {
    id: 'audit.dcmqrscp.move-unrestricted',
    catalogue: 'CFG-D3',
    title: 'C-MOVE destinations not restricted to the requesting peer',
    severity: 'medium',
    rationale: 'dcmqrscp moves to any HostTable destination by default (--move-unrestricted); without a VendorTable grouping, move restriction by vendor (-ZV) is not possible, so any peer allowed to move can send studies to any listed host.',
    fix: 'Run dcmqrscp with --move-aetitle/--move-host (-ZA/-ZH), or group destinations in a VendorTable and use -ZV.',
    references: [REF.dcmqrcnf],
    check(c) {
      const dests = c.hosts.filter((h) => h.entries.some((e) => typeof e !== 'string'));
      if (dests.length === 0 || c.vendors.length > 0) return [];
      return [{ line: dests[0].line, evidence: { moveDestinations: dests.length, vendorTable: false } }];
    },
  },
  {
    id: 'audit.dcmqrscp.peer-unknown-symbol',
    catalogue: 'CFG-D1',
    title: 'AETable peer refers to a symbol missing from HostTable',
    severity: 'low',
    rationale: 'dcmqrscp refuses a config with undefined symbols or, worse, the intended restriction is not what runs.',
    fix: 'Define the symbol in HostTable or remove it from the AETable line.',
    references: [REF.dcmqrcnf],
    check(c) {
      const known = new Set(c.hosts.map((h) => h.symbol));
      const hits: Hit[] = [];
      for (const a of c.aes) for (const p of a.peers) if (p.kind === 'symbol' && !known.has(p.text)) hits.push({ line: a.line, evidence: { aeTitle: a.aeTitle, symbol: p.text } });
      return hits;
    },
  },
  {
    id: 'audit.dcmqrscp.root-privileged-port',
    catalogue: 'CFG-D6',
    title: 'Privileged port without UserName/GroupName (runs as root)',
    severity: 'medium',
    rationale: 'Binding a port below 1024 needs root; without UserName/GroupName dcmqrscp keeps root privileges while parsing network input.',
    fix: 'Set UserName and GroupName to an unprivileged account, or use port 11112.',
    references: [REF.dcmqrcnf],
    check(c) {
      const port = c.globals.NetworkTCPPort;
      if (!port || !(Number(port.value) < 1024) || c.globals.UserName) return [];
      return [{ line: port.line, evidence: { NetworkTCPPort: Number(port.value), UserName: null } }];
    },
  },
  {
    id: 'audit.dcmqrscp.syntax',
    title: 'Line not understood in dcmqrscp.cfg',
    severity: 'info',
    rationale: 'A line the parser cannot read is ignored or rejected by dcmqrscp; the effective access control may differ from what the file suggests.',
    fix: 'Correct the line per dcmqrcnf.txt.',
    references: [REF.dcmqrcnf],
    check(c) { return c.problems.map((p): Hit => ({ line: p.line, evidence: { problem: p.message } })); },
  },
];
