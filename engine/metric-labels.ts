// Metric labels that come from requests or scripts are bounded: a client must not grow /metrics or the heap.
import type { AuthStudioConfig } from './config/types';

/**
 * Protocols counted under their own name: Nauthilus' fixed ones (smtp, imap, pop3, http, default), the
 * services Dovecot and nginx send, and every protocol the config names in `lua.search`. Anything else
 * a client sends is counted as "other".
 */
export const KNOWN_PROTOCOLS: readonly string[] = [
  'default', 'imap', 'pop3', 'smtp', 'submission', 'lmtp', 'sieve', 'managesieve', 'http', 'ldap', 'oidc', 'saml', 'ory-hydra',
];

/** The label value for a request's protocol under this config ("other" when the protocol is not known). */
export function protocolLabeler(config: AuthStudioConfig): (protocol: string) => string {
  const known = new Set(KNOWN_PROTOCOLS);
  for (const s of config.lua.search) for (const p of s.protocols) known.add(p.toLowerCase());
  return (protocol) => (known.has(protocol) ? protocol : 'other');
}

/**
 * At most this many label sets per metric a script creates (per thread); further new ones are counted in one
 * set whose every label is `other`. Label values longer than MAX_LABEL_VALUE characters are cut.
 */
export const MAX_SCRIPT_LABEL_SETS = 500;
export const MAX_LABEL_VALUE = 200;
export const OVERFLOW_LABEL_VALUE = 'other';
