// Test helper: loopback IMAP/POP3 stand-ins for backend server monitoring, and our own Lua backend and director
// filter (nauthilus_backend) used by the engine and serve tests.
import net from 'node:net';

export interface Backend { port: number; stop(): Promise<void> }

/** A loopback IMAP/POP3 stand-in that greets like the real thing. */
export async function backend(greeting: string): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    c.write(greeting);
    c.on('data', () => c.end());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  let stopped = false;
  return {
    port: (srv.address() as net.AddressInfo).port,
    stop: () => new Promise<void>((r) => {
      if (stopped) return r();
      stopped = true;
      for (const s of sockets) s.destroy();
      srv.close(() => r());
    }),
  };
}

export const BACKEND_LUA = `
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  if request.username ~= "alice" then return nauthilus_builtin.BACKEND_RESULT_OK, b end
  b:user_found(true)
  b:account_field("account")
  b:attributes({ account = "alice@example.test", uid = "1001", mail = "alice@example.test" })
  b:authenticated(request.password == "alice-secret")
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

// our own director: the first alive server of the request's protocol; its address also goes out as an attribute
export const DIRECTOR_LUA = `
dynamic_loader("nauthilus_backend")
local nauthilus_backend = require("nauthilus_backend")

function nauthilus_call_filter(request)
  if not request.authenticated then return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK end
  local chosen
  for _, server in ipairs(nauthilus_backend.get_backend_servers()) do
    if server.protocol == request.protocol then chosen = server break end
  end
  nauthilus_builtin.custom_log_add("director_servers", tostring(#nauthilus_backend.get_backend_servers()))
  if chosen then
    nauthilus_backend.select_backend_server(chosen.host, chosen.port)
    local r = nauthilus_backend_result.new()
    r:attributes({ ["Proxy-Host"] = chosen.host .. ":" .. chosen.port, mail = "not-applied@example.test" })
    nauthilus_backend.apply_backend_result(r)
    nauthilus_backend.remove_from_backend_result({ "uid" })
  end
  return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK
end
`;

/** An authstudio.yml: the director filter, the Lua backend, and the servers (none: no monitoring section). */
export function monitoringConfig(servers: Array<{ protocol: string; port: number }> | undefined, address = '127.0.0.1:0'): string {
  const lines = [
    `server: {address: "${address}", redis: mock}`,
    'lua:',
    '  filters:',
    '    - name: director',
    '      script_path: ./director.lua',
    '  config:',
    '    backend_script_path: ./backend.lua',
  ];
  if (servers) {
    lines.push('backend_server_monitoring:', '  backend_servers:');
    for (const s of servers) lines.push(`    - {protocol: ${s.protocol}, host: 127.0.0.1, port: ${s.port}, deep_check: true}`);
  }
  return lines.join('\n') + '\n';
}
