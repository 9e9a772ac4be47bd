// The studio's debug adapter on a TCP port (`authstudio studio --dap-listen`): the same DAP sessions as
// `authstudio dap`, one per connection (VS Code's launch.json `debugServer`), debugging the studio's workspace
// with the studio's Redis. Loopback only: the adapter asks for no token.
import net from 'node:net';
import { AuthStudioDapSession, type DapDefaults } from './dap-session';

/** Listen for DAP clients; resolves with the server once it listens (close it to stop). */
export function serveDapOnTcp(host: string, port: number, defaults: DapDefaults): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const session = new AuthStudioDapSession(defaults);
    session.setRunAsServer(true);
    session.start(socket, socket);
    session.on('closed', () => socket.end());
    socket.on('close', () => void session.closeQuietly());
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
