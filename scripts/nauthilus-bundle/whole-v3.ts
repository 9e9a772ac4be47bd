// Nauthilus 3.x only: the proxy site (backend/proxy_backend.lua with init/proxy-init.lua) in front of an upstream
// AuthStudio serving the CSV site over real HTTP, as a Nauthilus 3 edge forwards to its authority.
import pino from 'pino';
import type { AddressInfo } from 'node:net';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { USERS } from './site';

export interface ProxyResult { errors: string[]; initErrors: string[]; failures: Record<string, string | undefined> }

/** Logins through the proxy site; what the upstream answered and what the proxy made of it. */
export async function proxyChecks(proxyFile: string, upstreamFile: string): Promise<ProxyResult> {
  const env = { ...process.env } as Record<string, string>;
  const upstreamLogs: string[] = [];
  const upEngine = await AuthEngine.create(loadConfigFile(upstreamFile, { env }), { logger: pino({ level: 'info' }, { write: (l: string) => void upstreamLogs.push(l) }), env });
  const upApp = await buildHttpApp(upEngine);
  await upApp.listen({ host: '127.0.0.1', port: 0 });
  const upstream = `http://127.0.0.1:${(upApp.server.address() as AddressInfo).port}`;
  const proxyEnv = { ...env, PROXY_BACKEND_UPSTREAM_URL: upstream };
  const lines: string[] = [];
  const engine = await AuthEngine.create(loadConfigFile(proxyFile, { env: proxyEnv }), { logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }), env: proxyEnv });
  const app = await buildHttpApp(engine);
  const errors: string[] = [];
  const login = async (username: string, password: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username, password, client_ip: '81.2.73.1', protocol: 'imap', ssl: 'on' } });
    const out = engine.lastTrace(String(res.headers['x-nauthilus-session']));
    for (const r of out?.trace ?? []) if (r.error) errors.push(r.error);
    return out;
  };
  try {
    const alice = USERS[0];
    const ok = await login(alice.username, alice.password);
    // carol's CSV row says expected_ok=false: the upstream refuses her (HTTP 403), which proxy_backend.lua reads as a
    // backend error (do_request: any status outside 2xx), so Nauthilus answers a temporary failure; never a login
    const refused = await login('carol', 'carol-secret');
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const upstreamSaw = upstreamLogs.filter((l) => l.includes(`"${alice.username}"`)).length;
    const initFailed = lines.some((l) => /init script.*failed/.test(l));
    return {
      errors,
      initErrors: initFailed ? ['init script failed'] : [],
      failures: {
        'backend/proxy_backend.lua': ok?.decision !== 'ok' ? `the upstream's user was refused through the proxy (${ok?.decision} ${ok?.statusMessage ?? ''})`
          : ok.attributes.account !== alice.account ? `the upstream's account attribute did not come through (${JSON.stringify(ok.attributes)})`
            : refused?.decision === 'ok' ? 'a user the upstream refuses was accepted through the proxy'
              : upstreamSaw === 0 ? 'the upstream logged no request for the user' : undefined,
        // it registers the upstream as a connection target and creates the proxy's metrics, which the backend fills
        'init/proxy-init.lua': /proxy_backend_http_duration_seconds_count\{[^}]*\} [1-9]/.test(metrics) ? undefined : 'no proxy_backend_http_duration_seconds observation on /metrics',
      },
    };
  } finally {
    await app.close();
    await engine.close();
    await upApp.close();
    await upEngine.close();
  }
}
