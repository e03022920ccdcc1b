/**
 * A live capture stream (pcap or pcapng on stdin, e.g. from tcpdump -w -)
 * through the same packet pipeline as discover. Finished connections land in
 * an aggregator that the service drains into the window on every tick.
 */
import type { Readable } from 'node:stream';
import { datagramAnalyzers, streamAnalyzers } from '../analyzers/registry.ts';
import { PacketPipeline } from '../decoders/pipeline.ts';
import { FlowAggregator } from '../observations/aggregate.ts';
import { CaptureParser } from '../sources/pcap.ts';
import type { EdgeWindow } from './window.ts';

export class PcapInput {
  readonly agg = new FlowAggregator({ source: 'pcap' });
  readonly pipe = new PacketPipeline({ streamAnalyzers, datagramAnalyzers, sink: this.agg });
  readonly parser: CaptureParser;
  packets = 0;
  done = false;
  warnings: string[] = [];

  constructor(name = 'stdin') {
    this.pipe.inputName = name;
    this.parser = new CaptureParser(name, (p) => {
      this.packets++;
      this.pipe.packet(p);
    });
  }

  /** Reads the stream to its end; bad captures stop with a warning, never a throw past the first block. */
  async run(stream: Readable): Promise<void> {
    try {
      for await (const c of stream as AsyncIterable<Uint8Array>) {
        this.parser.push(c);
        if (this.parser.stopped) break;
      }
    } finally {
      const s = this.parser.end();
      this.warnings.push(...(s.warnings ?? []));
      this.pipe.end();
      this.done = true;
    }
  }

  /** Moves the connections finished so far into the window. */
  drainInto(w: EdgeWindow): void {
    if (this.agg.edges.length === 0 && this.agg.hosts.size === 0) return;
    w.add(this.agg.edges, this.agg.hosts.values());
    this.agg.clearEdges();
    this.agg.hosts.clear();
  }
}
