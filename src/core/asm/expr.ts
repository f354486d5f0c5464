// NASM expressions: numbers in every NASM spelling, character constants, symbols (local `.x` names
// are qualified by the last non-local label), `$` (this statement's address) and `$$` (the section's
// start), unary - + ~ !, and the binary operators by NASM precedence (lowest first):
//   |   ^   &   << >>   + -   * / %
// Values are 32-bit two's complement. A symbol not yet defined makes the result `known: false`.

export interface ExprValue {
  value: number;
  known: boolean;
}

export interface ExprContext {
  /** Current address ($) and section start ($$). */
  here: number;
  sectionStart: number;
  /** Symbol value, or undefined when not (yet) defined. */
  lookup(name: string): number | undefined;
  /** Qualify a local label (`.loop` → `main.loop`). */
  qualify(name: string): string;
}

export class ExprError extends Error {}

type Tok = { k: 'num'; v: number } | { k: 'id'; v: string } | { k: 'op'; v: string } | { k: 'here' } | { k: 'start' };

/** Parse a NASM number literal, or undefined when `s` is not one. */
export function parseNumber(s: string): number | undefined {
  const t = s.replace(/_/g, '').toLowerCase();
  let m: RegExpMatchArray | null;
  if ((m = /^0[xh]([0-9a-f]+)$/.exec(t)) || (m = /^\$([0-9][0-9a-f]*)$/.exec(t)) || (m = /^([0-9][0-9a-f]*)h$/.exec(t))) return parseInt(m[1]!, 16) | 0;
  if ((m = /^0[by]([01]+)$/.exec(t)) || (m = /^([01]+)[by]$/.exec(t))) return parseInt(m[1]!, 2) | 0;
  if ((m = /^0[oq]([0-7]+)$/.exec(t)) || (m = /^([0-7]+)[oq]$/.exec(t))) return parseInt(m[1]!, 8) | 0;
  if ((m = /^0d([0-9]+)$/.exec(t)) || (m = /^([0-9]+)d?$/.exec(t))) return Number(BigInt.asIntN(32, BigInt(m[1]!)));
  return undefined;
}

/** A plain number literal as a 64-bit value (for dq), or undefined when `s` is not one. */
export function parseNumber64(s: string): bigint | undefined {
  const t = s.trim().replace(/_/g, '').toLowerCase();
  let m: RegExpMatchArray | null;
  if ((m = /^0[xh]([0-9a-f]+)$/.exec(t)) || (m = /^([0-9][0-9a-f]*)h$/.exec(t))) return BigInt.asUintN(64, BigInt('0x' + m[1]!));
  if ((m = /^([0-9]+)$/.exec(t))) return BigInt.asUintN(64, BigInt(m[1]!));
  return undefined;
}

const IDENT = /^[A-Za-z_.?@][\w.?@$#~]*/;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    const rest = src.slice(i);
    if (rest.startsWith('$$')) { out.push({ k: 'start' }); i += 2; continue; }
    let m = /^\$[0-9][0-9a-fA-F_]*/.exec(rest) ?? /^[0-9][0-9a-zA-Z_]*/.exec(rest);
    if (m) {
      const v = parseNumber(m[0]);
      if (v === undefined) throw new ExprError(`bad number '${m[0]}'`);
      out.push({ k: 'num', v }); i += m[0].length; continue;
    }
    if (c === '$') {
      const id = /^\$([A-Za-z_.?@][\w.?@$#~]*)/.exec(rest); // $name: a symbol named like a keyword
      if (id) { out.push({ k: 'id', v: id[1]! }); i += id[0].length; continue; }
      out.push({ k: 'here' }); i++; continue;
    }
    if (c === '\'' || c === '"' || c === '`') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ExprError('unterminated character constant');
      const text = src.slice(i + 1, end);
      if (text.length > 4) throw new ExprError(`character constant '${text}' is longer than 4 bytes`);
      let v = 0;
      for (let k = text.length - 1; k >= 0; k--) v = (v << 8) | (text.charCodeAt(k) & 0xff);
      out.push({ k: 'num', v }); i = end + 1; continue;
    }
    m = IDENT.exec(rest);
    if (m) { out.push({ k: 'id', v: m[0] }); i += m[0].length; continue; }
    m = /^(<<|>>|[-+*/%&|^~!()])/.exec(rest);
    if (m) { out.push({ k: 'op', v: m[0] }); i += m[0].length; continue; }
    throw new ExprError(`unexpected '${c}' in expression`);
  }
  return out;
}

const BINARY: readonly (readonly string[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

/** Evaluate a NASM expression. Throws ExprError on a syntax error or a division by zero. */
export function evaluate(src: string, ctx: ExprContext): ExprValue {
  const toks = tokenize(src);
  if (toks.length === 0) throw new ExprError('expression expected');
  let p = 0;
  let known = true;

  const primary = (): number => {
    const t = toks[p++];
    if (!t) throw new ExprError('expression ends too early');
    switch (t.k) {
      case 'num': return t.v;
      case 'here': return ctx.here;
      case 'start': return ctx.sectionStart;
      case 'id': {
        const v = ctx.lookup(ctx.qualify(t.v));
        if (v === undefined) { known = false; return 0; }
        return v;
      }
      case 'op':
        if (t.v === '(') {
          const v = level(0);
          const close = toks[p++];
          if (!close || close.k !== 'op' || close.v !== ')') throw new ExprError('missing )');
          return v;
        }
        if (t.v === '-') return -primary() | 0;
        if (t.v === '+') return primary();
        if (t.v === '~') return ~primary();
        if (t.v === '!') return primary() === 0 ? 1 : 0;
        throw new ExprError(`unexpected '${t.v}'`);
    }
  };

  const level = (n: number): number => {
    if (n === BINARY.length) return primary();
    let v = level(n + 1);
    for (;;) {
      const t = toks[p];
      if (!t || t.k !== 'op' || !BINARY[n]!.includes(t.v)) return v;
      p++;
      const r = level(n + 1);
      switch (t.v) {
        case '|': v = v | r; break;
        case '^': v = v ^ r; break;
        case '&': v = v & r; break;
        case '<<': v = r >= 32 ? 0 : v << r; break;
        case '>>': v = r >= 32 ? 0 : v >>> r; break;
        case '+': v = (v + r) | 0; break;
        case '-': v = (v - r) | 0; break;
        case '*': v = Math.imul(v, r); break;
        case '/': case '%':
          if (r === 0) { if (known) throw new ExprError('division by zero'); v = 0; break; }
          v = t.v === '/' ? Math.trunc((v >>> 0) / (r >>> 0)) | 0 : ((v >>> 0) % (r >>> 0)) | 0;
          break;
      }
    }
  };

  const value = level(0);
  if (p !== toks.length) throw new ExprError(`unexpected '${describe(toks[p]!)}' in expression`);
  return { value: value | 0, known };
}

function describe(t: Tok): string {
  return t.k === 'num' ? String(t.v) : t.k === 'id' || t.k === 'op' ? t.v : t.k === 'here' ? '$' : '$$';
}
