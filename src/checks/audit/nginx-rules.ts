import { find, locations, servers, type NginxConfig, type NginxDirective } from './nginx.ts';
import { REF, type AuditRule, type Hit } from './rule.ts';

const WEAK_PROTOCOLS = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1'];
const WEAK_CIPHER = /(^|:|!|\+|-)(RC4|3DES|DES-CBC3|DES|NULL|EXPORT|EXP|MD5|aNULL|eNULL)\b/i;

function isTls(server: NginxDirective): boolean {
  return find(server.block, 'listen').some((l) => l.args.some((a) => a === 'ssl' || a === 'quic')) || find(server.block, 'ssl').some((d) => d.args[0] === 'on');
}

function redirectsOnly(server: NginxDirective): boolean {
  return find(server.block, 'return').some((r) => /^30[1278]$/.test(r.args[0] ?? ''));
}

function proxies(block: NginxDirective[] | undefined): boolean {
  return (block ?? []).some((d) => /^(proxy_pass|fastcgi_pass|uwsgi_pass|grpc_pass)$/.test(d.name) || (d.block !== undefined && d.name === 'location' && proxies(d.block)));
}

/** nginx add_header is inherited only by a level that defines none of its own. */
function effectiveHeaders(levels: Array<NginxDirective[] | undefined>): Set<string> {
  for (let k = levels.length - 1; k >= 0; k--) {
    const h = find(levels[k], 'add_header');
    if (h.length) return new Set(h.map((d) => (d.args[0] ?? '').toLowerCase()));
  }
  return new Set();
}

function directiveAt(levels: Array<NginxDirective[] | undefined>, name: string): NginxDirective | undefined {
  for (let k = levels.length - 1; k >= 0; k--) {
    const d = find(levels[k], name);
    if (d.length) return d[d.length - 1];
  }
  return undefined;
}

/** The nginx (portal reverse proxy) rule table. */
export const NGINX_RULES: AuditRule<NginxConfig>[] = [
  {
    id: 'audit.nginx.plain-http-portal',
    catalogue: 'EXP-7',
    title: 'Portal served over plain HTTP',
    severity: 'high',
    rationale: 'A server block without TLS that proxies to the application sends credentials and patient data in clear text.',
    fix: 'Listen with ssl (443) and make the port-80 server only `return 301 https://$host$request_uri;`.',
    references: [REF.hipaaTransmission, REF.exposure],
    check(c) {
      return servers(c).filter(({ server }) => !isTls(server) && !redirectsOnly(server) && proxies(server.block))
        .map(({ server }): Hit => ({ line: server.line, evidence: { listen: find(server.block, 'listen').map((l) => l.args.join(' ')) } }));
    },
  },
  {
    id: 'audit.nginx.weak-tls-protocols',
    catalogue: 'EXP-6',
    title: 'TLS protocols older than 1.2 enabled (ssl_protocols)',
    severity: 'medium',
    rationale: 'SSLv3, TLS 1.0 and 1.1 are deprecated by RFC 8996 (BCP 195) and the DICOM/HTTP TLS profile of PS3.15.',
    fix: 'ssl_protocols TLSv1.2 TLSv1.3;',
    references: [REF.bcp195, REF.ps315],
    check(c) {
      const hits: Hit[] = [];
      const all: NginxDirective[] = [];
      const walk = (b: NginxDirective[] | undefined) => { for (const d of b ?? []) { if (d.name === 'ssl_protocols') all.push(d); walk(d.block); } };
      walk(c.directives);
      for (const d of all) {
        const weak = d.args.filter((a) => WEAK_PROTOCOLS.includes(a));
        if (weak.length) hits.push({ line: d.line, evidence: { weak } });
      }
      return hits;
    },
  },
  {
    id: 'audit.nginx.weak-ciphers',
    catalogue: 'EXP-6',
    title: 'Weak ciphers allowed (ssl_ciphers)',
    severity: 'medium',
    rationale: 'RC4, 3DES, NULL, EXPORT and MD5 suites are broken or forbidden by RFC 9325.',
    fix: 'Use a current cipher list, e.g. the Mozilla "intermediate" profile, and no RC4/3DES/NULL/EXPORT.',
    references: [REF.bcp195],
    check(c) {
      const hits: Hit[] = [];
      const walk = (b: NginxDirective[] | undefined) => {
        for (const d of b ?? []) {
          if (d.name === 'ssl_ciphers') {
            const weak = (d.args[0] ?? '').split(':').filter((x) => !x.startsWith('!') && WEAK_CIPHER.test(x));
            if (weak.length) hits.push({ line: d.line, evidence: { weak } });
          }
          walk(d.block);
        }
      };
      walk(c.directives);
      return hits;
    },
  },
  {
    id: 'audit.nginx.server-tokens',
    title: 'nginx version banner sent (server_tokens not off)',
    severity: 'low',
    rationale: 'The Server header with a version tells a scanner which known vulnerabilities to try.',
    fix: 'server_tokens off; (in http or server).',
    references: [REF.owaspHeaders],
    check(c) {
      return servers(c).filter(({ server, http }) => directiveAt([http?.block, server.block], 'server_tokens')?.args[0] !== 'off')
        .map(({ server, http }): Hit => {
          const d = directiveAt([http?.block, server.block], 'server_tokens');
          return { line: d?.line ?? server.line, evidence: { server_tokens: d?.args[0] ?? 'on (default)' } };
        });
    },
  },
  {
    id: 'audit.nginx.no-authentication',
    catalogue: 'EXP-7',
    title: 'Proxied portal location without authentication at the proxy',
    severity: 'high',
    rationale: 'Without auth_basic, auth_request or client certificates, the proxy adds no access control; the exposure studies found web viewers open this way.',
    fix: 'Add auth_request (SSO), auth_basic with a password file, or ssl_verify_client on for the proxied locations.',
    references: [REF.hipaaAccess, REF.hipaaAuth, REF.exposure],
    check(c) {
      const hits: Hit[] = [];
      for (const { server, http } of servers(c)) {
        if (redirectsOnly(server)) continue;
        const locs = locations(server.block).filter((l) => find(l.block, 'proxy_pass').length > 0);
        const targets = locs.length ? locs : find(server.block, 'proxy_pass').length ? [server] : [];
        for (const l of targets) {
          // The nearest level wins, so `auth_basic off;` in a location undoes the server's.
          if (hasAuth(l === server ? [http?.block, server.block] : [http?.block, server.block, l.block])) continue;
          hits.push({ line: l.line, evidence: { location: l === server ? '(server)' : l.args.join(' ') } });
        }
      }
      return hits;
    },
  },
  {
    id: 'audit.nginx.hsts-missing',
    title: 'HTTPS server without Strict-Transport-Security',
    severity: 'medium',
    rationale: 'Without HSTS a browser can be downgraded to HTTP on first contact (SSL stripping).',
    fix: 'add_header Strict-Transport-Security "max-age=31536000" always;',
    references: [REF.owaspHeaders, REF.hipaaTransmission],
    check(c) {
      return servers(c).filter(({ server, http }) => isTls(server) && !effectiveHeaders([http?.block, server.block]).has('strict-transport-security'))
        .map(({ server }): Hit => ({ line: server.line, evidence: { header: 'Strict-Transport-Security' } }));
    },
  },
  {
    id: 'audit.nginx.security-headers-missing',
    title: 'Security headers missing (X-Content-Type-Options, X-Frame-Options / CSP frame-ancestors)',
    severity: 'low',
    rationale: 'Portals and viewers without these headers are easier to attack by MIME sniffing and click-jacking (Orthanc fixed an XSS with nosniff in 1.12.2).',
    fix: 'add_header X-Content-Type-Options nosniff always; add_header X-Frame-Options DENY always; (or a CSP with frame-ancestors).',
    references: [REF.owaspHeaders],
    check(c) {
      const hits: Hit[] = [];
      for (const { server, http } of servers(c)) {
        if (redirectsOnly(server) || !proxies(server.block)) continue;
        const h = effectiveHeaders([http?.block, server.block]);
        const missing = [];
        if (!h.has('x-content-type-options')) missing.push('X-Content-Type-Options');
        if (!h.has('x-frame-options') && !h.has('content-security-policy')) missing.push('X-Frame-Options');
        if (missing.length) hits.push({ line: server.line, evidence: { missing } });
      }
      return hits;
    },
  },
  {
    id: 'audit.nginx.syntax',
    title: 'nginx configuration not understood',
    severity: 'info',
    rationale: 'nginx refuses a broken configuration; the audit may miss directives after the damage.',
    fix: 'Check with nginx -t.',
    references: [],
    check(c) { return c.problems.map((p): Hit => ({ line: p.line, evidence: { problem: p.message } })); },
  },
];

function hasAuth(levels: Array<NginxDirective[] | undefined>): boolean {
  const basic = directiveAt(levels, 'auth_basic');
  if (basic && basic.args[0] !== 'off') return true;
  if (directiveAt(levels, 'auth_request')) return true;
  const verify = directiveAt(levels, 'ssl_verify_client');
  return verify !== undefined && verify.args[0] === 'on';
}
