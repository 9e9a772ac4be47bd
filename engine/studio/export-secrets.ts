// Secrets in an exported config: every key of the config schema that holds one becomes a `${NAUTHILUS_...}` reference.
//
// The variable is named after the key path as Nauthilus' own environment overrides are (prefix NAUTHILUS_, "." -> "_",
// upper case): server.basic_auth.password -> NAUTHILUS_SERVER_BASIC_AUTH_PASSWORD; list items carry their index
// (server.jwt_auth.users[0].password -> NAUTHILUS_SERVER_JWT_AUTH_USERS_0_PASSWORD).
import { isMap, isScalar, isSeq, type Document } from 'yaml';

/**
 * Every key of the schema that holds a secret ('*' is any list index or map key). The schema rejects unknown keys, so this
 * is all, except in a 3.x file's `identity` section, which AuthStudio does not read (exported as written).
 */
export const SECRET_KEYS: ReadonlyArray<ReadonlyArray<string>> = [
  ['server', 'password_nonce'],
  ['server', 'basic_auth', 'password'],
  ['server', 'jwt_auth', 'secret_key'],
  ['server', 'jwt_auth', 'users', '*', 'password'],
  ['server', 'redis', 'password'],
  ['server', 'redis', 'master', 'password'],
  ['server', 'redis', 'sentinels', 'password'],
  ['backend_server_monitoring', 'backend_servers', '*', 'test_password'],
  ['ldap', 'config', 'bind_pw'],
  ['ldap', 'optional_ldap_pools', '*', 'bind_pw'],
  // the same secrets in a Nauthilus 3.x file (config/schema_v2.go), plus its Redis encryption secret
  ['storage', 'redis', 'password_nonce'],
  ['storage', 'redis', 'encryption_secret'],
  ['storage', 'redis', 'primary', 'password'],
  ['storage', 'redis', 'sentinels', 'password'],
  ['storage', 'redis', 'cluster', 'password'],
  ['auth', 'backchannel', 'basic_auth', 'password'],
  ['auth', 'backchannel', 'oidc_bearer', 'client_secret'],
  ['auth', 'services', 'backend_health_checks', 'targets', '*', 'test_password'],
  ['auth', 'backends', 'ldap', 'default', 'bind_pw'],
  ['auth', 'backends', 'ldap', 'pools', '*', 'bind_pw'],
];

export interface SecretReference {
  /** The environment variable the export refers to. */
  variable: string;
  /** The key it stands for, e.g. "server.jwt_auth.users[0].password". */
  key: string;
}

/** NAUTHILUS_ + the key path in upper case, anything but letters and digits as "_". */
export function secretVariable(at: ReadonlyArray<string | number>): string {
  return `NAUTHILUS_${at.join('_')}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

function keyText(at: ReadonlyArray<string | number>): string {
  return at.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The concrete key paths of `pattern` in `doc` ('*' expanded over the list found there). */
function expand(doc: Document, pattern: ReadonlyArray<string>): Array<Array<string | number>> {
  let paths: Array<Array<string | number>> = [[]];
  for (const part of pattern) {
    if (part !== '*') {
      paths = paths.map((p) => [...p, part]);
      continue;
    }
    paths = paths.flatMap((p) => {
      const node = doc.getIn(p, true);
      if (isMap(node)) return node.items.flatMap((item) => (isScalar(item.key) ? [[...p, String(item.key.value)]] : []));
      return isSeq(node) ? node.items.map((_item, i) => [...p, i]) : [];
    });
  }
  return paths;
}

/**
 * Replace every secret value in `doc` by a `${VARIABLE}` reference; values that already are references stay as
 * written. Returns the references made, in schema order.
 */
export function replaceSecrets(doc: Document): SecretReference[] {
  const made: SecretReference[] = [];
  for (const pattern of SECRET_KEYS) {
    for (const at of expand(doc, pattern)) {
      const node = doc.getIn(at, true);
      if (!isScalar(node) || node.value === null || node.value === undefined || node.value === '') continue;
      if (typeof node.value === 'string' && node.value.includes('${')) continue;
      const variable = secretVariable(at);
      doc.setIn(at, `\${${variable}}`);
      made.push({ variable, key: keyText(at) });
    }
  }
  return made;
}

/** `user:password@host` in a URL or a Go DSN (`user:password@tcp(host)/db`): a credential written into a script. */
const CREDENTIAL = /[A-Za-z0-9._%+-]+:[^\s@/'"`:]{1,200}@(?:tcp\(|unix\(|[A-Za-z0-9.[\]-]+[:/])/;

/** 1-based line numbers of `text` that look like they hold a credential (scripts are copied as written). */
export function credentialLines(text: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (CREDENTIAL.test(line)) out.push(i + 1);
  });
  return out;
}
