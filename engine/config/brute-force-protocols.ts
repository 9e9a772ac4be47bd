// Which protocols brute force applies to. Nauthilus checks and counts brute force only for the protocols it is
// told (1.10/1.12: server.brute_force_protocols, core/bruteforce.go; 3.x: auth.controls.brute_force.protocols), none
// without the list. AuthStudio reads the list where a file has it; a 1.x file without it gets brute force on every
// protocol (the safe reading, warned by `check`), and export/convert write this list so Nauthilus decides the same.

/** The protocols export and convert name for a 1.x file that has buckets but no server.brute_force_protocols. */
export const BRUTE_FORCE_PROTOCOLS_WRITTEN: readonly string[] = ['imap', 'pop3', 'smtp', 'submission', 'sieve', 'managesieve', 'lmtp', 'http'];

/** The warning `check` shows for a 1.x `brute_force` section without server.brute_force_protocols. */
export const NO_BRUTE_FORCE_PROTOCOLS_WARNING = 'server.brute_force_protocols is not set: Nauthilus 1.x checks brute force only for the protocols listed there '
  + '(none without it); AuthStudio checks every protocol. List them to decide as Nauthilus does, e.g. '
  + `brute_force_protocols: [${BRUTE_FORCE_PROTOCOLS_WRITTEN.slice(0, 4).join(', ')}] (export writes [${BRUTE_FORCE_PROTOCOLS_WRITTEN.join(', ')}])`;
