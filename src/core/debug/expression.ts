// The debugger's one expression language: exit-breakpoint conditions (exitCondition.ts), the Debug
// Console / hovers (`evaluate`), breakpoint conditions, hit conditions and logpoint `{expr}`s.
// Numbers are decimal or 0x-hex; identifiers are resolved once, at compile time, by the caller's
// `name` resolver (exit fields, registers, `vmcs.GUEST_CR3`, symbols, exit-reason names); unknown
// identifiers are an error at compile time. `*(u8*)a`, `*(u16*)a`, `*(u32*)a` (and a bare `*a`,
// 32 bits) read guest memory through the resolver's `read`. C precedence:
// ! ~ unary- *deref, * / %, + -, << >>, < <= > >=, == !=, &, ^, |, &&, ||.

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

export interface ExpressionEnv<C> {
  /** A getter for identifier `id`, or undefined when the name is unknown. */
  name(id: string): ((c: C) => number) | undefined;
  /** Message for an unknown name (default: `unknown name "x"`). */
  unknown?(id: string): string;
  /** Memory for derefs; without it `*(u32*)x` is a compile error. May throw ExpressionError. */
  read?(c: C, address: number, bytes: 1 | 2 | 4): number;
}

export type Compiled<C> = (c: C) => number;

const BIN: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '<=': 7, '>': 7, '>=': 7,
  '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};
const TOKEN = /0x[0-9a-fA-F]+|\d+|\$?[A-Za-z_][A-Za-z0-9_.]*|\|\||&&|==|!=|<<|>>|<=|>=|[()!<>&|^+\-*/%~]|\S/g;
const DEREF_TYPES: Record<string, 1 | 2 | 4> = { u8: 1, u16: 2, u32: 4, uint8_t: 1, uint16_t: 2, uint32_t: 4, byte: 1, word: 2, dword: 4 };

/** Compiles `src`; throws ExpressionError with a message for the user when it does not parse. */
export function compileExpression<C>(src: string, env: ExpressionEnv<C>): Compiled<C> {
  const toks = src.match(TOKEN) ?? [];
  let p = 0;
  type Node = Compiled<C>;
  const fail = (m: string): never => { throw new ExpressionError(m); };
  const primary = (): Node => {
    const t = toks[p++];
    if (t === undefined) return fail('expression ends too early');
    if (t === '(') { const e = expr(0); if (toks[p++] !== ')') fail('missing )'); return e; }
    if (t === '!') { const e = primary(); return (c) => (e(c) ? 0 : 1); }
    if (t === '-') { const e = primary(); return (c) => -e(c); }
    if (t === '+') return primary();
    if (t === '~') { const e = primary(); return (c) => ~e(c) >>> 0; }
    if (t === '*') return deref();
    if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) { const v = Number(t); return () => v; }
    if (/^\$?[A-Za-z_]/.test(t)) {
      if (t === 'true') return () => 1;
      if (t === 'false') return () => 0;
      const g = env.name(t);
      if (g) return g;
      return fail(env.unknown ? env.unknown(t) : `unknown name "${t}"`);
    }
    return fail(`unexpected "${t}"`);
  };
  const deref = (): Node => {
    let bytes: 1 | 2 | 4 = 4;
    const ty = toks[p + 1];
    if (toks[p] === '(' && ty !== undefined && DEREF_TYPES[ty] !== undefined && toks[p + 2] === '*' && toks[p + 3] === ')') {
      bytes = DEREF_TYPES[ty];
      p += 4;
    }
    const read = env.read;
    if (!read) return fail('memory is not available here (no *(u32*)address)');
    const a = primary();
    return (c) => read(c, a(c) >>> 0, bytes);
  };
  const expr = (minPrec: number): Node => {
    let left = primary();
    for (;;) {
      const op = toks[p];
      const prec = op !== undefined ? BIN[op] : undefined;
      if (prec === undefined || prec <= minPrec) return left;
      p++;
      const right = expr(prec);
      const l = left;
      switch (op) {
        case '||': left = (c) => (l(c) || right(c) ? 1 : 0); break;
        case '&&': left = (c) => (l(c) && right(c) ? 1 : 0); break;
        case '|': left = (c) => (l(c) | right(c)) >>> 0; break;
        case '^': left = (c) => (l(c) ^ right(c)) >>> 0; break;
        case '&': left = (c) => (l(c) & right(c)) >>> 0; break;
        case '==': left = (c) => (l(c) === right(c) ? 1 : 0); break;
        case '!=': left = (c) => (l(c) !== right(c) ? 1 : 0); break;
        case '<': left = (c) => (l(c) < right(c) ? 1 : 0); break;
        case '<=': left = (c) => (l(c) <= right(c) ? 1 : 0); break;
        case '>': left = (c) => (l(c) > right(c) ? 1 : 0); break;
        case '>=': left = (c) => (l(c) >= right(c) ? 1 : 0); break;
        case '<<': left = (c) => (l(c) << right(c)) >>> 0; break;
        case '>>': left = (c) => l(c) >>> right(c); break;
        case '+': left = (c) => l(c) + right(c); break;
        case '-': left = (c) => l(c) - right(c); break;
        case '*': left = (c) => l(c) * right(c); break;
        case '/': left = (c) => Math.trunc(l(c) / (right(c) || 1)); break;
        default: left = (c) => l(c) % (right(c) || 1); break;
      }
    }
  };
  if (toks.length === 0) fail('empty expression');
  const root = expr(0);
  if (p !== toks.length) fail(`unexpected "${toks[p]}"`);
  return root;
}
