// Hover text for a mnemonic, from the opcode table alone: the operation in one line, the operand
// forms (SDM Appendix A notation), and the virtualization class: privileged or not, sensitive or not
// and why (Popek & Goldberg), and which VM exit it causes under which VMCS control.
import { canonicalAtt, canonicalIntel } from '../core/asm/aliases';
import { operandForms, SIZE_SPELLINGS } from '../core/asm/encode';
import { ExitReason } from '../core/hw/vmx/exitReasons';
import { opcodesByMnemonic, type OpcodeDef } from '../core/isa/opcodeTable';

export type Dialect = 'nasm' | 'gas';

/** The table mnemonic a written word names in this dialect, or undefined. */
export function tableMnemonic(word: string, dialect: Dialect): string | undefined {
  const w = word.toLowerCase();
  const sized = SIZE_SPELLINGS.get(w);
  if (sized) return sized[0];
  return dialect === 'gas' ? canonicalAtt(w) : canonicalIntel(w);
}

const exitNumber = (reason: string): string => {
  const n = (ExitReason as Record<string, number>)[reason];
  return n === undefined ? reason : `reason ${n} (${reason})`;
};

/** "always exits, reason 10 (CPUID)" / "exits when HLT exiting is set, reason 12 (HLT)". */
export function exitSentence(def: OpcodeDef, crDestination?: number): string | undefined {
  const e = def.exit;
  if (!e) return undefined;
  if (def.opcode === 0x0f22 && crDestination === 3) return `exits when CR3-load exiting is set, which shadow paging uses; ${exitNumber(e.reason)}`;
  if (def.opcode === 0x0f22 && (crDestination === 0 || crDestination === 4)) return `exits when the write changes a bit set in the CR${crDestination} guest/host mask; ${exitNumber(e.reason)}`;
  if (e.when === 'always') return `always exits, ${exitNumber(e.reason)}`;
  if (e.when.startsWith('never')) return `does not exit: ${e.when.replace(/^never\s*/, '')}`;
  const when = /exiting$/.test(e.when) ? `${e.when} is set` : e.when;
  return `exits when ${when}; ${exitNumber(e.reason)}`;
}

/** Popek-Goldberg class in one sentence. */
export function classSentence(def: OpcodeDef): string {
  const why = (def.sensitiveWhy ?? '').replace(/^Sensitive but not privileged[^:]*:\s*/, '');
  if (def.sensitive && !def.privileged && !def.iopl) return `sensitive but not privileged (${def.sensitive}-sensitive): ${why || 'it does not trap when de-privileged'}`;
  if (def.sensitive && def.iopl) return `sensitive (${def.sensitive}), privileged when CPL > IOPL (traps with #GP): ${why}`;
  if (def.sensitive && def.privileged) return `sensitive (${def.sensitive}) and privileged: traps (#GP) at CPL > 0, so trap-and-emulate works${why ? `; ${why}` : ''}`;
  if (def.privileged) return 'privileged (#GP at CPL > 0), not sensitive';
  return 'not privileged, not sensitive: runs natively in a guest';
}

/** Instruction name as the SDM writes it for an entry, e.g. "MOV to CR3", "POPF", "CPUID". */
function entryTitle(def: OpcodeDef, written: string, cr?: number): string {
  if (def.opcode === 0x0f22) return `MOV to CR${cr ?? 'n'}`;
  if (def.opcode === 0x0f20) return `MOV from CR${cr ?? 'n'}`;
  if (def.opcode === 0x0f23) return 'MOV to DRn';
  if (def.opcode === 0x0f21) return 'MOV from DRn';
  return written.toUpperCase();
}

/**
 * Markdown hover for `word` (as written). `operands` is the rest of the line (Intel order), used to
 * pick the entry that applies (MOV to CR3 rather than every MOV).
 */
export function hoverMarkdown(word: string, dialect: Dialect, operands = ''): string | undefined {
  const m = tableMnemonic(word, dialect);
  if (!m) return undefined;
  let defs = opcodesByMnemonic(m === 'sal' ? 'shl' : m).filter((e) => e.handler !== 'fpu');
  if (!defs.length) return undefined;
  const ops = operands.toLowerCase().split(',').map((s) => s.trim().replace(/^%/, ''));
  const crIdx = ops.findIndex((o) => /^cr\d$/.test(o));
  let cr: number | undefined;
  if (m === 'mov' && crIdx >= 0) {
    cr = Number(ops[crIdx]!.slice(2));
    const toCr = crIdx === 0;
    defs = defs.filter((e) => e.opcode === (toCr ? 0x0f22 : 0x0f20));
  } else if (m === 'mov' && ops.some((o) => /^dr\d$/.test(o))) {
    defs = defs.filter((e) => e.opcode === (/^dr\d$/.test(ops[0]!) ? 0x0f23 : 0x0f21));
  }
  const first = defs[0]!;
  const title = entryTitle(first, m, cr);
  const lines: string[] = [];
  const forms = operandForms(m).map((f) => f || '(none)').join(' · ');
  lines.push(`**${title}**: ${first.summary}`);
  lines.push('');
  lines.push(`Operand forms (SDM Appendix A): ${forms}`);
  // One class/exit line per distinct classification among the entries (MOV: plain vs CR/DR/Sreg).
  const seen = new Set<string>();
  for (const def of defs) {
    const cls = classSentence(def);
    const ex = exitSentence(def, def.opcode === 0x0f22 ? cr : undefined);
    const key = cls + '|' + (ex ?? '');
    if (seen.has(key)) continue;
    seen.add(key);
    const t = defs.length > 1 && seen.size > 0 && (def.sensitive || def.exit || def.privileged) ? `${entryTitle(def, m, def.opcode === 0x0f22 || def.opcode === 0x0f20 ? cr : undefined)} (${def.operands.join(',') || 'no operands'})` : entryTitle(def, m, cr);
    lines.push('');
    lines.push(`${t}: ${cls}.`);
    if (ex) lines.push(`${t}: ${ex}.`);
    else lines.push(`${t}: no VM exit of its own under VT-x.`);
  }
  return lines.join('\n');
}
