// Local stand-ins for the services the scripts Nauthilus ships talk to: our own small servers, each recording what
// it received. None of them contains Nauthilus code; each answers in the shape the scripts read.
import net from 'node:net';
import { startHttpServer, type TestHttpServer } from '../../test/helpers/http-server';
import { startSmtpServer, type SmtpTestServer } from '../../test/helpers/smtp-server';
import { startRedisServer, type RedisServer } from '../../test/helpers/redis-server';

/** A TCP service that records every line it receives and answers each with an empty line (HAProxy runtime API). */
export interface LineServer { port: number; lines: string[]; close(): Promise<void> }

export async function startLineServer(): Promise<LineServer> {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        sock.write('\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    lines,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface StandIns {
  redis: RedisServer;
  /** Answers {found: true} for the IPs in `blocked`, else {found: false}. */
  blocklist: TestHttpServer & { blocked: Set<string> };
  /** geoip-policyd: 202 with a guid and an object; policy_reject for the IPs in `rejected`. */
  geoip: TestHttpServer & { rejected: Set<string> };
  /** ClickHouse HTTP: inserts answer 200 empty, selects answer a JSON result. */
  clickhouse: TestHttpServer;
  /** Telegram Bot API: every method answers ok with a message. */
  telegram: TestHttpServer;
  /** The password-breach range API (GET /range/<5 hex>): `SUFFIX:COUNT` lines for the passwords in `leaked`. */
  hibp: TestHttpServer & { leaked: Map<string, number> };
  /** HAProxy runtime API. */
  haproxy: LineServer;
  /** A mail backend that accepts TCP connections (backend_server_monitoring's plain check). */
  imap: LineServer;
  smtp: SmtpTestServer;
  close(): Promise<void>;
}

const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

export async function startStandIns(): Promise<StandIns> {
  const redis = await startRedisServer();
  const blocked = new Set<string>();
  const rejected = new Set<string>();
  const blocklist = Object.assign(await startHttpServer((req, res) => {
    let ip = '';
    try {
      ip = String((JSON.parse(req.body) as { ip?: string }).ip ?? '');
    } catch {
      return json(res, 200, { error: 'bad json' });
    }
    json(res, 200, { found: blocked.has(ip), ip });
  }), { blocked });
  let guid = 0;
  const geoip = Object.assign(await startHttpServer((req, res) => {
    let ip = '';
    try {
      ip = String((JSON.parse(req.body) as { key?: string; value?: { address?: string } }).value?.address ?? '');
    } catch {
      // an unexpected body still gets an answer
    }
    guid++;
    json(res, 202, {
      guid: `guid-${guid}`,
      object: { policy_reject: rejected.has(ip), current_country_code: 'DE', home_countries_seen: ['DE'], foreign_countries_seen: [] },
    });
  }), { rejected });
  const clickhouse = await startHttpServer((req, res) => {
    if (/select/i.test(decodeURIComponent(req.url)) || /^\s*select/i.test(req.body)) {
      return json(res, 200, { meta: [{ name: 'ts', type: 'String' }], data: [{ ts: '2026-01-01 00:00:00.000', username: 'alice' }], rows: 1 });
    }
    res.writeHead(200);
    res.end('');
  });
  let messageId = 0;
  const telegram = await startHttpServer((_req, res) => {
    messageId++;
    json(res, 200, { ok: true, result: { message_id: messageId, date: 1, chat: { id: 1, type: 'private' }, text: 'sent' } });
  });
  // passwords by their upper-case SHA-1, with how often they were seen in breaches
  const leaked = new Map<string, number>();
  const hibp = Object.assign(await startHttpServer((req, res) => {
    const prefix = /^\/range\/([0-9A-Fa-f]{5})$/.exec(req.url)?.[1]?.toUpperCase();
    if (!prefix) {
      res.writeHead(400);
      return res.end('The hash prefix was not in a valid format');
    }
    const lines = [...leaked].filter(([sha]) => sha.startsWith(prefix)).map(([sha, n]) => `${sha.slice(5)}:${n}`);
    // padding lines (count 0), as the real service may send
    lines.push('0000000000000000000000000000000000A:0');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(lines.join('\r\n'));
  }), { leaked });
  const haproxy = await startLineServer();
  const imap = await startLineServer();
  const smtp = await startSmtpServer();
  return {
    redis, blocklist, geoip, clickhouse, telegram, hibp, haproxy, imap, smtp,
    async close() {
      await Promise.allSettled([blocklist.close(), geoip.close(), clickhouse.close(), telegram.close(), hibp.close(), haproxy.close(), imap.close(), smtp.close()]);
      await redis.stop();
    },
  };
}
