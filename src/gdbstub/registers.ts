// Registers in gdb's i386 layout (targetXml.ts): the g packet, p/P by number, G.
import type { Vm } from '../core/machine/vm';
import { GDB_REGS, X87_CTRL, X87_ST_COUNT, regSize } from './targetXml';
import { le32Hex, parseLe32Hex } from './packets';

/** The 16 integer registers (eax..gs) of `vcpu`, in gdb's order. */
export function readCoreRegs(vm: Vm, vcpu: number): number[] {
  const byName = new Map<string, number>();
  for (const g of vm.registers(vcpu)) for (const f of g.fields) if (!byName.has(f.name)) byName.set(f.name, f.value);
  return GDB_REGS.map((n) => (byName.get(n) ?? 0) >>> 0);
}

/** The whole g reply: core registers, then the x87 registers as zeros (no FPU in this VMM). */
export function gPacket(vm: Vm, vcpu: number): string {
  return readCoreRegs(vm, vcpu).map(le32Hex).join('') + '00'.repeat(10 * X87_ST_COUNT + 4 * X87_CTRL.length);
}

/** One register for a p reply, or undefined for an unknown number. */
export function pPacket(vm: Vm, vcpu: number, n: number): string | undefined {
  const size = regSize(n);
  if (size === undefined) return undefined;
  if (n < GDB_REGS.length) return le32Hex(readCoreRegs(vm, vcpu)[n]);
  return '00'.repeat(size);
}

/** Writable registers: general registers, eip and eflags. Writes that do not change a value are accepted. */
function writeOne(vm: Vm, vcpu: number, current: number[], n: number, value: number): string | undefined {
  if (current[n] === (value >>> 0)) return undefined;
  const name = GDB_REGS[n];
  if (n >= 10) return `${name} cannot be written`;
  vm.writeRegister(vcpu, name, value);
  return undefined;
}

/** P n=value. Returns an error text, or undefined when done. */
export function writeRegisterPacket(vm: Vm, vcpu: number, n: number, hex: string): string | undefined {
  const size = regSize(n);
  if (size === undefined) return `no register ${n}`;
  if (hex.length !== 2 * size || !/^[0-9a-fA-F]*$/.test(hex)) return `register ${n} needs ${size} bytes of hex`;
  if (n >= GDB_REGS.length) return /^0*$/.test(hex) ? undefined : 'x87 registers are not modelled (no FPU)';
  return writeOne(vm, vcpu, readCoreRegs(vm, vcpu), n, parseLe32Hex(hex)!);
}

/** G: all registers (at least the 16 core ones; the x87 part is ignored). */
export function writeAllPacket(vm: Vm, vcpu: number, hex: string): string | undefined {
  if (hex.length < 8 * GDB_REGS.length || !/^[0-9a-fA-F]*$/.test(hex)) return 'G needs the 16 core registers in hex';
  const current = readCoreRegs(vm, vcpu);
  for (let n = 0; n < GDB_REGS.length; n++) {
    const err = writeOne(vm, vcpu, current, n, parseLe32Hex(hex.slice(8 * n, 8 * n + 8))!);
    if (err) return err;
  }
  return undefined;
}
