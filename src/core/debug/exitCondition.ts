// Conditions on exit breakpoints: a small expression language over the exit's named fields
// (`port == 0x3f8 && !in`, `qualification & 0x2`, `gpa >= 0xfee00000`, `reason == EPT_VIOLATION`).
// Numbers are decimal or 0x-hex; identifiers are exit fields, or exit-reason names; unknown
// identifiers are an error at compile time. The parser is the debugger's one expression language (expression.ts).
import { exitReasonByName } from '../hw/vmx/exitReasons';
import { compileExpression } from './expression';

export type Fields = Record<string, number | boolean>;
export type Condition = (f: Fields) => boolean;

/** Compiles an exit condition with the debugger's expression language (expression.ts). */
export function compileCondition(src: string, knownFields: readonly string[]): Condition {
  const num = (v: number | boolean | undefined): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v ?? 0);
  const root = compileExpression<Fields>(src, {
    name: (t) => {
      if (knownFields.includes(t)) return (f) => num(f[t]);
      const r = exitReasonByName(t);
      return r !== undefined ? () => r : undefined;
    },
    unknown: (t) => `unknown name "${t}" (known: ${knownFields.join(', ')}, or an exit-reason name)`,
  });
  return (f) => root(f) !== 0;
}

/** Field names every exit offers to conditions (exitQualification.ts decodes them per reason). */
export const CONDITION_FIELDS = [
  'reason', 'qualification', 'port', 'in', 'size', 'string', 'rep', 'imm', 'cr', 'accessType', 'gpr', 'dr', 'msr', 'leaf', 'subleaf',
  'gpa', 'gla', 'read', 'write', 'fetch', 'vector', 'errorCode', 'nr', 'eax', 'ecx',
  // Aliases and extra fields: error_code (= errorCode), gva (= gla; the #PF address), rip (linear address
  // of the exiting instruction), type (interruption type), entryFailure, instructionLength.
  'error_code', 'gva', 'rip', 'type', 'entryFailure', 'instructionLength', 'selector', 'xcr',
] as const;
