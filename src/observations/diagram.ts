/**
 * Data-flow diagrams (Mermaid and Graphviz dot) of observed edges: hosts
 * grouped by zone when a model places them (external partners apart), edges
 * labelled with protocol, port and clinical process.
 */
import type { SiteModel } from '../model/types.ts';
import { ModelPlacer } from './classify.ts';
import type { FlowEdge, HostFacts } from './types.ts';
import { isPrivateAddress } from '../core/net.ts';

export type DiagramFormat = 'mermaid' | 'dot';

interface Node {
  id: string;
  label: string;
  group: string;
}

function nodeTable(edges: FlowEdge[], hosts: HostFacts[], model?: SiteModel): Map<string, Node> {
  const placer = model ? new ModelPlacer(model) : undefined;
  const facts = new Map(hosts.map((h) => [h.address, h]));
  const nodes = new Map<string, Node>();
  const add = (addr: string) => {
    if (nodes.has(addr)) return;
    const p = placer?.place(addr);
    const h = facts.get(addr);
    const name = p?.asset?.name ?? p?.partner?.name;
    const ae = h?.aeTitles.length ? ` [${h.aeTitles.slice(0, 3).join(', ')}]` : '';
    const label = name ? `${name} (${addr})` : `${addr}${ae}`;
    const group = p?.partner ? 'external partners' : p?.zone?.name ?? (isPrivateAddress(addr) ? (model ? 'not in model' : 'internal') : 'internet');
    nodes.set(addr, { id: `n${nodes.size}`, label, group });
  };
  for (const e of edges) {
    add(e.src);
    add(e.dst);
  }
  return nodes;
}

function edgeLabel(e: FlowEdge): string {
  const proto = e.protocol === 'unknown' ? e.transport : e.protocol;
  const proc = e.label?.process && e.label.process !== 'unclassified' ? ` · ${e.label.process}` : '';
  return `${proto}/${e.dport}${proc}${e.phi ? ' · PHI' : ''}${e.encrypted ? ' · TLS' : ''}`;
}

function groups(nodes: Map<string, Node>): Map<string, Node[]> {
  const g = new Map<string, Node[]>();
  for (const n of nodes.values()) {
    const list = g.get(n.group) ?? [];
    list.push(n);
    g.set(n.group, list);
  }
  return new Map([...g].sort((a, b) => a[0].localeCompare(b[0])));
}

const mq = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;
const dq = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function renderDiagram(format: DiagramFormat, edges: FlowEdge[], hosts: HostFacts[], model?: SiteModel): string {
  const nodes = nodeTable(edges, hosts, model);
  const g = groups(nodes);
  const lines: string[] = [];
  if (format === 'mermaid') {
    lines.push('flowchart LR');
    let i = 0;
    for (const [name, list] of g) {
      lines.push(`  subgraph z${i++}[${mq(name)}]`);
      for (const n of list) lines.push(`    ${n.id}[${mq(n.label)}]`);
      lines.push('  end');
    }
    for (const e of edges) lines.push(`  ${nodes.get(e.src)!.id} -->|${mq(edgeLabel(e))}| ${nodes.get(e.dst)!.id}`);
  } else {
    lines.push('digraph wardline {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];');
    let i = 0;
    for (const [name, list] of g) {
      lines.push(`  subgraph cluster_${i++} {`, `    label=${dq(name)};`);
      for (const n of list) lines.push(`    ${n.id} [label=${dq(n.label)}];`);
      lines.push('  }');
    }
    for (const e of edges) {
      const style = e.phi && !e.encrypted ? ', color="red"' : '';
      lines.push(`  ${nodes.get(e.src)!.id} -> ${nodes.get(e.dst)!.id} [label=${dq(edgeLabel(e))}${style}];`);
    }
    lines.push('}');
  }
  return lines.join('\n');
}
