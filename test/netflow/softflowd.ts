/** softflowd as a real NetFlow/IPFIX exporter for the tests and the benchmark. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { bindUdp, sleep } from '../helpers/net.ts';

const run = promisify(execFile);

/** Runs softflowd over a pcap into a loopback socket of ours; returns the datagrams in arrival order. */
export async function softflowdExport(pcap: string, args: string[]): Promise<Buffer[]> {
  const sock = await bindUdp();
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(Buffer.from(m)));
  const port = sock.address().port;
  // -c/-p must stay off with -r (softflowd would block on its control socket; lab README gotcha 4).
  await run('timeout', ['120', 'softflowd', '-d', '-r', pcap, '-n', `127.0.0.1:${port}`, ...args, '-T', 'full'], { maxBuffer: 16 * 1024 * 1024 });
  // softflowd has exited, so every datagram is in our socket buffer; let the event loop drain it.
  let n = -1;
  while (n !== got.length) {
    n = got.length;
    await sleep(100);
  }
  sock.close();
  return got;
}
