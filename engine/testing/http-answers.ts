// The HTTP answers a test declares: a real HTTP server on a loopback port answers them, and the scripts' requests
// for each declared origin go to it (AUTHSTUDIO_HTTP_STANDINS, see lua/http-stand-ins.ts); scripts keep seeing
// their own URLs. A request nothing was declared for is answered 501 and fails the test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One declared answer: `url` (origin and path; a query in it must match too), optional method. */
export interface HttpAnswer {
  url: string;
  method?: string;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpAnswers {
  /** The AUTHSTUDIO_HTTP_STANDINS value that sends every declared origin here. */
  standIns: string;
  /** Requests that matched no declared answer ("POST https://x.example/path"). */
  unanswered: string[];
  stop(): Promise<void>;
}

export async function startHttpAnswers(answers: HttpAnswer[]): Promise<HttpAnswers> {
  const parsed = answers.map((a) => ({ ...a, u: new URL(a.url), method: a.method?.toUpperCase() }));
  const origins = [...new Set(parsed.map((a) => a.u.origin))];
  const unanswered: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      // every origin shares this server: the origin is sent in the path's first segment (/<index>/...)
      const m = /^\/(\d+)(\/.*)?$/.exec(req.url ?? '');
      const origin = m ? origins[Number(m[1])] : undefined;
      const rest = new URL(m?.[2] ?? '/', 'http://x');
      const hit = parsed.find((a) => a.u.origin === origin && a.u.pathname === rest.pathname && (!a.u.search || a.u.search === rest.search) && (!a.method || a.method === req.method));
      if (!hit) {
        unanswered.push(`${req.method} ${origin ?? '?'}${rest.pathname}${rest.search}`);
        res.writeHead(501, { 'content-type': 'text/plain' });
        res.end('authstudio test: no HTTP answer declared for this request\n');
        return;
      }
      res.writeHead(hit.status ?? 200, hit.headers ?? {});
      res.end(hit.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    standIns: origins.map((o, i) => `${o}=http://127.0.0.1:${port}/${i}`).join(','),
    unanswered,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
