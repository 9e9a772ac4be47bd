// Nauthilus 3.x's `test` backend (auth.backends.order: [test]), as its core/test_backend.go does it in v3.0.1: an
// in-memory store where every login name exists and the first password a name logs in with becomes its password.
// For demos and the identity-proxy end-to-end setup; nothing is written anywhere, a restart forgets every user.
import { createHash, randomBytes } from 'node:crypto';
import type { BackendOutcome } from './extensions';

/** One backend name's users: login name -> password hash ("" until a password was seen). */
type Users = Map<string, string>;

/** The stores of every test backend name, kept across config reloads (Nauthilus keeps them for the process). */
export class TestBackend {
  private readonly stores = new Map<string, Users>();
  /** Per process, so a hash never leaves it meaning anything. */
  private readonly salt = randomBytes(16);

  private users(name: string): Users {
    let users = this.stores.get(name);
    if (!users) this.stores.set(name, (users = new Map()));
    return users;
  }

  private hash(password: string): string {
    return createHash('sha256').update(this.salt).update(password, 'utf8').digest('hex');
  }

  /**
   * PassDB: an empty (trimmed) login name finds nobody; any other name is found (and kept). No-auth lookups are
   * authenticated; a name without a password yet takes this one; later logins must repeat it.
   */
  passDb(backendName: string, username: string, password: string, noAuth: boolean): BackendOutcome {
    const user = username.trim();
    if (user === '') return { authenticated: false, user_found: false, attributes: {} };
    const users = this.users(backendName);
    const stored = users.get(user) ?? '';
    if (stored === '' && password !== '') users.set(user, this.hash(password));
    else if (!users.has(user)) users.set(user, '');
    const hash = users.get(user)!;
    const authenticated = noAuth || (hash === '' ? password === '' : this.hash(password) === hash);
    return {
      authenticated, user_found: true,
      account_field: 'uid', totp_secret_field: 'test_totp_secret', totp_recovery_field: 'test_totp_recovery',
      unique_user_id_field: 'uid', display_name_field: 'displayName',
      attributes: { uid: [user] },
    };
  }

  /** AccountDB: every name seen so far, sorted. */
  accounts(backendName: string): string[] {
    return [...this.users(backendName).keys()].sort();
  }
}
