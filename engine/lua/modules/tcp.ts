// `tcp` (nauthilus_gll_tcp): a TCP client as gopher-lua-libs' tcp module offers it (open, write, read, close).
import net from 'node:net';
import type { LuaModule } from '../module';
import { ret, fail } from '../values';

/** An open connection with what it has received and not yet handed to Lua. */
interface Conn {
  socket: net.Socket;
  address: string;
  chunks: Buffer[];
  /** Bytes in `chunks`. */
  bytes: number;
  ended: boolean;
  error: Error | undefined;
  closed: boolean;
  wake: (() => void) | undefined;
}

/** A connection nobody reads from or writes to for this long is closed (scripts often never close). */
const IDLE_CLOSE_MS = 60_000;
/**
 * A connection buffers at most this much that the script has not read: then the socket pauses (TCP flow
 * control holds the peer back), and a read that needs more ("*a", a line without its end) is an error.
 */
export const MAX_TCP_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Connections (open or being opened) one VM may hold. */
export const MAX_TCP_CONNECTIONS = 256;

export function splitAddress(address: string): { host: string; port: number } | string {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) return `dial tcp: address ${address}: missing port in address`;
  const port = Number(m[3]);
  if (port > 65535) return `dial tcp: address ${address}: invalid port`;
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export function dialError(address: string, host: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'ECONNREFUSED') return `dial tcp ${address}: connect: connection refused`;
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `dial tcp: lookup ${host}: no such host`;
  if (e.code === 'ETIMEDOUT') return `dial tcp ${address}: i/o timeout`;
  return `dial tcp ${address}: ${e.message}`;
}

function label(c: Conn, op: string): string {
  const s = c.socket;
  return `${op} tcp ${s.localAddress ?? ''}:${s.localPort ?? ''}->${c.address}`;
}

function buffered(c: Conn): Buffer {
  if (c.chunks.length !== 1) c.chunks = [Buffer.concat(c.chunks)];
  return c.chunks[0];
}

function take(c: Conn, n: number): string {
  const buf = buffered(c);
  let end = Math.min(n, buf.length);
  // Lua strings cross as UTF-8: do not cut a multi-byte character in two
  if (end < buf.length) {
    let i = end;
    while (i > 0 && end - i < 3 && (buf[i] & 0xc0) === 0x80) i--;
    if (i > 0 && i < end && (buf[i] & 0xc0) === 0xc0) end = i;
  }
  c.chunks = [buf.subarray(end)];
  c.bytes = buf.length - end;
  if (c.bytes < MAX_TCP_BUFFERED_BYTES && c.socket.isPaused()) c.socket.resume();
  return buf.subarray(0, end).toString('utf8');
}

/** Wait until `ready()` holds, the peer closes, an error occurs or the timeout passes. */
async function waitFor(c: Conn, ready: () => boolean, timeoutMs: number): Promise<'ready' | 'eof' | 'timeout' | 'error'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ready()) return 'ready';
    if (c.error) return 'error';
    if (c.ended || c.closed) return 'eof';
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, left);
      c.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    c.wake = undefined;
  }
}

export const tcpModule: LuaModule = {
  name: 'tcp',
  legacyLoaderName: 'nauthilus_gll_tcp',
  summary: 'TCP client: open(address), conn:write(...), conn:read(n | "*l" | "*a"), conn:close(), with timeouts.',
  install(host) {
    const conns = new Map<number, Conn>();
    let nextId = 0;
    let connecting = 0;

    const closeConn = (id: number, graceMs: number) => {
      const c = conns.get(id);
      if (!c) return;
      conns.delete(id);
      c.closed = true;
      c.wake?.();
      c.socket.end();
      setTimeout(() => c.socket.destroy(), Math.max(0, graceMs)).unref();
    };

    return {
      functions: {
        open_raw: (address: string, dialTimeoutSec: number) => {
          const hp = splitAddress(address);
          if (typeof hp === 'string') return Promise.resolve(fail(hp));
          // each connection is a file descriptor of the whole process: a loop of open() must not use them up
          if (conns.size + connecting >= MAX_TCP_CONNECTIONS) {
            return Promise.resolve(fail(`dial tcp ${address}: ${MAX_TCP_CONNECTIONS} connections are open in this VM: close the ones no longer used`));
          }
          host.call?.record('tcp', { op: 'open', address });
          connecting++;
          return new Promise<unknown>((resolve) => {
            const socket = net.connect({ host: hp.host, port: hp.port });
            const timer = setTimeout(() => {
              socket.destroy();
              resolve(fail(`dial tcp ${address}: i/o timeout`));
            }, dialTimeoutSec * 1000);
            socket.once('error', (e) => {
              clearTimeout(timer);
              resolve(fail(dialError(address, hp.host, e)));
            });
            socket.once('connect', () => {
              clearTimeout(timer);
              socket.removeAllListeners('error');
              const c: Conn = { socket, address, chunks: [], bytes: 0, ended: false, error: undefined, closed: false, wake: undefined };
              const id = ++nextId;
              conns.set(id, c);
              socket.setTimeout(IDLE_CLOSE_MS, () => closeConn(id, 0));
              socket.on('data', (d) => {
                c.chunks.push(d);
                c.bytes += d.length;
                if (c.bytes >= MAX_TCP_BUFFERED_BYTES) socket.pause();
                c.wake?.();
              });
              socket.on('end', () => { c.ended = true; c.wake?.(); });
              socket.on('error', (e) => { c.error = e; c.wake?.(); });
              socket.on('close', () => { c.ended = true; c.wake?.(); });
              resolve(ret(id));
            });
          }).finally(() => { connecting--; });
        },
        write_raw: async (id: number, data: string, timeoutSec: number) => {
          const c = conns.get(id);
          if (!c) return 'write tcp: use of closed network connection';
          if (c.error || c.socket.destroyed) return `${label(c, 'write')}: ${c.error?.message ?? 'broken pipe'}`;
          host.call?.record('tcp', { op: 'write', address: c.address, bytes: Buffer.byteLength(data) });
          return new Promise<string | undefined>((resolve) => {
            const timer = setTimeout(() => resolve(`${label(c, 'write')}: i/o timeout`), timeoutSec * 1000);
            c.socket.write(data, (e) => {
              clearTimeout(timer);
              resolve(e ? `${label(c, 'write')}: ${e.message}` : undefined);
            });
          });
        },
        read_raw: async (id: number, format: string | number, timeoutSec: number) => {
          const c = conns.get(id);
          if (!c) return fail('read tcp: use of closed network connection');
          const size = () => c.bytes;
          const full = () => c.bytes >= MAX_TCP_BUFFERED_BYTES;
          let ready: () => boolean;
          let extract: () => unknown;
          if (typeof format === 'number') {
            if (format <= 0) return ret('');
            ready = () => size() > 0;
            extract = () => take(c, Math.floor(format));
          } else if (format === '*l') {
            ready = () => full() || c.chunks.some((b) => b.includes(10));
            extract = () => {
              const buf = buffered(c);
              const nl = buf.indexOf(10);
              const line = take(c, nl >= 0 ? nl + 1 : buf.length);
              return line.replace(/\r?\n$/, '');
            };
          } else if (format === '*a') {
            ready = full;
            extract = () => take(c, size());
          } else {
            return fail(`bad argument #2 to 'read' (unknown fmt string)`);
          }
          const outcome = await waitFor(c, ready, timeoutSec * 1000);
          if (outcome === 'ready' && typeof format !== 'number' && full() && (format === '*a' || !buffered(c).includes(10))) {
            return fail(`${label(c, 'read')}: more than ${MAX_TCP_BUFFERED_BYTES} bytes without ${format === '*a' ? 'the end of the stream' : 'a line end'}`);
          }
          if (outcome === 'timeout') return fail(`${label(c, 'read')}: i/o timeout`);
          if (outcome === 'error' && size() === 0) return fail(`${label(c, 'read')}: ${c.error?.message}`);
          if (outcome !== 'ready' && size() === 0) return ret(format === '*a' ? '' : undefined); // EOF
          const s = extract();
          host.call?.record('tcp', { op: 'read', address: c.address, bytes: Buffer.byteLength(String(s)) });
          return ret(s);
        },
        close_raw: (id: number, closeTimeoutSec: number) => {
          closeConn(id, (closeTimeoutSec ?? 1) * 1000);
        },
      },
      async: ['open_raw', 'write_raw', 'read_raw'],
      lua: TCP_LUA,
    };
  },
};

const TCP_LUA = `
local api = ...
local M = {}
local methods = {}
local TIMEOUTS = { dialTimeout = true, writeTimeout = true, readTimeout = true, closeTimeout = true }
local CONN = { __name = "tcp_client_ud" }
CONN.__index = function(self, k)
  if TIMEOUTS[k] then return rawget(self, "__t")[k] end
  return methods[k]
end
CONN.__newindex = function(self, k, v)
  if TIMEOUTS[k] then
    if type(v) ~= "number" then error("bad argument #3 to '__newindex' (number expected, got " .. type(v) .. ")", 2) end
    rawget(self, "__t")[k] = v
  end
end
-- a connection the script never closes is closed when Lua collects it
CONN.__gc = function(self)
  if not rawget(self, "__closed") then api.close_raw(rawget(self, "__id"), 0) end
end

local function argerr(fn, n, msg) error(string.format("bad argument #%d to '%s' (%s)", n, fn, msg), 4) end
local function checkconn(fn, self)
  if getmetatable(self) ~= CONN then argerr(fn, 1, "tcp connection expected") end
end

function M.open(address, dial_timeout)
  if type(address) ~= "string" then
    error("bad argument #1 to 'open' (string expected, got " .. type(address) .. ")", 2)
  end
  local t = { dialTimeout = 5, writeTimeout = 1, readTimeout = 1, closeTimeout = 1 }
  if type(dial_timeout) == "number" then t.dialTimeout = dial_timeout end
  local id, err = api.open_raw(address, t.dialTimeout)
  if id == nil then return nil, err end
  return setmetatable({ __id = id, __t = t }, CONN)
end

function methods.write(self, ...)
  checkconn("write", self)
  if rawget(self, "__closed") then return "write tcp: use of closed network connection" end
  local parts = table.pack(...)
  for i = 1, parts.n do
    local v = parts[i]
    if type(v) == "number" then parts[i] = tostring(v)
    elseif type(v) ~= "string" then argerr("write", i + 1, "string expected, got " .. type(v)) end
  end
  return api.write_raw(rawget(self, "__id"), table.concat(parts, "", 1, parts.n), rawget(self, "__t").writeTimeout)
end

function methods.read(self, fmt)
  checkconn("read", self)
  if fmt == nil then fmt = 1024 end
  if type(fmt) ~= "number" and type(fmt) ~= "string" then argerr("read", 2, "number or string expected, got " .. type(fmt)) end
  if type(fmt) == "string" then
    local f = fmt:sub(1, 2)
    if f ~= "*l" and f ~= "*a" then argerr("read", 2, "unknown fmt string") end
    fmt = f
  end
  if rawget(self, "__closed") then return nil, "read tcp: use of closed network connection" end
  return api.read_raw(rawget(self, "__id"), fmt, rawget(self, "__t").readTimeout)
end

function methods.close(self)
  checkconn("close", self)
  if not rawget(self, "__closed") then
    rawset(self, "__closed", true)
    api.close_raw(rawget(self, "__id"), rawget(self, "__t").closeTimeout)
  end
  return nil
end

return M
`;
