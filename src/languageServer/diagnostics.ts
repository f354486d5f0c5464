// Diagnostics for a document: NASM files are assembled (syntax errors, unknown mnemonics, operand
// forms the table lacks, undefined symbols); GAS files are checked line by line against the table
// (unknown mnemonics, operand counts no form has). Both warn on sensitive-but-unprivileged
// instructions with the table's explanation.
import { assemble } from '../core/asm/assembler';
import { opcodesByMnemonic, type OpcodeDef } from '../core/isa/opcodeTable';
import { analyze } from './document';
import { classSentence, tableMnemonic, type Dialect } from './hoverText';

export interface Diag { line: number; start: number; end: number; severity: 'error' | 'warning'; message: string; code?: string }

const GAS_DIRECTIVE = /^\./;

/** Sensitive, not privileged and not IOPL-guarded: a Popek-Goldberg "virtualization hole". */
export function isSensitiveUnprivileged(def: OpcodeDef): boolean {
  return !!def.sensitive && !def.privileged && !def.iopl;
}

export function diagnose(text: string, dialect: Dialect): Diag[] {
  const out: Diag[] = [];
  const a = analyze(text, dialect);
  const warn = (line: number, def: OpcodeDef): void => {
    const w = a.lines[line]?.word;
    if (!w) return;
    out.push({ line, start: w.start, end: w.end, severity: 'warning', code: 'sensitive-unprivileged', message: `${w.text.toUpperCase()}: ${classSentence(def)}` });
  };
  if (dialect === 'nasm') {
    const r = assemble(text);
    for (const d of r.diagnostics) out.push({ line: d.line - 1, start: d.startColumn, end: Math.max(d.endColumn, d.startColumn + 1), severity: d.severity, message: d.message });
    const warned = new Set<number>();
    for (const i of r.instructions) if (isSensitiveUnprivileged(i.def) && !warned.has(i.line)) { warned.add(i.line); warn(i.line - 1, i.def); }
    return out;
  }
  a.lines.forEach((l, line) => {
    const w = l.word;
    if (!w || GAS_DIRECTIVE.test(w.text)) return;
    const m = tableMnemonic(w.text, 'gas');
    if (!m) { out.push({ line, start: w.start, end: w.end, severity: 'error', message: `unknown instruction '${w.text}' (not in the opcode table)` }); return; }
    const defs = opcodesByMnemonic(m === 'sal' ? 'shl' : m).filter((e) => e.handler !== 'fpu');
    const n = l.operands ? splitTop(l.operands).length : 0;
    const counts = new Set(defs.map((e) => (['movs', 'cmps', 'stos', 'lods', 'scas', 'ins', 'outs'].includes(e.handler) ? 0 : e.operands.length)));
    if (!counts.has(n) && !(n === 0 && m === 'ret')) {
      out.push({ line, start: w.start, end: w.end, severity: 'error', message: `${w.text} with ${n} operand(s): the table's forms take ${[...counts].sort().join(' or ')}` });
      return;
    }
    const hole = defs.find(isSensitiveUnprivileged);
    if (hole && defs.every((e) => isSensitiveUnprivileged(e) || !e.sensitive)) {
      // Only when every sensitive form of the mnemonic is a hole (mov: only when a segment register is involved).
      if (m !== 'mov' || /%[cdefgs]s\b/.test(l.operands)) warn(line, hole);
    }
  });
  return out;
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const c of s) {
    if (c === '(' || c === '[') depth++;
    if (c === ')' || c === ']') depth--;
    if (c === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out.filter((x) => x.trim());
}
