// Where nginx mail proxies a login to (Auth-Server / Auth-Port), as Nauthilus 1.10 decides (core/auth.go setNginxHeaders):
// with backend_server_monitoring, the server a filter selected (none alive: "Internal failure"); without it, the
// per-protocol address from the environment (NAUTHILUS_{SMTP,IMAP,POP3}_BACKEND_{ADDRESS,PORT}).

export interface Upstream {
  host: string;
  port: number;
}

export interface NginxUpstreams {
  /** backend_server_monitoring is configured. */
  monitoring: boolean;
  /** How many monitored servers are alive now. */
  aliveCount: number;
  /** Without monitoring: the server for smtp, imap and pop3. */
  defaults: Record<string, Upstream>;
}

/** Nauthilus 1.10 definitions/const.go: the backend each protocol goes to when nothing else is configured. */
export const NAUTHILUS_DEFAULT_UPSTREAMS: Record<string, Upstream> = {
  smtp: { host: '127.0.0.1', port: 5871 },
  imap: { host: '127.0.0.1', port: 9931 },
  pop3: { host: '127.0.0.1', port: 9951 },
};

/**
 * The per-protocol upstreams from the environment, over Nauthilus' defaults. A port that is not a number from
 * 1 to 65535 is reported through `warn` and the default is kept.
 */
export function upstreamsFromEnv(getenv: (name: string) => string | undefined, warn: (msg: string) => void = () => undefined): Record<string, Upstream> {
  const out: Record<string, Upstream> = {};
  for (const [proto, d] of Object.entries(NAUTHILUS_DEFAULT_UPSTREAMS)) {
    const up = proto.toUpperCase();
    const host = getenv(`NAUTHILUS_${up}_BACKEND_ADDRESS`)?.trim() || d.host;
    const portText = getenv(`NAUTHILUS_${up}_BACKEND_PORT`)?.trim();
    let port = d.port;
    if (portText) {
      if (/^\d{1,5}$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535) port = Number(portText);
      else warn(`NAUTHILUS_${up}_BACKEND_PORT="${portText}" is not a port (1 to 65535): using ${d.port}`);
    }
    out[proto] = { host, port };
  }
  return out;
}

/**
 * The headers a successful nginx answer carries about the upstream: Auth-Server/Auth-Port, or, when monitoring
 * lists no server alive, Auth-Status "Internal failure" (Nauthilus logs "No backend servers found").
 */
export function nginxUpstreamHeaders(u: NginxUpstreams, protocol: string, selected: Upstream | undefined): Record<string, string> {
  if (u.monitoring) {
    if (u.aliveCount === 0) return { 'Auth-Status': 'Internal failure' };
    return selected ? { 'Auth-Server': selected.host, 'Auth-Port': String(selected.port) } : {};
  }
  const d = u.defaults[protocol];
  return d ? { 'Auth-Server': d.host, 'Auth-Port': String(d.port) } : {};
}
