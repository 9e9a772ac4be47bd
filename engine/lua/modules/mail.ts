// `nauthilus_mail`: send_mail{...} over SMTP or LMTP (nodemailer), returning an error string or nil.
import nodemailer from 'nodemailer';
import type { LuaModule } from '../module';

const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

/** The send_mail table; 1.x scripts use both `server`/`port` and `smtp_server`/`smtp_port` spellings. */
interface MailParams {
  server?: string; smtp_server?: string;
  port?: number; smtp_port?: number;
  username?: string; password?: string;
  from?: string;
  to?: string | string[] | Record<string, string>;
  subject?: string;
  body?: string;
  tls?: boolean;
  starttls?: boolean; smtp_starttls?: boolean;
  helo_name?: string;
  lmtp?: boolean;
}

function recipients(to: MailParams['to']): string[] {
  if (typeof to === 'string') return to.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(to)) return to.map(String).filter(Boolean);
  if (to && typeof to === 'object') return Object.values(to).map(String).filter(Boolean); // a sparse Lua list
  return [];
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || (typeof v === 'string' && /^(1|t|true|yes|on)$/i.test(v));
}

export const mailModule: LuaModule = {
  name: 'nauthilus_mail',
  legacyLoaderName: 'nauthilus_mail',
  summary: 'send_mail{server, port, from, to, subject, body, tls, starttls, lmtp, ...}: SMTP/LMTP, returns err or nil.',
  install(host) {
    return {
      functions: {
        send_mail: async (p: MailParams) => {
          const server = p.server ?? p.smtp_server;
          const to = recipients(p.to);
          if (!server) return 'send_mail: no server given';
          if (!p.from) return 'send_mail: no sender (from) given';
          if (to.length === 0) return 'send_mail: no recipients (to) given';
          const tls = truthy(p.tls);
          const starttls = truthy(p.starttls ?? p.smtp_starttls);
          const lmtp = truthy(p.lmtp);
          const port = Number(p.port ?? p.smtp_port) || (tls ? 465 : lmtp ? 24 : 25);
          const detail: Record<string, unknown> = { server: `${server}:${port}`, lmtp, from: p.from, to, subject: p.subject ?? '' };
          const transport = nodemailer.createTransport({
            host: server,
            port,
            secure: tls,
            // Nauthilus only upgrades when asked to: no opportunistic STARTTLS
            requireTLS: !tls && starttls,
            ignoreTLS: !tls && !starttls,
            lmtp,
            name: p.helo_name || 'localhost',
            auth: p.username ? { user: p.username, pass: p.password ?? '' } : undefined,
            connectionTimeout: CONNECT_TIMEOUT_MS,
            greetingTimeout: CONNECT_TIMEOUT_MS,
            socketTimeout: SOCKET_TIMEOUT_MS,
          });
          try {
            const info = await transport.sendMail({ from: p.from, to, subject: p.subject ?? '', text: p.body ?? '' });
            detail.accepted = (info as { accepted?: unknown[] }).accepted?.length;
            return undefined;
          } catch (e) {
            detail.error = (e as Error).message;
            return `send_mail: ${(e as Error).message}`;
          } finally {
            transport.close();
            host.call?.record('mail', detail);
          }
        },
      },
      async: ['send_mail'],
      lua: `
local api = ...
local M = {}
function M.send_mail(params)
  if type(params) ~= "table" then
    error("bad argument #1 to 'send_mail' (table expected, got " .. type(params) .. ")", 2)
  end
  return api.send_mail(params)
end
return M
`,
    };
  },
};
