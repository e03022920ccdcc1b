/* global document, location, alert, EventSource, Node */
// The dashboard front-end: vanilla JS, data inserted with textContent only
// (the map SVG is built and escaped by the server), no inline handlers (CSP).
'use strict';

let session = null;
let summary = null;
const state = { fPage: 0, aPage: 0 };

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const k of kids) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : String(k));
  return e;
}
const $ = (id) => document.getElementById(id);
const sev = (s) => el('span', { class: `sev sev-${s}` }, s);

async function api(path, opts = {}) {
  const headers = { ...(opts.body ? { 'Content-Type': 'application/json' } : {}), ...(opts.method && opts.method !== 'GET' ? { 'X-CSRF-Token': session.csrf } : {}) };
  const res = await fetch(path, { credentials: 'same-origin', ...opts, headers });
  if (res.status === 401) { location.href = '/login'; throw new Error('logged out'); }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

function fillSelect(sel, values) {
  for (const v of values) sel.append(el('option', { value: v }, v));
}

function dl(pairs) {
  const d = el('dl');
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    d.append(el('dt', {}, k), el('dd', {}, Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v)));
  }
  return d;
}

function findingBlock(f) {
  const box = el('div', { class: 'finding' }, el('h3', {}, sev(f.severity), ' ', f.title));
  box.append(dl([['rule', f.rule], ['status', f.status], ['subject', f.subject], ['process', f.process], ['zone', f.zone],
    ['location', f.location ? `${f.location.file}${f.location.line ? `:${f.location.line}` : ''}` : undefined], ['fix', f.fix], ['rationale', f.rationale]]));
  box.append(el('h4', {}, 'Evidence'), dl(Object.entries(f.evidence || {})));
  if (f.compliance) box.append(el('h4', {}, 'Controls'), dl([['HIPAA', f.compliance.hipaa], ['HICP', f.compliance.hicp], ['IEC 62443-3-3', f.compliance.iec62443], ['NIST CSF 2.0', f.compliance.nistCsf]]));
  if (session.role === 'admin' && f.status !== undefined) {
    const bar = el('div', { class: 'toolbar' });
    for (const s of ['accepted', 'resolved', 'open']) {
      if (s === f.status) continue;
      const b = el('button', { class: 'set-status', 'data-status': s }, `mark ${s}`);
      b.addEventListener('click', async () => {
        try {
          await api(`/api/findings/${encodeURIComponent(f.id)}/status`, { method: 'POST', body: JSON.stringify({ status: s }) });
          await loadFindings();
        } catch (e) { alert(e.message); }
      });
      bar.append(b);
    }
    box.append(bar);
  }
  return box;
}

// ---- map
async function loadMap() {
  const zone = $('map-zone').value;
  const r = await api(`/api/map${zone ? `?zone=${encodeURIComponent(zone)}&max=300` : ''}`);
  const box = $('map');
  box.innerHTML = r.svg;
  box.querySelectorAll('g.edge[data-edge]').forEach((g) => {
    const open = () => showEdge(g.getAttribute('data-edge'));
    g.addEventListener('click', open);
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
  });
  box.querySelectorAll('g.zone[data-zone]').forEach((g) => {
    if (!box.querySelector('svg.zones')) return;
    g.addEventListener('click', () => { $('map-zone').value = g.getAttribute('data-zone'); loadMap(); });
  });
  box.querySelectorAll('g.edge[data-zone-edge]').forEach((g) => {
    g.addEventListener('click', () => showZoneEdge(...g.getAttribute('data-zone-edge').split('|')));
  });
}

async function showEdge(id) {
  const r = await api(`/api/edges/${id}`);
  const e = r.edge;
  const box = $('evidence');
  box.replaceChildren(el('h2', {}, el('span', { class: `verdict-${e.verdict}` }, e.verdict), ' ', e.handover || e.key));
  box.append(dl([['from', `${r.from.name} (${r.from.address}) in ${r.from.zone}`], ['to', `${r.to.name} (${r.to.address}) in ${r.to.zone}`],
    ['service', `${e.transport}/${e.dport} ${e.protocol}`], ['process', e.process], ['conduit', e.conduit], ['rules', e.rules],
    ['PHI', e.phi ? 'yes' : 'no'], ['encrypted', e.encrypted ? 'yes' : 'no'], ['sessions', e.sessions], ['bytes', e.bytes],
    ['first seen', new Date(e.firstSeen).toISOString()], ['last seen', new Date(e.lastSeen).toISOString()]]));
  for (const f of r.findings) box.append(findingBlock(f));
}

async function showZoneEdge(from, to) {
  const r = await api(`/api/zone-edges?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&size=100`);
  const box = $('evidence');
  box.replaceChildren(el('h2', {}, `${from} → ${to}`), el('p', { class: 'muted' }, `${r.total} flow(s), violations first`));
  const ul = el('ul');
  for (const x of r.items) {
    const a = el('a', { href: '#' }, `${x.from} → ${x.to} ${x.protocol}/${x.dport} (${x.verdict})`);
    a.addEventListener('click', (ev) => { ev.preventDefault(); showEdge(x.id); });
    ul.append(el('li', {}, a));
  }
  box.append(ul);
}

// ---- findings
async function loadFindings() {
  const q = new URLSearchParams({ page: state.fPage, size: 50 });
  for (const [k, id] of [['severity', 'f-severity'], ['process', 'f-process'], ['zone', 'f-zone'], ['rule', 'f-rule'], ['status', 'f-status'], ['q', 'f-text']]) if ($(id).value) q.set(k, $(id).value);
  const r = await api(`/api/findings?${q}`);
  const tb = $('findings-table').tBodies[0];
  tb.replaceChildren();
  for (const f of r.items) {
    const tr = el('tr', { 'data-id': f.id }, el('td', {}, sev(f.severity)), el('td', {}, f.title), el('td', {}, f.rule), el('td', {}, f.process || ''), el('td', {}, f.zone || ''), el('td', {}, f.status));
    tr.addEventListener('click', () => $('finding-detail').replaceChildren(findingBlock(f)));
    tb.append(tr);
  }
  $('f-count').textContent = `${r.total} finding(s)`;
  $('f-page').textContent = `page ${r.page + 1} of ${Math.max(1, Math.ceil(r.total / r.size))}`;
  $('f-prev').disabled = r.page === 0;
  $('f-next').disabled = (r.page + 1) * r.size >= r.total;
}

// ---- assets
async function loadAssets() {
  const q = new URLSearchParams({ page: state.aPage, size: 100 });
  if ($('a-text').value) q.set('q', $('a-text').value);
  if ($('a-zone').value) q.set('zone', $('a-zone').value);
  const r = await api(`/api/assets?${q}`);
  const tb = $('assets-table').tBodies[0];
  tb.replaceChildren();
  for (const a of r.items) {
    const vulns = el('td');
    for (const v of a.vulnerabilities) vulns.append(sev(v.severity), ` ${v.id} `);
    tb.append(el('tr', {}, el('td', {}, a.name + (a.modelled ? '' : ' (not in model)')), el('td', {}, a.addresses.join(', ')), el('td', {}, a.zone), el('td', {}, a.process || ''),
      el('td', {}, a.kind || a.roles.join(', ')), el('td', {}, [[a.vendor, a.product, a.version].filter(Boolean).join(' '), ...a.software].filter(Boolean).join('; ')),
      el('td', {}, a.aeTitles.join(', ')), vulns, el('td', {}, `${a.exposed ? 'exposed' : ''}${a.phi ? ' PHI' : ''}`), el('td', {}, a.openFindings)));
  }
  $('a-count').textContent = `${r.total} asset(s)`;
  $('a-page').textContent = `page ${r.page + 1} of ${Math.max(1, Math.ceil(r.total / r.size))}`;
  $('a-prev').disabled = r.page === 0;
  $('a-next').disabled = (r.page + 1) * r.size >= r.total;
}

// ---- timeline
async function loadTimeline() {
  const r = await api('/api/timeline?size=500');
  const tb = $('timeline-table').tBodies[0];
  tb.replaceChildren();
  for (const t of r.items) tb.append(el('tr', {}, el('td', {}, new Date(t.ts).toISOString()), el('td', {}, t.kind), el('td', {}, sev(t.severity)), el('td', {}, t.subject), el('td', {}, t.title)));
}

// ---- blast
function blastSide(title, b) {
  const d = el('div', {}, el('h3', {}, title), el('div', { class: 'big' }, b.phiAssets), el('p', {}, `PHI-holding asset(s) reachable; ${b.phiStores} PHI store(s); ${b.reachedAssets} asset(s) in all`));
  const ul = el('ul');
  for (const p of b.paths.slice(0, 8)) ul.append(el('li', {}, el('code', {}, p.path.join(' → '))));
  d.append(el('h4', {}, 'Shortest paths to PHI stores'), ul);
  if (b.phiReached.length) d.append(el('h4', {}, 'PHI assets reached (hops)'), el('p', { class: 'reached' }, b.phiReached.map((x) => `${x.asset} (${x.hops})`).join(', ')));
  return d;
}
async function loadBlast(target) {
  const out = $('blast-result');
  out.replaceChildren();
  try {
    const r = await api(`/api/blast?target=${encodeURIComponent(target)}`);
    out.append(blastSide(`${r.target}: today`, r.before));
    if (r.after) out.append(blastSide(`after ${r.proposed} is enforced`, r.after));
    $('blast-note').textContent = r.after ? '' : 'start the dashboard with --proposed DIR to see the after side';
  } catch (e) { out.append(el('p', { class: 'error' }, e.message)); }
}

// ---- alerts
function startAlerts() {
  const list = $('alerts');
  const src = new EventSource('/api/alerts');
  src.addEventListener('alert', (ev) => {
    const a = JSON.parse(ev.data);
    list.prepend(el('li', { 'data-id': a.id }, sev(a.severity), ` ${new Date(a.ts).toISOString()} ${a.kind}: ${a.title} (${a.subject})`));
    while (list.children.length > 200) list.lastChild.remove();
    $('alert-count').textContent = String(list.children.length);
  });
}

function showTab(name) {
  document.querySelectorAll('nav button').forEach((b) => b.classList.toggle('active', b.dataset.tab === name));
  document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('active', t.id === `tab-${name}`));
  if (name === 'findings') loadFindings();
  if (name === 'assets') loadAssets();
  if (name === 'timeline') loadTimeline();
}

async function init() {
  session = await api('/api/session');
  summary = await api('/api/summary');
  $('site').textContent = `Wardline: ${summary.site}`;
  $('who').textContent = `${session.user} (${session.role})`;
  const ul = el('ul');
  for (const h of summary.headline) ul.append(el('li', {}, h));
  $('headline').replaceChildren(ul);
  fillSelect($('map-zone'), summary.facets.zones);
  fillSelect($('f-severity'), summary.facets.severities);
  fillSelect($('f-process'), summary.facets.processes);
  fillSelect($('f-zone'), summary.facets.zones);
  fillSelect($('f-rule'), summary.facets.rules);
  fillSelect($('a-zone'), summary.facets.zones);
  document.querySelectorAll('nav button').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));
  $('map-zone').addEventListener('change', loadMap);
  for (const id of ['f-severity', 'f-process', 'f-zone', 'f-rule', 'f-status']) $(id).addEventListener('change', () => { state.fPage = 0; loadFindings(); });
  $('f-text').addEventListener('input', () => { state.fPage = 0; loadFindings(); });
  $('f-prev').addEventListener('click', () => { state.fPage--; loadFindings(); });
  $('f-next').addEventListener('click', () => { state.fPage++; loadFindings(); });
  $('a-text').addEventListener('input', () => { state.aPage = 0; loadAssets(); });
  $('a-zone').addEventListener('change', () => { state.aPage = 0; loadAssets(); });
  $('a-prev').addEventListener('click', () => { state.aPage--; loadAssets(); });
  $('a-next').addEventListener('click', () => { state.aPage++; loadAssets(); });
  $('blast-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadBlast($('blast-target').value); });
  if (summary.blastDefault) $('blast-target').value = summary.blastDefault;
  $('logout').addEventListener('click', async () => { await api('/api/logout', { method: 'POST' }); location.href = '/login'; });
  await loadMap();
  startAlerts();
  document.body.dataset.ready = 'true';
}

init().catch((e) => { document.body.append(el('p', { class: 'error' }, e.message)); });
