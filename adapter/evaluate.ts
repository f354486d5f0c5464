// `evaluate`: register names ("eax", "eip", "cr3") and VMCS fields ("vmcs.GUEST_RIP") looked up in
// the VM's register and VMCS views. Anything else is an EvaluateError (an error response).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';
import type { FieldView, GroupView } from '../src/core/debug/debugApi';
import type { VariableStore } from './variables';

export class EvaluateError extends Error {
  override name = 'EvaluateError';
}

export function evaluate(vm: Vm, vars: VariableStore, vcpu: number, expression: string): DebugProtocol.EvaluateResponse['body'] {
  const expr = expression.trim();
  if (expr === '') throw new EvaluateError('nothing to evaluate');
  const vmcsMatch = /^vmcs\.([A-Za-z_][A-Za-z0-9_]*)$/i.exec(expr);
  if (vmcsMatch) {
    const hit = find(vm.vmcs(vcpu), vmcsMatch[1]);
    if (!hit) throw new EvaluateError(`no VMCS field named ${vmcsMatch[1]} (use the SDM name, e.g. vmcs.GUEST_RIP)`);
    return toBody(vars.fieldVariable('vmcs', vcpu, hit.group.name, hit.field));
  }
  if (/^\$?[A-Za-z][A-Za-z0-9_.]*$/.test(expr)) {
    const name = expr.replace(/^\$/, '');
    const hit = find(vm.registers(vcpu), name);
    if (hit) return toBody(vars.fieldVariable('registers', vcpu, hit.group.name, hit.field));
  }
  throw new EvaluateError(`cannot evaluate "${expr}": expected a register name (eax, eip, cr3, ...) or vmcs.FIELD_NAME`);
}

function find(groups: GroupView[], name: string): { group: GroupView; field: FieldView } | undefined {
  const lname = name.toLowerCase();
  for (const group of groups) {
    const field = group.fields.find((f) => f.name.toLowerCase() === lname);
    if (field) return { group, field };
  }
  return undefined;
}

function toBody(v: DebugProtocol.Variable): DebugProtocol.EvaluateResponse['body'] {
  return {
    result: v.value,
    type: v.type,
    variablesReference: v.variablesReference,
    memoryReference: v.memoryReference,
    presentationHint: v.presentationHint,
  };
}
