// Before a server starts: is HOST:PORT free? A taken port becomes one clear error (AS_ERR_ADDRESS_IN_USE) that
// says how to pick another address, or, with --next-free-port, the next port that is free.
import net from 'node:net';
import { AuthStudioError } from './errors/registry';

/** How many ports after the asked one `--next-free-port` tries. */
export const NEXT_FREE_PORT_TRIES = 20;

/** Why listening on host:port fails right now ('EADDRINUSE', 'EACCES', ...), or undefined when it would work. */
export function probeListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e.message)));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

/** `host:port` as users type it (IPv6 in brackets). */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The error for a listen that failed with `code` (from a probe or from the server's own listen).
 * @example addressError('127.0.0.1', 9080, 'EADDRINUSE', 'start').message
 *   // 'start: 127.0.0.1:9080 is already in use (another AuthStudio or another server listens there): ...'
 */
export function addressError(host: string, port: number, code: string, command: string): AuthStudioError {
  const where = formatHostPort(host, port);
  const other = formatHostPort(host, port === 65535 ? 9080 : port + 1);
  const how = `pick another address with --listen ${other}, or pass --next-free-port to take the next free port`;
  const why = code === 'EADDRINUSE' ? 'is already in use (another AuthStudio or another server listens there)'
    : code === 'EACCES' ? 'may not be used by this user (ports below 1024 need extra rights)'
      : code === 'EADDRNOTAVAIL' ? 'is not an address of this machine'
        : `cannot be listened on (${code})`;
  return new AuthStudioError('AS_ERR_ADDRESS_IN_USE', `${command}: ${where} ${why}: ${how}`, { path: '--listen' });
}

/** The code of a listen error thrown by net/fastify, if it is one. */
export function listenErrorCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' ? code : undefined;
}

/**
 * Check host:port before anything is started or printed. Port 0 (any free port) always works. With `nextFree`, a
 * taken port is replaced by the first free one of the next NEXT_FREE_PORT_TRIES; returns the port to use.
 * @throws AuthStudioError AS_ERR_ADDRESS_IN_USE
 */
export async function claimablePort(host: string, port: number, opts: { nextFree?: boolean; command: string }): Promise<number> {
  if (port === 0) return 0;
  const first = await probeListen(host, port);
  if (first === undefined) return port;
  if (opts.nextFree && first === 'EADDRINUSE') {
    for (let p = port + 1; p <= Math.min(65535, port + NEXT_FREE_PORT_TRIES); p++) {
      const why = await probeListen(host, p);
      if (why === undefined) return p;
      if (why !== 'EADDRINUSE') throw addressError(host, p, why, opts.command);
    }
    throw new AuthStudioError('AS_ERR_ADDRESS_IN_USE', `${opts.command}: ${formatHostPort(host, port)} and the next ${NEXT_FREE_PORT_TRIES} ports are all in use: pick a free address with --listen HOST:PORT (port 0 takes any free port)`, { path: '--listen' });
  }
  throw addressError(host, port, first, opts.command);
}
