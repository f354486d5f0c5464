// Stops before privileged and sensitive instructions (exception filters "privileged instruction
// executed" and "sensitive unprivileged instruction executed"). The class comes from the one opcode
// table (OpcodeDef.privileged / iopl / sensitive); the check runs on the decoded instruction before it
// executes (Cpu.insnStop), because under VT-x most of these never exit: a stop on the exit would miss
// them. The stop says whether the instruction would exit now and why not (exitOutlook.ts).
//
// Conditions use the debugger's expression language over: mnemonic (compare with a mnemonic name:
// `mnemonic == popf || mnemonic == sgdt`), opcode, cpl, iopl, exits (1 when it would exit now),
// privileged, sensitive, eip (linear address), length, and the guest GPRs eax..edi.
import type { Insn } from '../isa/insn';
import { OPCODES, type OpcodeDef } from '../isa/opcodeTable';
import { formatInsn } from '../isa/disassembler';
import { compileExpression, type Compiled } from './expression';
import { exitOutlook, type ExitOutlook, type OutlookContext } from './exitOutlook';

export const INSN_FILTER_PRIVILEGED = 'insn.privileged';
export const INSN_FILTER_SENSITIVE = 'insn.sensitive';

/** What a condition and the stop text read of the vCPU at the instruction. */
export interface InsnStopContext extends OutlookContext {
  cpl: number;
  eflags: number;
}

/** The privileged filter's class: #GP(0) unless CPL 0, or IOPL-sensitive and CPL > IOPL (would #GP). */
export function isPrivileged(def: OpcodeDef, cpl: number, iopl: number): boolean {
  return def.privileged === true || (def.iopl === true && cpl > iopl);
}

/** Sensitive in the Popek-Goldberg sense but not privileged: the x86 virtualization holes. */
export function isSensitiveUnprivileged(def: OpcodeDef): boolean {
  return def.sensitive !== undefined && !def.privileged && !def.iopl;
}

// Mnemonic numbers for conditions: a mnemonic and its 16-bit form share a number (popf == popfd).
const MNEMONIC_IDS = new Map<string, number>();
for (const d of OPCODES) {
  const id = MNEMONIC_IDS.get(d.mnemonic) ?? MNEMONIC_IDS.size + 1;
  MNEMONIC_IDS.set(d.mnemonic, id);
  if (d.mnemonic16 && !MNEMONIC_IDS.has(d.mnemonic16)) MNEMONIC_IDS.set(d.mnemonic16, id);
}

const GPRS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
export const INSN_CONDITION_FIELDS = ['mnemonic', 'opcode', 'cpl', 'iopl', 'exits', 'privileged', 'sensitive', 'eip', 'length', ...GPRS];

interface Probe { i: Insn; c: InsnStopContext; outlook?: ExitOutlook }

function field(name: string): ((p: Probe) => number) | undefined {
  const g = GPRS.indexOf(name);
  if (g >= 0) return (p) => p.c.reg[g] >>> 0;
  switch (name) {
    case 'mnemonic': return (p) => MNEMONIC_IDS.get(p.i.def.mnemonic) ?? 0;
    case 'opcode': return (p) => p.i.opcode;
    case 'cpl': return (p) => p.c.cpl;
    case 'iopl': return (p) => (p.c.eflags >> 12) & 3;
    case 'exits': return (p) => ((p.outlook ??= exitOutlook(p.i, p.c)).exits ? 1 : 0);
    case 'privileged': return (p) => (isPrivileged(p.i.def, p.c.cpl, (p.c.eflags >> 12) & 3) ? 1 : 0);
    case 'sensitive': return (p) => (p.i.def.sensitive ? 1 : 0);
    case 'eip': return (p) => p.i.address >>> 0;
    case 'length': return (p) => p.i.length;
    default: return undefined;
  }
}

/** Compiles an instruction-filter condition; throws ExpressionError with a message for the user. */
export function compileInsnCondition(src: string): (i: Insn, c: InsnStopContext) => boolean {
  const root: Compiled<Probe> = compileExpression<Probe>(src, {
    name: (t) => {
      const f = field(t);
      if (f) return f;
      const m = MNEMONIC_IDS.get(t.toLowerCase());
      return m !== undefined ? () => m : undefined;
    },
    unknown: (t) => `unknown name "${t}" (known: ${INSN_CONDITION_FIELDS.join(', ')}, or a mnemonic such as popf, sgdt)`,
  });
  return (i, c) => root({ i, c }) !== 0;
}

type Cond = ((i: Insn, c: InsnStopContext) => boolean) | undefined;

/** The checked instruction filters, compiled. */
export class InsnStops {
  privileged: { cond: Cond } | null = null;
  sensitive: { cond: Cond } | null = null;

  get active(): boolean { return this.privileged !== null || this.sensitive !== null; }

  /** The filter id that stops before `i`, or undefined. */
  match(i: Insn, c: InsnStopContext): string | undefined {
    const def = i.def;
    const p = this.privileged;
    if (p && isPrivileged(def, c.cpl, (c.eflags >> 12) & 3) && (!p.cond || p.cond(i, c))) return INSN_FILTER_PRIVILEGED;
    const s = this.sensitive;
    if (s && isSensitiveUnprivileged(def) && (!s.cond || s.cond(i, c))) return INSN_FILTER_SENSITIVE;
    return undefined;
  }
}

/** The stop's text: "Sensitive instruction SGDT [0x...] at 0x...: would not exit: ...". */
export function describeInsnStop(filterId: string, i: Insn, c: InsnStopContext): { text: string; outlook: ExitOutlook; disassembly: string; why: string } {
  const outlook = exitOutlook(i, c);
  const disassembly = formatInsn(i);
  const kind = filterId === INSN_FILTER_PRIVILEGED ? 'Privileged' : 'Sensitive';
  const at = '0x' + (i.address >>> 0).toString(16).padStart(8, '0');
  const gp = filterId === INSN_FILTER_PRIVILEGED && c.cpl !== 0 && (i.def.privileged || i.def.iopl)
    ? `; at CPL ${c.cpl} it raises #GP(0) in the guest` : '';
  const exitText = outlook.exits
    ? `will exit (${outlook.reason}): ${outlook.why}`
    : `will not exit${outlook.reason ? ` (${outlook.reason} is possible)` : ''}: ${outlook.why}`;
  const text = `${kind} instruction ${disassembly} at ${at} (not yet executed): ${exitText}${gp}`;
  return { text, outlook, disassembly, why: i.def.sensitiveWhy ?? i.def.summary };
}
