// Test helper: a real HTTP server on 127.0.0.1 (free port) that records every request it receives.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the server saw it. Header names are lower-cased by node. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. "/users?id=1". */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body's bytes (for binary bodies). */
  raw: Buffer;
}

export interface TestHttpServer {
  /** "http://127.0.0.1:port" (no trailing slash). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Close the server, cutting connections that are still open (e.g. requests it never answers). */
  close(): Promise<void>;
}

/** What the handler gets: the recorded request and node's response object. */
export type TestHandler = (req: RecordedRequest, res: http.ServerResponse) => void;

/**
 * Start a server whose handler sees the request with its whole body already read.
 *
 * @example
 *   const srv = await startHttpServer((req, res) => res.end('ok'));
 *   ... fetch(srv.url + '/x') ...
 *   await srv.close();
 */
export async function startHttpServer(handler: TestHandler): Promise<TestHttpServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw.toString(), raw };
      requests.push(rec);
      handler(rec, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
