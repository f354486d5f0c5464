// Resolves the table's handler names to functions, once. An entry whose handler is not implemented
// raises #UD in the guest (never a host error): the table can describe more than the CPU executes.
import { OPCODES } from '../../../isa/opcodeTable';
import type { Insn } from '../../../isa/insn';
import type { ExecFn, ExecTable } from './execTypes';
import { isFastHandler, specializeInsn } from './specialize';
import { aluExec } from './alu';
import { dataExec } from './dataMove';
import { controlExec } from './control';
import { stringExec } from './string';
import { systemExec } from './system';
import { shiftExec } from './shift';
import { bcdExec } from './bcd';

const all: ExecTable = { ...aluExec, ...dataExec, ...controlExec, ...stringExec, ...systemExec, ...shiftExec, ...bcdExec };
const unimplemented: ExecFn = (cpu) => cpu.raiseUD();

let resolved: ExecFn[] | null = null;
export function resolveHandlers(): ExecFn[] {
  if (!resolved) resolved = OPCODES.map((d) => all[d.handler] ?? unimplemented);
  return resolved;
}

/** Handler names the table uses that have no implementation yet (reported by tests). */
export function unimplementedHandlers(): string[] {
  return [...new Set(OPCODES.filter((d) => !all[d.handler]).map((d) => d.handler))];
}

/**
 * Give a freshly decoded instruction its handler (Insn.exec, a monomorphic one for its form where
 * exec/specialize.ts has a template) and its fast-loop eligibility (Insn.fast). Once per decode.
 */
export function specialize(i: Insn): void {
  const generic = resolveHandlers()[i.def.index];
  i.exec = specializeInsn(i, generic);
  i.fast = isFastHandler(i) && generic !== unimplemented;
}
