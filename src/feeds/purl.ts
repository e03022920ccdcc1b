/** Package URLs (pkg:type/namespace/name@version?qualifiers#subpath) and OSV ecosystem names. */

export interface Purl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  /** namespace + name, the way OSV names packages of this ecosystem. */
  fullName: string;
}

export function parsePurl(text: string): Purl | undefined {
  const s = text.trim();
  if (!/^pkg:/i.test(s)) return undefined;
  let rest = s.slice(4).replace(/^\/+/, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > rest.indexOf('/')) { version = dec(rest.slice(at + 1)); rest = rest.slice(0, at); }
  const parts = rest.split('/').filter(Boolean);
  if (parts.length < 2) return undefined;
  const type = parts[0].toLowerCase();
  const name = dec(parts[parts.length - 1]);
  const namespace = parts.length > 2 ? parts.slice(1, -1).map(dec).join('/') : undefined;
  if (!name) return undefined;
  const sep = type === 'maven' ? ':' : '/';
  return { type, namespace, name, version: version || undefined, fullName: namespace ? `${namespace}${sep}${name}` : name };
}

function dec(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

const ECOSYSTEM_TYPES: Record<string, string> = {
  pypi: 'pypi', maven: 'maven', npm: 'npm', go: 'golang', 'crates.io': 'cargo', nuget: 'nuget', rubygems: 'gem',
  packagist: 'composer', pub: 'pub', hex: 'hex', alpine: 'apk', debian: 'deb', ubuntu: 'deb', 'red hat': 'rpm',
  almalinux: 'rpm', 'rocky linux': 'rpm', suse: 'rpm', opensuse: 'rpm', github_actions: 'github', swifturl: 'swift', conan: 'conan',
};

/** OSV ecosystem ("PyPI", "Alpine:v3.3", "Debian:11") to the purl type used as the index's ecosystem. */
export function ecosystemType(ecosystem: string): string {
  const base = ecosystem.split(':')[0].trim().toLowerCase();
  return ECOSYSTEM_TYPES[base] ?? base;
}
