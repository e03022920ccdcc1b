/**
 * DCMTK dcmqrscp.cfg reader (format of dcmqrdb/docs/dcmqrcnf.txt): global
 * `Key = Value` lines, then HostTable, VendorTable and AETable blocks between
 * `BEGIN` and `END`. Lines keep their numbers; malformed lines are counted
 * as problems, never thrown.
 */
export interface CfgPeer {
  /** A (AETitle, host, port) tuple, a HostTable symbol, or ANY. */
  kind: 'tuple' | 'symbol' | 'any';
  text: string;
}

export interface CfgAe {
  aeTitle: string;
  storageArea: string;
  access: string;
  quota: string;
  peers: CfgPeer[];
  line: number;
}

export interface CfgHost {
  symbol: string;
  /** Tuples (AE, host, port) or, for groups, the member symbols. */
  entries: Array<{ aeTitle: string; host: string; port: number } | string>;
  line: number;
}

export interface DcmqrscpConfig {
  globals: Record<string, { value: string; line: number }>;
  hosts: CfgHost[];
  vendors: Array<{ name: string; symbols: string[]; line: number }>;
  aes: CfgAe[];
  problems: Array<{ line: number; message: string }>;
}

const TUPLE = /\(\s*([^,()]*?)\s*,\s*([^,()]*?)\s*,\s*([^,()]*?)\s*\)/g;

export function parseDcmqrscp(text: string): DcmqrscpConfig {
  const cfg: DcmqrscpConfig = { globals: {}, hosts: [], vendors: [], aes: [], problems: [] };
  let block: 'host' | 'vendor' | 'ae' | undefined;
  // Entries may continue on the next line after a trailing comma.
  let pending = '';
  let pendingLine = 0;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n].replace(/#.*$/, '').trim();
    if (!raw) continue;
    const lineNo = n + 1;
    const m = /^(HostTable|VendorTable|AETable)\s+(BEGIN|END)$/i.exec(raw);
    if (m) {
      block = m[2].toUpperCase() === 'BEGIN' ? ({ hosttable: 'host', vendortable: 'vendor', aetable: 'ae' } as const)[m[1].toLowerCase() as 'hosttable'] : undefined;
      pending = '';
      continue;
    }
    const line = pending ? `${pending} ${raw}` : raw;
    const at = pending ? pendingLine : lineNo;
    if (line.endsWith(',') && n + 1 < lines.length) { pending = line; pendingLine = at; continue; }
    pending = '';
    if (block === undefined) {
      const g = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/.exec(line);
      if (g) cfg.globals[g[1]] = { value: g[2].trim(), line: at };
      else cfg.problems.push({ line: at, message: 'expected Key = Value' });
    } else if (block === 'host') {
      const h = /^([^=\s]+)\s*=\s*(.+)$/.exec(line);
      if (!h) { cfg.problems.push({ line: at, message: 'expected symbol = (AETitle, host, port) or a list of symbols' }); continue; }
      const entries: CfgHost['entries'] = [];
      const rest = h[2].replace(TUPLE, (_all, ae: string, host: string, port: string) => {
        entries.push({ aeTitle: ae, host, port: Number(port) });
        return '';
      });
      for (const s of rest.split(',').map((x) => x.trim()).filter(Boolean)) entries.push(s);
      cfg.hosts.push({ symbol: h[1], entries, line: at });
    } else if (block === 'vendor') {
      const v = /^"([^"]*)"\s*=\s*(.+)$/.exec(line);
      if (!v) { cfg.problems.push({ line: at, message: 'expected "Vendor" = symbols' }); continue; }
      cfg.vendors.push({ name: v[1], symbols: v[2].split(',').map((x) => x.trim()).filter(Boolean), line: at });
    } else {
      const a = /^(\S+)\s+(\S+)\s+(\S+)\s+(\([^)]*\))\s*(.*)$/.exec(line);
      if (!a) { cfg.problems.push({ line: at, message: 'expected AETitle StorageArea Access (Quota) Peers' }); continue; }
      const peers: CfgPeer[] = [];
      const rest = a[5].replace(TUPLE, (all: string) => { peers.push({ kind: 'tuple', text: all }); return ''; });
      for (const s of rest.split(/[\s,]+/).filter(Boolean)) peers.push({ kind: s.toUpperCase() === 'ANY' ? 'any' : 'symbol', text: s });
      cfg.aes.push({ aeTitle: a[1], storageArea: a[2], access: a[3].toUpperCase(), quota: a[4], peers, line: at });
    }
  }
  return cfg;
}

/** Does the text look like a dcmqrscp configuration? */
export function looksLikeDcmqrscp(text: string): boolean {
  return /^\s*AETable\s+BEGIN/im.test(text) || /^\s*HostTable\s+BEGIN/im.test(text) || /^\s*NetworkTCPPort\s*=/im.test(text);
}
