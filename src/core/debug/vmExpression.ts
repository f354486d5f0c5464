// Expressions over a stopped VM (Debug Console, hovers, breakpoint conditions, hit conditions,
// logpoints): registers by name (`eax`, `$esp`, `cr3`, `eflags & 0x200`), VMCS fields by SDM name
// (`vmcs.GUEST_CR3`), symbols (their address), guest memory (`*(u32*)0x1000`: guest-virtual,
// through the vCPU's current page tables), with the operators of expression.ts. Pure: reads the
// VM through a small view interface.
import type { GroupView } from './debugApi';
import { compileExpression, ExpressionError, type Compiled } from './expression';

export type AddressSpace = 'gva' | 'gpa';

/** What an expression needs from the VM (machine/vm.ts Vm satisfies it). */
export interface ExpressionTarget {
  registers(vcpu: number): GroupView[];
  vmcs(vcpu: number): GroupView[];
  readMemory(vcpu: number, space: AddressSpace, address: number, length: number): { data: Uint8Array; unreadable: number };
  readonly symbols: readonly { name: string; address: number; size: number }[];
}

export interface VmExprContext { vcpu: number }

function findField(groups: GroupView[], name: string): boolean {
  const l = name.toLowerCase();
  return groups.some((g) => g.fields.some((f) => f.name.toLowerCase() === l));
}

function fieldValue(groups: GroupView[], name: string): number {
  const l = name.toLowerCase();
  for (const g of groups) for (const f of g.fields) if (f.name.toLowerCase() === l) return f.value;
  throw new ExpressionError(`${name} is gone`);
}

/** Reads `bytes` little-endian at a guest-virtual address; ExpressionError when unreadable. */
export function readGuest(t: ExpressionTarget, vcpu: number, space: AddressSpace, address: number, bytes: number): number {
  const { data } = t.readMemory(vcpu, space, address >>> 0, bytes);
  if (data.length < bytes) {
    throw new ExpressionError(`cannot read ${bytes} byte${bytes > 1 ? 's' : ''} at ${space === 'gpa' ? 'guest-physical' : 'guest-virtual'} 0x${(address >>> 0).toString(16).padStart(8, '0')} (not mapped)`);
  }
  let v = 0;
  for (let k = bytes - 1; k >= 0; k--) v = v * 256 + data[k];
  return v;
}

/** Compiles an expression against `t`; names are checked now, values read at each evaluation. */
export function compileVmExpression(t: ExpressionTarget, src: string, vcpuForNames = 0): Compiled<VmExprContext> {
  return compileExpression<VmExprContext>(src, {
    name: (raw) => {
      const id = raw.replace(/^\$/, '');
      const vm = /^vmcs\.([A-Za-z_][A-Za-z0-9_]*)$/i.exec(id);
      if (vm) {
        const field = vm[1];
        if (!findField(t.vmcs(vcpuForNames), field)) return undefined;
        return (c) => fieldValue(t.vmcs(c.vcpu), field);
      }
      if (findField(t.registers(vcpuForNames), id)) return (c) => fieldValue(t.registers(c.vcpu), id) >>> 0;
      const sym = t.symbols.find((s) => s.name === id);
      if (sym) { const a = sym.address >>> 0; return () => a; }
      return undefined;
    },
    unknown: (id) => /^vmcs\./i.test(id)
      ? `no VMCS field named ${id.slice(5)} (use the SDM name, e.g. vmcs.GUEST_RIP)`
      : `unknown name "${id}": not a register (eax, eip, cr3, ...), vmcs.FIELD or a symbol`,
    read: (c, address, bytes) => readGuest(t, c.vcpu, 'gva', address, bytes),
  });
}

/** Evaluates once; throws ExpressionError for a bad expression or unreadable memory. */
export function evaluateVmExpression(t: ExpressionTarget, vcpu: number, src: string): number {
  return compileVmExpression(t, src, vcpu)({ vcpu });
}

/** "0x0000002a (42)" for values that fit 32 bits, else the decimal number. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return `0x${v.toString(16).padStart(8, '0')} (${v})`;
  if (Number.isInteger(v) && v < 0 && v >= -0x80000000) return `${v} (0x${(v >>> 0).toString(16).padStart(8, '0')})`;
  return String(v);
}

/** Expands `{expr}` in a logpoint message; a failing expression shows as `{expr: error}`. */
export function interpolate(t: ExpressionTarget, vcpu: number, message: string): string {
  return message.replace(/\{([^{}]+)\}/g, (_m, e: string) => {
    try {
      const v = evaluateVmExpression(t, vcpu, e);
      return Number.isInteger(v) && v >= 0 && v <= 0xffffffff && v > 9 ? `0x${v.toString(16)}` : String(v);
    } catch (err) {
      return `{${e}: ${err instanceof Error ? err.message : String(err)}}`;
    }
  });
}
