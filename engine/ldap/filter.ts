// RFC 4515 search filters ("(&(uid=alice)(mail=*@example.test))") compiled to their RFC 4511 BER form.
import { seq, str, tlv } from './ber';

/** A filter that does not compile; the message follows go-ldap's wording (result code 201). */
export class FilterError extends Error {}

function unescapeValue(s: string): Buffer {
  const out: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c) {
      const hex = raw.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new FilterError('ldap: invalid characters for escape in filter');
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(raw[i]);
  }
  return Buffer.from(out);
}

function item(body: string): Buffer {
  const m = /^([^=~<>()]*)(=|~=|>=|<=)(.*)$/s.exec(body);
  if (!m || m[1] === '') throw new FilterError('ldap: error parsing filter');
  const [, attr, op, value] = m;
  if (op === '~=') return seq([str(attr), str(unescapeValue(value))], 0xa8);
  if (op === '>=') return seq([str(attr), str(unescapeValue(value))], 0xa5);
  if (op === '<=') return seq([str(attr), str(unescapeValue(value))], 0xa6);
  if (value === '*') return str(attr, 0x87);
  if (attr.includes(':')) throw new FilterError('ldap: extensible match filters are not supported');
  if (!value.includes('*')) return seq([str(attr), str(unescapeValue(value))], 0xa3);
  const parts = value.split('*');
  const subs: Buffer[] = [];
  parts.forEach((p, i) => {
    if (p === '') return;
    const tag = i === 0 ? 0x80 : i === parts.length - 1 ? 0x82 : 0x81;
    subs.push(tlv(tag, unescapeValue(p)));
  });
  return seq([str(attr), seq(subs)], 0xa4);
}

/** Parses the filter starting at `pos` (which must be "("); returns its BER and the position after it. */
function parse(f: string, pos: number): [Buffer, number] {
  if (f[pos] !== '(') throw new FilterError("ldap: filter does not start with an '('");
  const op = f[pos + 1];
  if (op === '&' || op === '|' || op === '!') {
    const items: Buffer[] = [];
    let p = pos + 2;
    while (f[p] === '(') {
      const [b, next] = parse(f, p);
      items.push(b);
      p = next;
    }
    if (f[p] !== ')') throw new FilterError('ldap: finished compiling filter with extra at end');
    if (op === '!') {
      if (items.length !== 1) throw new FilterError('ldap: error parsing filter');
      return [tlv(0xa2, items[0]), p + 1];
    }
    return [seq(items, op === '&' ? 0xa0 : 0xa1), p + 1];
  }
  const close = f.indexOf(')', pos + 1);
  if (close < 0) throw new FilterError('ldap: unexpected end of filter');
  return [item(f.slice(pos + 1, close)), close + 1];
}

/**
 * Compiles a filter string.
 * @throws FilterError when it is not a valid RFC 4515 filter.
 * @example compileFilter('(uid=alice)')
 */
export function compileFilter(filter: string): Buffer {
  const f = filter.trim();
  if (f === '') throw new FilterError("ldap: filter does not start with an '('");
  const [ber, end] = parse(f, 0);
  if (end !== f.length) throw new FilterError('ldap: finished compiling filter with extra at end');
  return ber;
}
