// Conditions on exit breakpoints: a small expression language over the exit's named fields
// (`port == 0x3f8 && !in`, `qualification & 0x2`, `gpa >= 0xfee00000`, `reason == EPT_VIOLATION`).
// Numbers are decimal or 0x-hex; identifiers are exit fields, or exit-reason names; unknown
// identifiers are an error at compile time. C precedence: ! unary-, * / %, + -, < <= > >=, == !=, &, ^, |, &&, ||.
import { exitReasonByName } from '../hw/vmx/exitReasons';

export type Fields = Record<string, number | boolean>;
export type Condition = (f: Fields) => boolean;

const BIN: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '<=': 7, '>': 7, '>=': 7, '+': 8, '-': 8, '*': 9, '/': 9, '%': 9,
};

export function compileCondition(src: string, knownFields: readonly string[]): Condition {
  const toks = src.match(/0x[0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_.]*|\|\||&&|==|!=|<=|>=|[()!<>&|^+\-*/%~]|\S/g) ?? [];
  let p = 0;
  type Node = (f: Fields) => number;
  const num = (v: number | boolean | undefined): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v ?? 0);
  const primary = (): Node => {
    const t = toks[p++];
    if (t === undefined) throw new Error('condition ends too early');
    if (t === '(') { const e = expr(0); if (toks[p++] !== ')') throw new Error('missing )'); return e; }
    if (t === '!') { const e = primary(); return (f) => (e(f) ? 0 : 1); }
    if (t === '-') { const e = primary(); return (f) => -e(f); }
    if (t === '~') { const e = primary(); return (f) => ~e(f); }
    if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) { const v = Number(t); return () => v; }
    if (/^[A-Za-z_]/.test(t)) {
      if (t === 'true') return () => 1;
      if (t === 'false') return () => 0;
      if (knownFields.includes(t)) return (f) => num(f[t]);
      const r = exitReasonByName(t);
      if (r !== undefined) return () => r;
      throw new Error(`unknown name "${t}" (known: ${knownFields.join(', ')}, or an exit-reason name)`);
    }
    throw new Error(`unexpected "${t}"`);
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
        case '||': left = (f) => (l(f) || right(f) ? 1 : 0); break;
        case '&&': left = (f) => (l(f) && right(f) ? 1 : 0); break;
        case '|': left = (f) => (l(f) | right(f)) >>> 0; break;
        case '^': left = (f) => (l(f) ^ right(f)) >>> 0; break;
        case '&': left = (f) => (l(f) & right(f)) >>> 0; break;
        case '==': left = (f) => (l(f) === right(f) ? 1 : 0); break;
        case '!=': left = (f) => (l(f) !== right(f) ? 1 : 0); break;
        case '<': left = (f) => (l(f) < right(f) ? 1 : 0); break;
        case '<=': left = (f) => (l(f) <= right(f) ? 1 : 0); break;
        case '>': left = (f) => (l(f) > right(f) ? 1 : 0); break;
        case '>=': left = (f) => (l(f) >= right(f) ? 1 : 0); break;
        case '+': left = (f) => l(f) + right(f); break;
        case '-': left = (f) => l(f) - right(f); break;
        case '*': left = (f) => l(f) * right(f); break;
        case '/': left = (f) => Math.trunc(l(f) / (right(f) || 1)); break;
        default: left = (f) => l(f) % (right(f) || 1); break;
      }
    }
  };
  const root = expr(0);
  if (p !== toks.length) throw new Error(`unexpected "${toks[p]}"`);
  return (f) => root(f) !== 0;
}

/** Field names every exit offers to conditions (exitQualification.ts decodes them per reason). */
export const CONDITION_FIELDS = [
  'reason', 'qualification', 'port', 'in', 'size', 'string', 'rep', 'imm', 'cr', 'accessType', 'gpr', 'dr', 'msr', 'leaf', 'subleaf',
  'gpa', 'gla', 'read', 'write', 'fetch', 'vector', 'errorCode', 'nr', 'eax', 'ecx',
] as const;
