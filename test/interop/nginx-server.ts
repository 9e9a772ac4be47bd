// Test helper: a real nginx (Debian's nginx with libnginx-mod-mail) as a mail proxy on free loopback ports, asking an
// auth_http server for every login.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { freePort } from '../helpers/free-port';

const MAIL_MODULE = '/usr/lib/nginx/modules/ngx_mail_module.so';

/** Why the nginx tests cannot run here, or undefined when they can. */
export function nginxUnavailable(): string | undefined {
  try {
    execFileSync('sh', ['-c', 'command -v nginx'], { stdio: 'pipe' });
  } catch {
    return 'nginx is not installed (apt-get install nginx-light libnginx-mod-mail; .ci/run does it)';
  }
  if (!fs.existsSync(MAIL_MODULE)) return `nginx's mail module is missing (${MAIL_MODULE}: apt-get install libnginx-mod-mail)`;
  return undefined;
}

export interface NginxMail {
  imapPort: number;
  smtpPort: number;
  dir: string;
  /** nginx's error log so far (mail sessions log there at info level). */
  log(): string;
  stop(): Promise<void>;
}

/** Start nginx in the foreground with an IMAP and an SMTP proxy whose auth_http is `authHttp` (host:port/path). */
export async function startNginxMail(authHttp: string): Promise<NginxMail> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-nginx-'));
  const imapPort = await freePort();
  const smtpPort = await freePort();
  const errorLog = path.join(dir, 'error.log');
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, [
    `load_module ${MAIL_MODULE};`,
    'daemon off;',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${errorLog} info;`,
    'events { worker_connections 64; }',
    'mail {',
    '  server_name mail.test;',
    `  auth_http ${authHttp};`,
    '  proxy_pass_error_message on;',
    '  imap_auth login plain;',
    '  smtp_auth login plain;',
    // the SMTP backend is not asked to trust nginx's XCLIENT: nginx sends EHLO and the client's envelope
    '  xclient off;',
    `  server { listen 127.0.0.1:${imapPort}; protocol imap; }`,
    `  server { listen 127.0.0.1:${smtpPort}; protocol smtp; }`,
    '}',
    '',
  ].join('\n'));
  // -e: the error log before the config is read (else nginx opens /var/log/nginx/error.log first)
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', conf, '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}${fs.existsSync(errorLog) ? fs.readFileSync(errorLog, 'utf8') : ''}`);
    if (await listening(imapPort) && await listening(smtpPort)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not listen in 10 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    imapPort, smtpPort, dir,
    log: () => (fs.existsSync(errorLog) ? fs.readFileSync(errorLog, 'utf8') : ''),
    async stop() {
      if (child.exitCode === null) {
        // SIGQUIT: graceful stop of the master and its worker
        child.kill('SIGQUIT');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** A line-oriented client for IMAP and SMTP sessions through the proxy. */
export class LineClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  private constructor(private sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => undefined);
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  send(line: string | Buffer): void {
    this.sock.write(Buffer.concat([typeof line === 'string' ? Buffer.from(line, 'utf8') : line, Buffer.from('\r\n')]));
  }

  /** The next line that `pred` accepts (lines before it are dropped); null when the connection closed first. */
  async line(pred: (l: string) => boolean = () => true, ms = 15_000): Promise<string | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.subarray(0, i).toString('utf8');
        this.buf = this.buf.subarray(i + 2);
        if (pred(l)) return l;
        continue;
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${ms} ms (have: ${JSON.stringify(this.buf.toString('utf8'))})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
