// The Dovecot runner's ready-made requests: what IMAP, POP3 and submission logins, a master-user login, a CRAM-MD5
// credentials lookup and an LMTP delivery (userdb lookup) make Dovecot's auth process ask a Lua passdb/userdb.
import type { DovecotPresetInfo } from '../api/contract';

const CLIENT = '198.51.100.7';
const SERVER = '192.0.2.10';

const PRESETS: DovecotPresetInfo[] = [
  { id: 'imap-login', label: 'IMAP login', description: 'An IMAPS client logs in on port 993 (LOGIN = PLAIN): a passdb lookup with the password.',
    input: { lookup: 'passdb_verify', protocol: 'imap', mechanism: 'PLAIN', remote_ip: CLIENT, local_ip: SERVER, local_port: 993 } },
  { id: 'pop3-login', label: 'POP3 login', description: 'A POP3S client logs in on port 995 (USER/PASS = PLAIN).',
    input: { lookup: 'passdb_verify', protocol: 'pop3', mechanism: 'PLAIN', remote_ip: CLIENT, local_ip: SERVER, local_port: 995 } },
  { id: 'submission-login', label: 'Submission login (SMTP AUTH LOGIN)', description: 'A mail client authenticates on submission port 587 with AUTH LOGIN.',
    input: { lookup: 'passdb_verify', protocol: 'submission', mechanism: 'LOGIN', remote_ip: CLIENT, local_ip: SERVER, local_port: 587 } },
  { id: 'master-login', label: 'Master user login (IMAP)', description: 'An admin logs in as the user with `user*admin` and the master password: the master passdb (master = yes) checks the admin, then Dovecot logs in as the user.',
    input: { lookup: 'passdb_verify', protocol: 'imap', mechanism: 'PLAIN', remote_ip: CLIENT, local_ip: SERVER, local_port: 993, master_user: 'admin' } },
  { id: 'cram-md5-lookup', label: 'CRAM-MD5 login (credentials lookup)', description: 'A non-plaintext mechanism: Dovecot calls auth_passdb_lookup without a password and checks the client\'s response against the password the script returns.',
    input: { lookup: 'passdb_lookup', protocol: 'imap', mechanism: 'CRAM-MD5', remote_ip: CLIENT, local_ip: SERVER, local_port: 993 } },
  { id: 'lmtp-userdb', label: 'LMTP delivery (userdb lookup)', description: 'The MTA delivers over LMTP: Dovecot asks the userdb for the recipient (home, uid, quota); no password.',
    input: { lookup: 'userdb_lookup', protocol: 'lmtp', remote_ip: '127.0.0.1', local_ip: '127.0.0.1', local_port: 24 } },
];

/** Every Dovecot runner preset (copies). */
export function listDovecotPresets(): DovecotPresetInfo[] {
  return PRESETS.map((p) => JSON.parse(JSON.stringify(p)) as DovecotPresetInfo);
}
