import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors.ts';
import { openModel } from '../../model/open.ts';
import { hashPassword } from '../../serve/password.ts';
import { isLoopbackHost, parseListen } from '../../serve/listen.ts';
import { startDashboard } from '../../serve/server.ts';
import { loadUsersFile, storeUsers } from '../../serve/users.ts';
import { openStore } from '../../store/open.ts';
import { EXIT, type Command } from '../command.ts';

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InputError(`cannot read ${what}: ${(err as Error).message}`, { location: { file: path } });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const command: Command = {
  name: 'serve',
  summary: 'web dashboard: data-flow map, inventory, findings, timeline, blast radius, live alerts (login required)',
  usage: 'wardline serve [--db STORE] [--model DIR] [--listen 127.0.0.1:8443] [--tls-cert F --tls-key F] [--users FILE]\n       wardline serve --hash-password < password.txt',
  description: [
    'Serves the dashboard from the store. There is no default password: with --users the accounts come from',
    'that file (name, role viewer|admin, scrypt hash); otherwise the first start creates "admin" with a random',
    'password printed once on stderr and kept only as a scrypt hash in the store. Binds to loopback unless',
    '--listen says otherwise; off loopback it requires --tls-cert/--tls-key. Logins and changes are audited',
    'in the store (dashboard_audit). See docs/dashboard.md.',
  ].join('\n'),
  examples: [
    'wardline serve --model examples/hospital',
    'wardline serve --model site/ --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --users users.yaml',
    'wardline serve --model site/ --proposed proposed/     # blast radius before/after the proposal',
    'printf %s "$PASSWORD" | wardline serve --hash-password   # a hash for users.yaml',
  ],
  options: {
    model: { type: 'string', value: 'DIR', description: 'site model: verdicts on edges, names and zones on assets' },
    proposed: { type: 'string', value: 'DIR', description: 'a proposed model for the before/after blast radius' },
    listen: { type: 'string', value: 'HOST:PORT', description: 'where to listen', default: '127.0.0.1:8443' },
    'tls-cert': { type: 'string', value: 'FILE', description: 'TLS certificate chain (PEM)' },
    'tls-key': { type: 'string', value: 'FILE', description: 'TLS private key (PEM)' },
    users: { type: 'string', value: 'FILE', description: 'users file (YAML/JSON) with scrypt hashes; default: accounts in the store' },
    'hash-password': { type: 'boolean', description: 'read a password on stdin, print its scrypt hash, exit' },
  },
  async run(ctx) {
    if (ctx.opts['hash-password']) {
      const pw = await readStdin();
      if (pw.length < 12) throw new InputError('a dashboard password needs at least 12 characters');
      ctx.out.write(await hashPassword(pw));
      return EXIT.OK;
    }
    const { host, port } = parseListen(String(ctx.opts.listen ?? '127.0.0.1:8443'));
    const certPath = ctx.opts['tls-cert'];
    const keyPath = ctx.opts['tls-key'];
    if ((typeof certPath === 'string') !== (typeof keyPath === 'string')) throw new InputError('--tls-cert and --tls-key go together');
    const tls = typeof certPath === 'string' && typeof keyPath === 'string' ? { cert: readPem(certPath, 'TLS certificate'), key: readPem(keyPath, 'TLS key') } : undefined;
    if (!tls && !isLoopbackHost(host)) {
      throw new InputError(`refusing to serve a map of the hospital in cleartext on ${host}`, { hint: 'give --tls-cert and --tls-key, or listen on 127.0.0.1 (and reach it through an SSH tunnel)' });
    }
    const model = typeof ctx.opts.model === 'string' ? openModel(ctx.opts.model).model : undefined;
    const proposed = typeof ctx.opts.proposed === 'string' ? { model: openModel(ctx.opts.proposed).model, label: ctx.opts.proposed } : undefined;
    if (proposed && !model) throw new InputError('--proposed needs --model (today\'s model) to compare with');
    const usersFile = typeof ctx.opts.users === 'string' ? loadUsersFile(ctx.opts.users) : undefined;
    const db = await openStore(typeof ctx.opts.db === 'string' ? ctx.opts.db : undefined);
    let users = usersFile;
    if (!users) {
      const r = await storeUsers(db);
      users = r.directory;
      if (r.created) {
        // Printed once, never stored or logged in the clear: only its scrypt hash is kept.
        process.stderr.write(`\nFirst start: created dashboard user '${r.created.name}' (role admin) with password:\n\n    ${r.created.password}\n\nIt is shown only this once. Store it in a password manager.\n\n`);
      }
    }
    let dash;
    try {
      dash = await startDashboard({ db, users, model, proposed, host, port, tls });
    } catch (err) {
      await db.close();
      throw new InputError(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
    }
    const url = dash.url;
    if (ctx.out.json) ctx.out.data({ url, tls: !!tls, users: users.origin });
    else process.stderr.write(`wardline dashboard on ${url} (accounts: ${users.origin}${tls ? '' : '; loopback HTTP, cookies without Secure'})\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await dash.close();
    await db.close();
    return EXIT.OK;
  },
};
