/**
 * Fuzzes the design analyses with mutated real samples: the sample
 * hospital's model (examples/hospital) and flow edges shaped like its
 * captures, bent at random (overlapping and broken CIDRs, dangling
 * references, odd ports, hostile strings in identities and justifications,
 * IPv6, empty facts). Every case must either succeed or fail with an
 * InputError; compile output must be deterministic and comment-safe.
 * Usage: node fuzz/design.ts [cases] [seed]   (default 100000 cases)
 */
import { join } from 'node:path';
import { InputError } from '../src/core/errors.ts';
import { openModel } from '../src/model/open.ts';
import type { Conduit, SiteModel } from '../src/model/types.ts';
import type { FlowEdge } from '../src/observations/types.ts';
import { runCheck } from '../src/analyses/check/run.ts';
import { proposeSegmentation } from '../src/analyses/segment/propose.ts';
import { renderProposalYaml } from '../src/analyses/segment/yaml.ts';
import { simulate } from '../src/analyses/simulate/simulate.ts';
import { compilePolicy } from '../src/graph/policy.ts';
import { buildSiteGraph } from '../src/graph/site-graph.ts';
import { blastFrom, rankFootholds } from '../src/analyses/blast/blast.ts';
import { COMPILE_TARGETS, compileModel } from '../src/outputs/compile/index.ts';
import { fuzzMain, pick, runFuzz as runFuzzCases, xorshift, type Rand } from './lib.ts';
import { REPO } from '../test/helpers/corpus.ts';


const HOSTILE = ['', ' ', '"', "'; flush ruleset; '", '\n', '\u0000', 'ü', '^', '|', '\\', '${x}', 'a'.repeat(300), '*', '-', '0.0.0.0/0', '::', 'ADT', 'ACK^A01', 'PID-3', 'IN1'];
const ADDRS = ['10.20.10.11', '10.20.20.10', '172.16.10.30', '203.0.113.77', '198.51.100.20', '10.80.2.66', '127.0.0.1', '::1', 'fd00::5', '255.255.255.255', '0.0.0.0', '10.999.1.1', 'not-an-ip', '', '10.20.10.300'];

function clone<T>(x: T): T {
  return structuredClone(x);
}

function sampleEdges(r: Rand, model: SiteModel): FlowEdge[] {
  const addrs = [...model.assets.flatMap((a) => a.addresses), ...model.partners.flatMap((p) => p.addresses), ...ADDRS];
  const n = 1 + Math.floor(r() * 40);
  const out: FlowEdge[] = [];
  for (let i = 0; i < n; i++) {
    const protocol = pick(r, ['dicom', 'hl7', 'http', 'fhir', 'tls', 'dns', 'unknown', 'dicom-tls'] as const);
    const e: FlowEdge = {
      src: pick(r, addrs), dst: pick(r, addrs), transport: pick(r, ['tcp', 'udp', 'icmp', 'other'] as const),
      dport: pick(r, [104, 2575, 443, 8042, 11112, 53, 0, 65535, 70000, -1, 1.5, Number.NaN]),
      protocol, protocolFrom: pick(r, ['content', 'port', 'none'] as const),
      bytes: Math.floor(r() * 1e6), packets: Math.floor(r() * 100), sessions: Math.floor(r() * 10),
      firstSeen: r() < 0.05 ? Number.NaN : 1.7e12 + Math.floor(r() * 1e9), lastSeen: 1.7e12 + Math.floor(r() * 1e9),
      encrypted: r() < 0.3, phi: r() < 0.5, facts: {}, sources: ['fuzz'],
    };
    if (protocol === 'dicom' || r() < 0.1) {
      e.facts.dicom = {
        aePairs: [{ calling: pick(r, [...model.assets.flatMap((a) => a.aeTitles), ...HOSTILE]), called: pick(r, ['PACS_MAIN', ...HOSTILE]), outcome: pick(r, ['accepted', 'rejected', 'aborted', 'unknown'] as const), count: 1 }],
        sopClasses: [pick(r, ['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.1.1', ...HOSTILE])], commands: { [pick(r, ['C-STORE', 'C-FIND', 'C-MOVE', ...HOSTILE])]: 1 },
        moveDestinations: r() < 0.2 ? [pick(r, HOSTILE)] : [], implementationClassUids: [], implementationVersions: [],
      };
    }
    if (protocol === 'hl7' || r() < 0.1) {
      e.facts.hl7 = {
        appPairs: [{ sendingApplication: pick(r, ['EPIC', 'RHAPSODY', ...HOSTILE]), sendingFacility: pick(r, HOSTILE), receivingApplication: pick(r, ['KIOSK', ...HOSTILE]), receivingFacility: '', count: 1 }],
        messageTypes: { [pick(r, ['ADT^A04', 'ORU^R01', 'ACK', ...HOSTILE])]: 1 }, versions: [], segments: [pick(r, ['PID', 'IN1', 'NK1', ...HOSTILE])],
        fields: [pick(r, ['PID-3', 'PID-7', 'IN1-36', ...HOSTILE])], acks: {},
      };
    }
    if (protocol === 'http' || protocol === 'fhir' || r() < 0.1) {
      e.facts.http = { hosts: [pick(r, ['edi.clearinghouse.example', ...HOSTILE])], requests: { [pick(r, ['GET /fhir/Patient/{id}', ...HOSTILE])]: 1 }, fhirResources: [pick(r, ['Patient', 'Appointment', ...HOSTILE])], dicomweb: [], servers: [], userAgents: [], cleartextCredentials: false, statuses: {} };
    }
    if (protocol === 'tls' && r() < 0.5) e.facts.tls = { sni: [pick(r, ['api.insurer.example', ...HOSTILE])], versions: [], alpn: [], ja4: [], certificateSubjects: [] };
    out.push(e);
  }
  return out;
}

function mutateModel(r: Rand, base: SiteModel): SiteModel {
  const m = clone(base);
  const rounds = Math.floor(r() * 4);
  for (let i = 0; i < rounds; i++) {
    const c: Conduit | undefined = m.conduits.length ? pick(r, m.conduits) : undefined;
    switch (Math.floor(r() * 12)) {
      case 0: if (m.zones.length) pick(r, m.zones).cidrs.push(pick(r, ['10.20.20.0/25', '0.0.0.0/0', '10.0.0.0/8', 'fd00::/8', 'bad/33', ''])); break;
      case 1: if (c) c.to = pick(r, [{ asset: 'nope' }, { zone: 'nowhere' }, { partner: 'ghost' }, c.from]); break;
      case 2: if (c) c.services = [{ transport: pick(r, ['tcp', 'udp'] as const), ports: pick(r, [[], [0], [70000], [[10, 5]], [[1, 65535]], [104, 104]] as Array<Array<number | [number, number]>>), protocol: pick(r, [undefined, 'dicom', 'https', 'weird']) }]; break;
      case 3: if (c) c.justification = pick(r, HOSTILE); break;
      case 4: if (c) c.hl7 = { messageTypes: [pick(r, HOSTILE)], allowedSegments: [pick(r, HOSTILE)], allowedFields: [pick(r, HOSTILE)] }; break;
      case 5: if (c) c.dicom = { callingAeTitles: [pick(r, HOSTILE)], calledAeTitles: [] }; break;
      case 6: if (c) c.expires = pick(r, ['2020-01-01', '2999-12-31', 'never', '']); break;
      case 7: if (c) m.conduits.push({ ...clone(c), id: pick(r, [c.id, `${c.id}-x`]), tlsRequired: !c.tlsRequired }); break;
      case 8: if (m.assets.length) pick(r, m.assets).addresses = [pick(r, ADDRS)]; break;
      case 9: if (m.assets.length) m.assets.splice(Math.floor(r() * m.assets.length), 1); break;
      case 10: if (c) c.id = pick(r, HOSTILE); break;
      default: m.conduits.reverse(); break;
    }
  }
  return m;
}

export interface FuzzStats { cases: number; ok: number; inputErrors: number }

/** Throws on the first crash: anything but an InputError is a bug to look at. */
export function runFuzz(cases: number, seed = 1): FuzzStats {
  const base = openModel(join(REPO, 'examples', 'hospital')).model;
  const now = Date.UTC(2026, 10, 28);
  const run = runFuzzCases({
    name: 'design', cases, seed, rand: xorshift(seed), stopAfter: 1,
    gen: (r) => {
      const model = r() < 0.7 ? mutateModel(r, base) : clone(base);
      return { model, edges: sampleEdges(r, model) };
    },
    expected: (err) => err instanceof InputError,
    check: ({ model, edges }, r) => {
      switch (Math.floor(r() * 5)) {
        case 0: runCheck(model, edges, { now }); break;
        case 1: {
          const target = pick(r, COMPILE_TARGETS);
          const a = compileModel(model, target, now);
          if (a !== compileModel(model, target, now)) throw new Error(`${target}: output is not deterministic`);
          if (target === 'nftables' && /comment "[^"\n]*"[^\n]*"[^\n]*accept/.test(a.split('\n').filter((l) => l.includes('accept comment')).join('\n'))) throw new Error('quote escaped a comment');
          break;
        }
        case 2: renderProposalYaml(proposeSegmentation(edges, r() < 0.5 ? model : undefined)); break;
        case 3: simulate(edges, model, r() < 0.5 ? base : undefined, { now }); break;
        default: {
          const sg = buildSiteGraph(compilePolicy(model), edges, { model: true, observed: r() < 0.5, now });
          blastFrom(sg, [Math.floor(r() * sg.zoneBase)].filter((v) => v >= 0));
          rankFootholds(sg, 5);
        }
      }
    },
  });
  if (run.failures.length) throw new Error(`crashed: ${run.failures[0]}`);
  return { cases, ok: run.ran - run.expected, inputErrors: run.expected };
}

if (import.meta.main) {
  fuzzMain('design', (cases, seed) => {
    const s = runFuzz(cases, seed);
    return { failures: [], summary: `${s.ok} ok, ${s.inputErrors} input errors, no crash` };
  });
}
