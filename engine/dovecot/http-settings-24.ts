// dovecot.http.client's settings in Dovecot 2.4: `http_client_<key>` of lib-http's settings (or an ssl_ setting),
// parsed from the string lua_tostring gives, with the errors Dovecot 2.4.1 raises for unknown keys and bad values.

type Kind = 'str' | 'uint' | 'bool' | 'msecs' | 'secs' | 'size';

/** http_client_setting_defines of 2.4.1 (without the http_client_ prefix). */
export const HTTP_CLIENT_SETTINGS_24: Record<string, Kind> = {
  dns_client_socket_path: 'str', dns_ttl: 'msecs', user_agent: 'str', proxy_socket_path: 'str', proxy_url: 'str',
  proxy_username: 'str', proxy_password: 'str', rawlog_dir: 'str', max_idle_time: 'msecs', max_parallel_connections: 'uint',
  max_pipelined_requests: 'uint', auto_redirect: 'bool', auto_retry: 'bool', proxy_ssl_tunnel: 'bool',
  request_max_redirects: 'uint', request_max_attempts: 'uint', read_request_max_attempts: 'uint',
  write_request_max_attempts: 'uint', delete_request_max_attempts: 'uint', max_connect_attempts: 'uint',
  connect_backoff_time: 'msecs', connect_backoff_max_time: 'msecs', response_hdr_max_size: 'size',
  response_hdr_max_field_size: 'size', response_hdr_max_fields: 'uint', request_absolute_timeout: 'msecs',
  request_timeout: 'msecs', read_request_timeout: 'msecs', write_request_timeout: 'msecs', delete_request_timeout: 'msecs',
  connect_timeout: 'msecs', soft_connect_timeout: 'msecs', max_auto_retry_delay: 'secs', socket_send_buffer_size: 'size',
  socket_recv_buffer_size: 'size',
};

/** ssl_setting_defines of 2.4.1 (client side and shared): accepted under their own names. */
export const SSL_SETTINGS_24: Record<string, Kind> = {
  ssl_client_ca_file: 'str', ssl_client_ca_dir: 'str', ssl_client_cert_file: 'str', ssl_client_key_file: 'str',
  ssl_client_key_password: 'str', ssl_cipher_list: 'str', ssl_cipher_suites: 'str', ssl_curve_list: 'str',
  ssl_min_protocol: 'str', ssl_crypto_device: 'str', ssl_client_require_valid_cert: 'bool', ssl_options: 'str',
};

/** What 2.3's names became (for `authstudio dovecot upgrade`); null: removed without a replacement. */
export const HTTP_SETTING_RENAMES_23_TO_24: Record<string, string | null> = {
  max_idle_time_msecs: 'max_idle_time', max_redirects: 'request_max_redirects', max_attempts: 'request_max_attempts',
  connect_backoff_time_msecs: 'connect_backoff_time', connect_backoff_max_time_msecs: 'connect_backoff_max_time',
  request_absolute_timeout_msecs: 'request_absolute_timeout', request_timeout_msecs: 'request_timeout',
  connect_timeout_msecs: 'connect_timeout', soft_connect_timeout_msecs: 'soft_connect_timeout',
  max_auto_retry_delay_secs: 'max_auto_retry_delay', debug: null, no_auto_redirect: null, no_auto_retry: null,
};

/** str_parse_get_interval_full: a number with a unit (s, m, h, d, w, ms, or their long forms); "0" needs none. */
export function parseInterval(str: string, milliseconds: boolean): { value: number } | { error: string } {
  const m = /^(\d+)/.exec(str);
  if (!m) return { error: `Invalid time interval: ${str}` };
  let num = Number(m[1]);
  let p = str.slice(m[1].length).replace(/^ +/, '');
  if (p === '' && num !== 0) return { error: `Time interval '${str}' is missing units (add e.g. 's' for seconds)` };
  let multiply = milliseconds ? 1000 : 1;
  const prefixOf = (...words: string[]) => words.some((w) => w.startsWith(p.toLowerCase()));
  switch (p[0]?.toUpperCase()) {
    case 'S':
      if (prefixOf('secs', 'seconds')) p = '';
      break;
    case 'M':
      multiply *= 60;
      if (prefixOf('mins', 'minutes')) p = '';
      else if (prefixOf('msecs', 'mseconds', 'millisecs', 'milliseconds')) {
        if (!milliseconds && num % 1000 !== 0) return { error: `Milliseconds not supported for this setting: ${str}` };
        if (!milliseconds) num /= 1000;
        multiply = 1;
        p = '';
      }
      break;
    case 'H':
      multiply *= 3600;
      if (prefixOf('hours')) p = '';
      break;
    case 'D':
      multiply *= 86400;
      if (prefixOf('days')) p = '';
      break;
    case 'W':
      multiply *= 604800;
      if (prefixOf('weeks')) p = '';
      break;
  }
  if (p !== '') return { error: `Invalid time interval: ${str}` };
  if (num * multiply > 4294967295) return { error: `Time interval is too large: ${str}` };
  return { value: num * multiply };
}

function numError(v: string): string {
  const digits = v.startsWith('-') ? v.slice(1) : v;
  if (!/^\d+$/.test(digits)) return 'Not a valid number';
  return v.startsWith('-') ? 'Number too small' : 'Number too large';
}

function valueError(kind: Kind, value: string): string | undefined {
  if (kind === 'uint') {
    if (value === 'unlimited') return undefined;
    return /^\d+$/.test(value) && Number(value) <= 4294967295 ? undefined : `Invalid number ${value}: ${numError(value)}`;
  }
  if (kind === 'msecs' || kind === 'secs') {
    const r = parseInterval(value, kind === 'msecs');
    return 'error' in r ? r.error : undefined;
  }
  if (kind === 'size') return /^\d+ *([KMGT]i?B?|B)?$/i.test(value) ? undefined : `Invalid size: ${value}`;
  if (kind === 'bool') return /^(yes|no)$/i.test(value) ? undefined : `Invalid boolean value: ${value} (use yes or no)`;
  return undefined;
}

/** The client settings as the harness' HTTP code uses them (2.3 names, milliseconds). */
export interface ParsedHttpSettings {
  user_agent?: string;
  proxy_url?: string;
  request_timeout_msecs?: number;
  connect_timeout_msecs?: number;
  request_absolute_timeout_msecs?: number;
}

/**
 * parse_client_settings + http_client_init_auto of 2.4.1 for `pairs` in the order lua_next gave them
 * (values as lua_tostring made them; undefined for a boolean or table, which crashes Dovecot's worker).
 */
export function parseHttpClientSettings24(pairs: Array<[string, string | undefined]>):
  { settings: ParsedHttpSettings } | { error: string } | { crash: true } {
  const known: Array<[string, Kind, string]> = [];
  for (const [key, value] of pairs) {
    if (key === 'event_parent') continue;
    const kind = HTTP_CLIENT_SETTINGS_24[key] ?? SSL_SETTINGS_24[key];
    // settings_override(instance, key, NULL): the worker dies on the NULL value
    if (kind && value === undefined) return { crash: true };
    if (!kind) return { error: `Invalid HTTP client setting: ${key} is unknown setting` };
    known.push([key, kind, value!]);
  }
  const settings: ParsedHttpSettings = {};
  for (const [key, kind, value] of known) {
    const err = valueError(kind, value);
    const name = HTTP_CLIENT_SETTINGS_24[key] ? `http_client_${key}` : key;
    if (err) {
      return { error: `Invalid HTTP client setting: http_client settings: Failed to parse configuration: Failed to override configuration from hardcoded: Invalid ${name}=${value}: ${err}` };
    }
    if (key === 'user_agent' || key === 'proxy_url') settings[key] = value;
    if (key === 'request_timeout' || key === 'connect_timeout' || key === 'request_absolute_timeout') {
      const r = parseInterval(value, true);
      if ('value' in r) settings[`${key}_msecs`] = r.value;
    }
  }
  return { settings };
}
