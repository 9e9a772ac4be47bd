// RFC 4515 search filters ("(&(uid=alice)(mail=*@example.test))") parsed the way go-ldap v3's CompileFilter
// parses them (same grammar, same error texts), into ldapts Filter objects whose values carry the exact bytes
// of their escapes. ldapts' own string parser is not used: it decodes "\c3\a4" to two characters and sends
// them as four UTF-8 bytes, and it accepts filters go-ldap refuses ("uid=a", "(&(uid=a)").
import { AndFilter, Filter, NotFilter, OrFilter, PresenceFilter, type BerWriter } from 'ldapts';

/** ldapts' type of a filter's tag. */
type Tag = Filter['type'];

/** A filter that does not compile; the message is go-ldap's (result code 201). */
export class FilterError extends Error {}

// RFC 4511 filter choice tags and the context tags inside substrings and extensible matches
const EQUALITY = 0xa3 as Tag;
const SUBSTRINGS = 0xa4 as Tag;
const GREATER_OR_EQUAL = 0xa5 as Tag;
const LESS_OR_EQUAL = 0xa6 as Tag;
const APPROX = 0xa8 as Tag;
const EXTENSIBLE = 0xa9 as Tag;
const OCTET_STRING = 0x04;

/** attribute + assertion value: equality, >=, <= and ~= (value bytes as they were escaped). */
class ValueFilter extends Filter {
  constructor(readonly type: Tag, readonly attribute: string, readonly value: Buffer) {
    super();
  }
  protected override writeFilter(w: BerWriter): void {
    w.writeString(this.attribute);
    w.writeBuffer(this.value, OCTET_STRING);
  }
  override toString(): string {
    const op = this.type === EQUALITY ? '=' : this.type === GREATER_OR_EQUAL ? '>=' : this.type === LESS_OR_EQUAL ? '<=' : '~=';
    return `(${this.attribute}${op}${Filter.escape(this.value)})`;
  }
}

class SubstringsFilter extends Filter {
  readonly type = SUBSTRINGS;
  constructor(readonly attribute: string, readonly parts: { tag: number; value: Buffer }[]) {
    super();
  }
  protected override writeFilter(w: BerWriter): void {
    w.writeString(this.attribute);
    w.startSequence();
    for (const p of this.parts) w.writeBuffer(p.value, p.tag);
    w.endSequence();
  }
  override toString(): string {
    return `(${this.attribute}=${this.parts.map((p) => Filter.escape(p.value)).join('*')})`;
  }
}

class ExtensibleMatchFilter extends Filter {
  readonly type = EXTENSIBLE;
  constructor(readonly attribute: string, readonly rule: string, readonly value: Buffer, readonly dnAttributes: boolean) {
    super();
  }
  protected override writeFilter(w: BerWriter): void {
    if (this.rule) w.writeString(this.rule, 0x81);
    if (this.attribute) w.writeString(this.attribute, 0x82);
    w.writeBuffer(this.value, 0x83);
    if (this.dnAttributes) w.writeBoolean(true, 0x84);
  }
  override toString(): string {
    return `(${this.attribute}${this.dnAttributes ? ':dn' : ''}${this.rule ? `:${this.rule}` : ''}:=${Filter.escape(this.value)})`;
  }
}

/** go-ldap's decodeEscapedSymbols: "\xx" hex escapes to bytes, everything else as UTF-8. */
function unescape(s: string): Buffer {
  const out: Buffer[] = [];
  let last = 0;
  for (let i = s.indexOf('\\'); i >= 0; i = s.indexOf('\\', last)) {
    out.push(Buffer.from(s.slice(last, i), 'utf8'));
    const hex = s.slice(i + 1, i + 3);
    if (hex.length < 2) throw new FilterError('ldap: missing characters for escape in filter');
    const bad = [...hex].find((c) => !/[0-9a-fA-F]/.test(c));
    if (bad !== undefined) {
      const u = `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new FilterError(`ldap: invalid characters for escape in filter: encoding/hex: invalid byte: ${u} '${bad}'`);
    }
    out.push(Buffer.from(hex, 'hex'));
    last = i + 3;
  }
  out.push(Buffer.from(s.slice(last), 'utf8'));
  return Buffer.concat(out);
}

const runeError = (f: string, pos: number) => new FilterError(`ldap: error reading rune at position ${Buffer.byteLength(f.slice(0, pos))}`);

/** One filter item at `pos` (just after its "("): the filter and the position after its ")". */
function compile(f: string, pos: number): [Filter, number] {
  const c = f[pos];
  if (c === undefined || c === '\ufffd') throw runeError(f, pos);
  if (c === '(') {
    const [inner, next] = compile(f, pos + 1);
    return [inner, next + 1];
  }
  if (c === '&' || c === '|') {
    const filters: Filter[] = [];
    let p = pos + 1;
    while (p < f.length && f[p] === '(') {
      const [child, next] = compile(f, p + 1);
      filters.push(child);
      p = next;
    }
    if (p === f.length) throw new FilterError('ldap: unexpected end of filter');
    return [c === '&' ? new AndFilter({ filters }) : new OrFilter({ filters }), p + 1];
  }
  if (c === '!') {
    const [child, next] = compile(f, pos + 1);
    return [new NotFilter({ filter: child }), next];
  }
  // attribute, operator, condition: go-ldap's three states
  let state: 'attr' | 'rule' | 'cond' = 'attr';
  let type: Tag | undefined;
  let attribute = '', rule = '', cond = '', dn = false;
  let p = pos;
  while (p < f.length && f[p] !== ')') {
    const ch = f[p];
    if (ch === '\ufffd') throw runeError(f, p);
    const rest = f.slice(p, p + 5);
    const width = ch.length === 1 && /[\ud800-\udbff]/.test(ch) ? 2 : 1;
    if (state === 'attr') {
      const op = ch === ':' ? (rest.startsWith(':dn:=') ? ':dn:=' : rest.startsWith(':dn:') ? ':dn:' : rest.startsWith(':=') ? ':=' : ':')
        : ch === '=' ? '=' : ['>=', '<=', '~='].find((o) => rest.startsWith(o));
      if (op === undefined) {
        attribute += f.slice(p, p + width);
        p += width;
        continue;
      }
      type = op.startsWith(':') ? EXTENSIBLE : ({ '=': EQUALITY, '>=': GREATER_OR_EQUAL, '<=': LESS_OR_EQUAL, '~=': APPROX } as Record<string, Tag>)[op];
      dn = op.startsWith(':dn:');
      state = op === ':dn:' || op === ':' ? 'rule' : 'cond';
      p += op.length;
    } else if (state === 'rule') {
      if (rest.startsWith(':=')) {
        state = 'cond';
        p += 2;
      } else {
        rule += f.slice(p, p + width);
        p += width;
      }
    } else {
      cond += f.slice(p, p + width);
      p += width;
    }
  }
  if (p === f.length) throw new FilterError('ldap: unexpected end of filter');
  if (type === undefined) throw new FilterError('ldap: error parsing filter');
  const end = p + 1;
  if (type === EXTENSIBLE) return [new ExtensibleMatchFilter(attribute, rule, unescape(cond), dn), end];
  if (type === EQUALITY && cond === '*') return [new PresenceFilter({ attribute }), end];
  if (type === EQUALITY && cond.includes('*')) {
    const pieces = cond.split('*');
    const parts = pieces.flatMap((piece, i) => piece === '' ? []
      : [{ tag: i === 0 ? 0x80 : i === pieces.length - 1 ? 0x82 : 0x81, value: unescape(piece) }]);
    return [new SubstringsFilter(attribute, parts), end];
  }
  return [new ValueFilter(type, attribute, unescape(cond)), end];
}

/**
 * Compiles a filter string as go-ldap does (no trimming: a leading blank is an error).
 * @throws FilterError with go-ldap's message when it does not compile.
 * @example compileFilter('(uid=alice)')
 */
export function compileFilter(filter: string): Filter {
  if (filter[0] !== '(') throw new FilterError("ldap: filter does not start with an '('");
  const [parsed, pos] = compile(filter, 1);
  if (pos > filter.length) throw new FilterError('ldap: unexpected end of filter');
  if (pos < filter.length) throw new FilterError(`ldap: finished compiling filter with extra at end: ${filter.slice(pos)}`);
  return parsed;
}
