// fast-check arbitraries for hostile input: nasty strings, exotic and broken IP addresses, header-safe values, credentials.
import fc from 'fast-check';

/** A single UTF-16 code unit from the surrogate range: a lone surrogate (not valid Unicode). */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n));
const control = fc.integer({ min: 0, max: 0x1f }).map((n) => String.fromCharCode(n));

/** Strings a client should never send: control characters, lone surrogates, any code point, long, empty. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.oneof(control, loneSurrogate, fc.constantFrom('a', '\u00ff', '\u202e', '\ufeff', '%', '"', '\\', '\u0000')), maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('', ' ', 'alice\u0000', 'alice\n', 'alice\r\nX-Injected: 1', 'ALICE', ' alice', 'alice ', '\u0430lice', 'alice%00', '../../etc/passwd', '${HOME}', '\'; DROP TABLE users; --'),
  fc.string({ minLength: 4090, maxLength: 4200 }),
);

/** The user names the backend knows, and look-alikes. */
export const userName: fc.Arbitrary<string> = fc.oneof({ weight: 2, arbitrary: fc.constantFrom('alice', 'bob') }, nastyString);
/** Passwords: the right ones, near misses and garbage. */
export const password: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('alice-secret', 'bob-secret', 'alice-secret ', 'Alice-secret', 'alice-secre', 'alice-secret\u0000', ''),
  nastyString,
);

/** Valid, exotic and broken IP addresses. */
export const ipAddress: fc.Arbitrary<string> = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4Extended(),
  fc.ipV4().map((ip) => `::ffff:${ip}`),
  fc.ipV4().map((ip) => `::FFFF:${ip}`),
  fc.ipV6().map((ip) => `[${ip}]`),
  fc.tuple(fc.ipV6(), fc.oneof(fc.constantFrom('eth0', '1', 'lo', ''), fc.string({ maxLength: 12 }))).map(([ip, z]) => `${ip}%${z}`),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 70000 })).map(([ip, p]) => `${ip}:${p}`),
  fc.constantFrom('', ' ', '::', '::1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '1.2.3', '1.2.3.4.5', '01.02.03.04', '1.2.3.4 ', ' 1.2.3.4', '::ffff:999.1.1.1', 'fe80::1%', '%eth0', '[::1', '::1]', 'localhost', '1.2.3.4/24', '2001:db8::/32', '::ffff:1.2.3.4%eth0', '1:2:3:4:5:6:7:8:9', 'gggg::1'),
  nastyString,
);

/** Any JSON value (wrong types for fields and for the whole body). */
export const anyJson = fc.jsonValue({ maxDepth: 3 });

/** Field values of any JSON type, biased to strings. */
export const fieldValue: fc.Arbitrary<unknown> = fc.oneof({ weight: 3, arbitrary: nastyString }, anyJson, fc.double(), fc.boolean(), fc.constant(null));

/** Characters node's HTTP stack accepts in a header value (inject validates like a real client). */
export const headerSafe = (s: string): string => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

/** A value for a header: header-safe nasty strings, URL-escaped ones (nginx escapes), broken escapes. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  nastyString.map(headerSafe),
  nastyString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
  fc.constantFrom('%', '%E0%A4%A', '%ZZ', '%C0%AF', '%FF%FE', '%00', '%0d%0a', 'alice%2Dsecret'),
);
