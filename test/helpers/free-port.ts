// Test helper: a loopback port nothing listens on (it was free a moment ago: listen on port 0, read it, close).
import net from 'node:net';

/** A port on 127.0.0.1 that was free a moment ago: for a server a test starts, or a "closed port" to connect to. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
