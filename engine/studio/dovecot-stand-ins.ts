// Local stand-ins for the services Dovecot scripts call (a Nextcloud WebDAV endpoint, ...), started by the studio
// so an example like the Nextcloud app-password script runs unchanged: its requests to the declared origin go here.
//
//   <script folder>/stand-in.json  ->  one HTTP server on 127.0.0.1:<free port> per file (restarted when it changes)
//   runDovecot(script)             ->  urlMap { origin: http://127.0.0.1:<port> } for the harness
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AuthStudioError } from '../errors/registry';

/** The file a script folder declares its stand-in in. */
export const STAND_IN_FILE = 'stand-in.json';

/** What stand-in.json holds. */
export interface StandInSpec {
  /** nextcloud-webdav: PROPFIND /remote.php/dav/ with Basic auth, 207 for an app password, 401 otherwise. */
  kind: 'nextcloud-webdav';
  /** The origin the script calls, e.g. https://nextcloud.example.com */
  origin: string;
  /** login name -> app password */
  app_passwords: Record<string, string>;
}

const KINDS = ['nextcloud-webdav'];

/** Read and check a stand-in.json; errors name the file and the key. */
export function parseStandIn(text: string, rel: string): StandInSpec {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', `${rel}: not JSON (${(e as Error).message})`, { path: rel });
  }
  const bad = (key: string, what: string) => new AuthStudioError('AS_ERR_BAD_REQUEST', `${rel}: ${key} ${what}`, { path: `${rel}#${key}` });
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('(top level)', 'must be an object');
  const o = v as Record<string, unknown>;
  if (!KINDS.includes(o.kind as string)) throw bad('kind', `must be one of ${KINDS.join(', ')}`);
  if (typeof o.origin !== 'string' || !/^https?:\/\/[^/\s]+$/.test(o.origin)) throw bad('origin', 'must be a scheme and host without a path, e.g. "https://nextcloud.example.com"');
  const pw = o.app_passwords;
  if (!pw || typeof pw !== 'object' || Array.isArray(pw)) throw bad('app_passwords', 'must be an object of login name -> app password');
  for (const [k, x] of Object.entries(pw)) if (typeof x !== 'string') throw bad(`app_passwords.${k}`, 'must be a string');
  return { kind: 'nextcloud-webdav', origin: o.origin, app_passwords: pw as Record<string, string> };
}

const MULTISTATUS = '<?xml version="1.0"?>\n<d:multistatus xmlns:d="DAV:"><d:response><d:href>/remote.php/dav/</d:href>'
  + '<d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>\n';

/** Nextcloud's answer to a WebDAV request: 207 for a known login and app password, 401 otherwise. */
function nextcloudWebdav(spec: StandInSpec): http.RequestListener {
  return (req, res) => {
    req.resume();
    if (!(req.url ?? '').startsWith('/remote.php/dav')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'PROPFIND') {
      res.writeHead(405, { allow: 'PROPFIND', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const pair = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const colon = pair.indexOf(':');
    const user = colon < 0 ? '' : pair.slice(0, colon);
    const known = colon >= 0 && Object.prototype.hasOwnProperty.call(spec.app_passwords, user) && spec.app_passwords[user] === pair.slice(colon + 1);
    if (!known) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Nextcloud"', 'content-type': 'application/xml' }).end('<?xml version="1.0"?>\n<d:error xmlns:d="DAV:"/>\n');
      return;
    }
    res.writeHead(207, 'Multi-Status', { 'content-type': 'application/xml; charset=utf-8' }).end(MULTISTATUS);
  };
}

interface Running {
  text: string;
  origin: string;
  url: string;
  server: http.Server;
}

/** The stand-ins of a workspace, started on first use and stopped by close(). */
export class DovecotStandIns {
  private readonly running = new Map<string, Running>();

  /** The urlMap for a script in `scriptDir` (absolute): its folder's stand-in.json, started if needed. */
  async urlMapFor(scriptDir: string, relDir: string): Promise<Record<string, string>> {
    const file = path.join(scriptDir, STAND_IN_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return {};
    }
    const rel = relDir ? `${relDir}/${STAND_IN_FILE}` : STAND_IN_FILE;
    const have = this.running.get(file);
    if (have && have.text === text) return { [have.origin]: have.url };
    const spec = parseStandIn(text, rel);
    if (have) await stop(have.server);
    const server = http.createServer(nextcloudWebdav(spec));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.running.set(file, { text, origin: spec.origin, url, server });
    return { [spec.origin]: url };
  }

  async close(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => stop(r.server)));
  }
}

function stop(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
