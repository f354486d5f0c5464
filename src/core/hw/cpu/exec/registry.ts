// Resolves the table's handler names to functions, once. An entry whose handler is not implemented
// raises #UD in the guest (never a host error): the table can describe more than the CPU executes.
import { OPCODES } from '../../../isa/opcodeTable';
import type { ExecFn, ExecTable } from './execTypes';
import { aluExec } from './alu';
import { dataExec } from './dataMove';
import { controlExec } from './control';
import { stringExec } from './string';
import { systemExec } from './system';
import { shiftExec } from './shift';

const all: ExecTable = { ...aluExec, ...dataExec, ...controlExec, ...stringExec, ...systemExec, ...shiftExec };
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
