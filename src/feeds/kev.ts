/** CISA Known Exploited Vulnerabilities: the JSON catalogue and its CSV twin (same 11 columns). */
import { arr, obj, str, type Obj } from './json.ts';
import type { KevEntry, ParsedFeed } from './types.ts';

export function isKevJson(doc: Obj): boolean {
  return Array.isArray(doc.vulnerabilities) && (typeof doc.catalogVersion === 'string' || obj(arr(doc.vulnerabilities)[0])?.cveID !== undefined);
}

export function parseKevJson(doc: Obj, file: string): ParsedFeed {
  const warnings: string[] = [];
  const kev: KevEntry[] = [];
  arr(doc.vulnerabilities).forEach((v, i) => {
    const e = obj(v);
    const cve = str(e?.cveID);
    if (!e || !cve || !/^CVE-\d{4}-\d+$/.test(cve)) { warnings.push(`${file}: vulnerabilities[${i}] has no valid cveID; skipped`); return; }
    kev.push({
      cve, vendor: str(e.vendorProject) ?? '', product: str(e.product) ?? '', name: str(e.vulnerabilityName) ?? '',
      dateAdded: str(e.dateAdded) ?? '', dueDate: str(e.dueDate), requiredAction: str(e.requiredAction), ransomware: str(e.knownRansomwareCampaignUse),
    });
  });
  return { format: 'kev-json', advisories: [], kev, warnings };
}

/** RFC 4180 rows: quoted fields with "" escapes and embedded newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

export function isKevCsv(text: string): boolean {
  return /^\uFEFF?cveID,vendorProject,product/.test(text);
}

export function parseKevCsv(text: string, file: string): ParsedFeed {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows[0] ?? [];
  const col = (name: string) => header.indexOf(name);
  const ci = { cve: col('cveID'), vendor: col('vendorProject'), product: col('product'), name: col('vulnerabilityName'), added: col('dateAdded'), due: col('dueDate'), action: col('requiredAction'), ransom: col('knownRansomwareCampaignUse') };
  const warnings: string[] = [];
  const kev: KevEntry[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    const cve = row[ci.cve];
    if (!cve || !/^CVE-\d{4}-\d+$/.test(cve)) { warnings.push(`${file}:${r + 1}: no valid cveID; row skipped`); continue; }
    kev.push({
      cve, vendor: row[ci.vendor] ?? '', product: row[ci.product] ?? '', name: row[ci.name] ?? '', dateAdded: row[ci.added] ?? '',
      dueDate: row[ci.due] || undefined, requiredAction: row[ci.action] || undefined, ransomware: row[ci.ransom] || undefined,
    });
  }
  return { format: 'kev-csv', advisories: [], kev, warnings };
}
