// test/helpers/netns.ts builds real namespace networks and always cleans up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO } from '../helpers/corpus.ts';
import { capture, createNet, execIn } from '../helpers/netns.ts';

function namespaces(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(prefix));
}

test('two subnets behind a router namespace; servers start, answer and stop', async () => {
  const net = createNet('lab');
  try {
    const a = net.addSwitch('a');
    const b = net.addSwitch('b');
    net.addHost('rtr', [{ sw: a, cidr: '10.61.1.1/24' }, { sw: b, cidr: '10.61.2.1/24' }], { forward: true });
    const cli = net.addHost('cli', [{ sw: a, cidr: '10.61.1.10/24' }], { gateway: '10.61.1.1' });
    const srv = net.addHost('srv', [{ sw: b, cidr: '10.61.2.20/24' }], { gateway: '10.61.2.1' });
    assert.equal(namespaces(net.prefix).length, 5);
    assert.equal(srv.ip, '10.61.2.20');

    const mac = await srv.exec('cat', ['/sys/class/net/eth0/address']);
    assert.equal(mac.stdout.trim(), '02:00:0a:3d:02:14');
    const off = await srv.exec('ethtool', ['-k', 'eth0']);
    assert.match(off.stdout, /tcp-segmentation-offload: off/);

    const trace = await cli.exec('ip', ['route', 'get', srv.ip]);
    assert.match(trace.stdout, /via 10\.61\.1\.1/);

    const pcap = join(mkdtempSync(join(tmpdir(), 'wl-lab-cap-')), 'a.pcap');
    const cap = await capture(a.ns, 'br0', pcap);
    const server = srv.spawn('socat', ['TCP-LISTEN:7001,reuseaddr,fork', 'EXEC:/bin/cat']);
    await srv.waitListen(7001);
    const echo = await cli.exec('socat', ['-t', '2', '-', `TCP:${srv.ip}:7001`], { input: 'hello wardline\n' });
    assert.equal(echo.stdout, 'hello wardline\n', 'routed through the router namespace');
    await cap.stop();
    const frames = execFileSync('tshark', ['-r', pcap, '-Y', 'tcp.port == 7001 && tcp.len > 0', '-T', 'fields', '-e', 'frame.len', '-e', 'ip.src'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    assert.deepEqual(frames.trim().split('\n').map((l) => l.split('\t')[1]), ['10.61.1.10', '10.61.2.20'], 'request and echo seen on switch a');
    rmSync(dirname(pcap), { recursive: true, force: true });
    // the listener is invisible from the machine's own namespace
    const local = await execIn(null, 'ss', ['-Hltn', 'sport = :7001']);
    assert.equal(local.stdout.trim(), '');
    await server.stop();
    assert.notEqual(await server.exited, 0);

    const slow = await cli.exec('sleep', ['10'], { timeoutMs: 300 });
    assert.equal(slow.signal, 'SIGKILL');
  } finally {
    await net.destroy();
  }
  assert.deepEqual(namespaces(net.prefix), []);
  await net.destroy(); // idempotent
});

// gone, or a zombie waiting for init to reap it
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    let state: string;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return true;
    }
    if (state === 'Z') return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('namespaces and servers go away when the test process is killed', async () => {
  const script = `
    import { createNet } from ${JSON.stringify(join(REPO, 'test', 'helpers', 'netns.ts'))};
    const net = createNet('lab');
    const sw = net.addSwitch('s');
    const h = net.addHost('h', [{ sw, cidr: '10.62.0.2/24' }]);
    const p = h.spawn('sleep', ['300']);
    await h.exec('true');
    console.log(net.prefix + ' ' + p.pid);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString();
      if (buf.includes('\n')) resolve(buf.trim());
    });
  });
  const [prefix, pid] = line.split(' ');
  assert.equal(namespaces(prefix).length, 2);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  assert.deepEqual(namespaces(prefix), []);
  assert.equal(await gone(Number(pid)), true, 'the server it spawned is gone');
});
