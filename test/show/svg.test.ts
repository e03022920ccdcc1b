import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ViewEdge, ViewNode } from '../../src/outputs/report/site-view.ts';
import { barChartSvg, flowMapSvg } from '../../src/outputs/report/svg.ts';

function site(zones: number, perZone: number, name = (i: number) => `host-${i}`): { nodes: ViewNode[]; edges: ViewEdge[] } {
  const nodes: ViewNode[] = [];
  for (let i = 0; i < zones * perZone; i++) nodes.push({ id: i, address: `10.${i % zones}.0.${Math.floor(i / zones)}`, name: name(i), zone: `zone-${i % zones}`, phi: i % 3 === 0 });
  const edges: ViewEdge[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const j = (i * 7 + 1) % nodes.length;
    if (i === j) continue;
    edges.push({ id: edges.length, key: `${nodes[i].address}>${nodes[j].address}/tcp/104/dicom`, src: i, dst: j, transport: 'tcp', dport: 104, protocol: 'dicom', process: 'radiology',
      verdict: i % 4 === 0 ? 'violation' : 'allowed', rules: i % 4 === 0 ? ['check.no-conduit'] : [], phi: true, encrypted: false, sessions: 1, bytes: 100, firstSeen: 0, lastSeen: 0 });
  }
  return { nodes, edges };
}

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

describe('flow map SVG', () => {
  it('small sites: one box per zone, one node per host, violations marked', () => {
    const v = site(3, 10);
    const svg = flowMapSvg(v, { interactive: true });
    assert.equal(count(svg, /<g class="zone"/g), 3);
    assert.equal(count(svg, /<g class="node"/g), 30);
    assert.equal(count(svg, /<g class="edge violation"/g), v.edges.filter((e) => e.verdict === 'violation').length);
    assert.equal(count(svg, /data-edge="/g), v.edges.length);
  });

  it('large sites: zones as nodes with edges aggregated per zone pair', () => {
    const v = site(20, 250);
    const svg = flowMapSvg(v, { interactive: true });
    assert.match(svg, /class="flowmap zones"/);
    assert.equal(count(svg, /<g class="zone"/g), 20);
    assert.ok(count(svg, /data-zone-edge=/g) <= 400);
    assert.ok(svg.length < 400_000, `zone map is ${svg.length} bytes`);
  });

  it('a zone of a large site: its hosts one by one, peers folded into one node per other zone', () => {
    const v = site(20, 100);
    const svg = flowMapSvg(v, { zone: 'zone-3', maxNodes: 150, interactive: true });
    assert.doesNotMatch(svg, /flowmap zones/);
    const hosts = count(svg, /<g class="node"/g);
    const peerZones = new Set<string>();
    for (const e of v.edges) {
      const a = v.nodes[e.src];
      const b = v.nodes[e.dst];
      if (a.zone === 'zone-3' && b.zone !== 'zone-3') peerZones.add(b.zone);
      if (b.zone === 'zone-3' && a.zone !== 'zone-3') peerZones.add(a.zone);
    }
    assert.equal(hosts, 100 + peerZones.size);
    for (const z of peerZones) assert.ok(svg.includes(`${z} (hosts)`), z);
  });

  it('names from the wire are escaped: no markup gets through', () => {
    const v = site(2, 2, (i) => (i === 1 ? '<script>alert(1)</script>"\'&' : `h${i}`));
    const svg = flowMapSvg(v);
    assert.doesNotMatch(svg, /<script/);
    assert.match(svg, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&#39;&amp;/);
    assert.doesNotMatch(barChartSvg('<b>x</b>', [{ label: '<img src=x>', value: 3 }]), /<img|<b>/);
  });
});

describe('report size on large sites', () => {
  it('HTML and Markdown list the most severe 2000 findings and say how many more there are', async () => {
    const { renderHtml } = await import('../../src/outputs/report/html.ts');
    const { renderMarkdown } = await import('../../src/outputs/report/markdown.ts');
    const v = site(20, 250);
    const findings = Array.from({ length: 2500 }, (_, i) => ({
      id: `check:check.no-conduit:${i}`, rule: 'check.no-conduit', title: `finding ${i}`, severity: (i < 10 ? 'critical' : 'low') as 'critical' | 'low', source: 'check',
      subject: `s${i}`, evidence: {}, references: [], status: 'open',
    }));
    const view = {
      site: 'big', generatedAt: 0, store: 'test', hasModel: true, nodes: v.nodes, edges: v.edges, assets: [], findings, timeline: [],
      counts: { edges: v.edges.length, allowed: 0, intraZone: 0, violations: 0, unchecked: 0, assets: 0, hosts: 0, phiEdgesCleartext: 0, findings: 2500, bySeverity: {} },
    };
    const html = renderHtml(view);
    assert.match(html, /500 more finding\(s\), less severe/);
    assert.equal(count(html, /<td><span class="sev"[^>]*>(critical|low)<\/span><\/td><td>finding /g), 2000);
    assert.match(html, /2500 open finding\(s\): 10 critical/);
    assert.match(renderMarkdown(view), /500 more finding\(s\), less severe/);
  });
});
