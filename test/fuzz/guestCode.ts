// Tiny hand-encoded guest code for the fuzzers: a flat GDT and an IDT, written into a fixture's
// guest memory through Vm.writeMemory, so random code runs with somewhere to take its exceptions.
import type { Vm } from '../../src/core/machine/vm';

export const GDT = 0x8800;
export const IDT = 0x8000;
export const DESC = 0x8f00; // GDTR at +0, IDTR at +8
export const STACK_TOP = 0x7ff0;

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

export function write(vm: Vm, gpa: number, bytes: number[] | Uint8Array): void {
  const data = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  const r = vm.writeMemory(0, 'gpa', gpa, data);
  if (r.written !== data.length) throw new Error(`test setup: could not write ${data.length} bytes at 0x${gpa.toString(16)}`);
}

/** Flat GDT (null, code 0x08, data 0x10) and an IDT whose gates point at handlers[vector] (or `fallback`). */
export function installTables(vm: Vm, fallback: number, handlers: Record<number, number> = {}): void {
  write(vm, GDT, [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0]);
  const idt: number[] = [];
  for (let v = 0; v < 256; v++) {
    const h = handlers[v] ?? fallback;
    idt.push(h & 0xff, (h >>> 8) & 0xff, 0x08, 0x00, 0x00, 0x8e, (h >>> 16) & 0xff, (h >>> 24) & 0xff);
  }
  write(vm, IDT, idt);
  write(vm, DESC, [0x17, 0, ...le32(GDT), 0, 0, 0xff, 0x07, ...le32(IDT)]);
}

/** lgdt [DESC]; lidt [DESC+8]; mov esp, STACK_TOP */
export function prologue(): number[] {
  return [0x0f, 0x01, 0x15, ...le32(DESC), 0x0f, 0x01, 0x1d, ...le32(DESC + 8), 0xbc, ...le32(STACK_TOP)];
}

export const asm = {
  movEaxImm: (v: number): number[] => [0xb8, ...le32(v)],
  movEaxMem: (a: number): number[] => [0xa1, ...le32(a)],
  movMemEax: (a: number): number[] => [0xa3, ...le32(a)],
  movCr3Eax: (): number[] => [0x0f, 0x22, 0xd8],
  movEaxCr0: (): number[] => [0x0f, 0x20, 0xc0],
  movCr0Eax: (): number[] => [0x0f, 0x22, 0xc0],
  movEaxCr4: (): number[] => [0x0f, 0x20, 0xe0],
  movCr4Eax: (): number[] => [0x0f, 0x22, 0xe0],
  orEaxImm: (v: number): number[] => [0x0d, ...le32(v)],
  /** mov al, v; out 0xf4, al: the exit device ends the VM with status (v << 1) | 1. */
  exit: (v: number): number[] => [0xb0, v & 0xff, 0xe6, 0xf4],
  hlt: (): number[] => [0xf4],
  movEcxImm: (v: number): number[] => [0xb9, ...le32(v)],
  rdmsr: (): number[] => [0x0f, 0x32],
  le32,
};
