// `cert_util` (nauthilus_gll_cert_util): gopher-lua-libs v0.7.0's not_after(server_name, address?): dial
// (5 s), TLS handshake with SNI and without verification, and the earliest NotAfter of the peer's chain.
import net from 'node:net';
import tls from 'node:tls';
import { LuaMultiReturn } from 'wasmoon';
import type { LuaModule, ModuleHost } from '../module';
import { dialError, splitAddress } from './tcp';

const DIAL_TIMEOUT_MS = 5000;
/** Go sets no handshake deadline; a server that never answers must not hold the script for ever. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The earliest valid_to (unix seconds) of a peer chain as node presents it (issuerCertificate links). */
export function earliestNotAfter(cert: tls.DetailedPeerCertificate | undefined): number | undefined {
  let min: number | undefined;
  const seen = new Set<unknown>();
  for (let c = cert; c && Object.keys(c).length > 0 && !seen.has(c); c = c.issuerCertificate) {
    seen.add(c);
    const t = Math.floor(Date.parse(c.valid_to) / 1000);
    if (Number.isFinite(t) && (min === undefined || t < min)) min = t;
  }
  return min;
}

function notAfter(host: ModuleHost, serverName: string, address: string): Promise<LuaMultiReturn> {
  const fail = (msg: string) => LuaMultiReturn.from([undefined, msg]);
  const hp = splitAddress(address);
  if (typeof hp === 'string') return Promise.resolve(fail(hp));
  host.call?.record('tcp', { op: 'tls-not-after', address, server_name: serverName });
  return new Promise((resolve) => {
    const raw = net.connect({ host: hp.host, port: hp.port });
    let done = false;
    const finish = (v: LuaMultiReturn) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      raw.destroy();
      resolve(v);
    };
    let timer = setTimeout(() => finish(fail(`dial tcp ${address}: i/o timeout`)), DIAL_TIMEOUT_MS);
    raw.once('error', (e) => finish(fail(dialError(address, hp.host, e))));
    raw.once('connect', () => {
      clearTimeout(timer);
      raw.removeAllListeners('error');
      const servername = net.isIP(serverName) ? undefined : serverName || undefined;
      const sock = tls.connect({ socket: raw, servername, rejectUnauthorized: false });
      const answer = (handshakeErr: string | undefined) => {
        const min = earliestNotAfter(sock.getPeerCertificate(true) as tls.DetailedPeerCertificate);
        sock.destroy();
        if (min === undefined) finish(fail('certs not found'));
        else finish(LuaMultiReturn.from([min, handshakeErr]));
      };
      timer = setTimeout(() => answer('tls: handshake timeout'), HANDSHAKE_TIMEOUT_MS);
      sock.once('secureConnect', () => answer(undefined));
      sock.once('error', (e) => answer(e.message));
    });
  });
}

export const gllCertUtilModule: LuaModule = {
  name: 'cert_util',
  legacyLoaderName: 'nauthilus_gll_cert_util',
  summary: "not_after(server_name, address?): the earliest expiry (unix time) of a TLS server's certificate chain (gopher-lua-libs v0.7.0).",
  install(host: ModuleHost) {
    return {
      functions: { not_after_raw: (name: string, address: string) => notAfter(host, name, address) },
      async: ['not_after_raw'],
      lua: CERT_LUA,
    };
  },
};

const CERT_LUA = `
local api = ...
local M = {}
local function str(n, v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  error(string.format("bad argument #%d to 'not_after' (string expected, got %s)", n, t), 3)
end
function M.not_after(...)
  local name = str(1, (...))
  local address
  if select("#", ...) > 1 then address = str(2, (select(2, ...))) else address = name .. ":443" end
  local t, err = api.not_after_raw(name, address)
  return t, err
end
return M
`;
