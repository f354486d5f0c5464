// Emulation of one guest instruction that touched an MMIO region (KVM's handle_ept_violation ->
// kvm_mmu_page_fault -> x86_emulate_instruction with emulator_read/write_emulated on the MMIO bus).
// The instruction at GUEST_RIP is decoded with the one opcode table; the forms device drivers use for
// register pages are emulated: MOV (88/89/8A/8B/C6/C7/A0-A3), MOVZX (0F B6/B7), and the read-modify and
// compare forms OR/AND (09/21/81/83 /1 /4), TEST (85, F7 /0) and CMP (39/3B/81/83 /7), whose
// arithmetic flags are computed here (SDM Vol. 1 3.4.3.1). Anything else stops the VM with a clear
// message (a VMM limit, never a host exception). The memory operand is the faulting guest-physical
// address the exit reported; a narrower access is merged into the device's aligned dword.
import type { Vmm } from './vmm';
import type { VCpu } from './vcpu';
import type { StopEvent } from '../debug/debugApi';
import type { MmioRegion } from './mmioBus';
import { VMCS } from '../hw/vmx/vmcsFields';
import { skipInstruction } from './exitHandler';

const ARITH = 0x8d5; // CF PF AF ZF SF OF

function getReg(vcpu: VCpu, r: number, size: number): number {
  if (size === 1) {
    const v = r < 4 ? vcpu.regs[r] : vcpu.regs[r - 4] >> 8;
    return v & 0xff;
  }
  const v = r === 4 ? vcpu.vmcs.read(VMCS.GUEST_RSP) : vcpu.regs[r];
  return size === 2 ? v & 0xffff : v >>> 0;
}

function setReg(vcpu: VCpu, r: number, size: number, value: number): void {
  if (size === 1) {
    if (r < 4) vcpu.regs[r] = (vcpu.regs[r] & ~0xff) | (value & 0xff);
    else vcpu.regs[r - 4] = (vcpu.regs[r - 4] & ~0xff00) | ((value & 0xff) << 8);
    return;
  }
  const old = r === 4 ? vcpu.vmcs.read(VMCS.GUEST_RSP) : vcpu.regs[r];
  const v = size === 2 ? (old & ~0xffff) | (value & 0xffff) : value;
  if (r === 4) vcpu.vmcs.write(VMCS.GUEST_RSP, v >>> 0);
  vcpu.regs[r] = v | 0;
}

function parity(v: number): number {
  let x = v & 0xff;
  x ^= x >> 4; x ^= x >> 2; x ^= x >> 1;
  return (x & 1) ? 0 : 4;
}

function setFlags(vcpu: VCpu, bits: number): void {
  const v = vcpu.vmcs;
  v.write(VMCS.GUEST_RFLAGS, ((v.read(VMCS.GUEST_RFLAGS) & ~ARITH) | bits) >>> 0);
}

/** Flags of a logical result (AND/OR/TEST): CF = OF = 0. */
function logicFlags(res: number, size: number): number {
  const bits = size * 8, m = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const r = (res & m) >>> 0;
  return (r === 0 ? 0x40 : 0) | ((r >>> (bits - 1)) & 1 ? 0x80 : 0) | parity(r);
}

/** Flags of dst - src (CMP). */
function subFlags(dst: number, src: number, size: number): number {
  const bits = size * 8, m = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const d = (dst & m) >>> 0, s = (src & m) >>> 0, r = ((d - s) & m) >>> 0;
  const sign = (x: number): number => (x >>> (bits - 1)) & 1;
  return (d < s ? 1 : 0) | parity(r) | (((d ^ s ^ r) & 0x10) ? 0x10 : 0) | (r === 0 ? 0x40 : 0) | (sign(r) ? 0x80 : 0) |
    (sign((d ^ s) & (d ^ r)) ? 0x800 : 0);
}

/** Read `size` bytes at `gpa` from the region (merged from the aligned dword). */
function mmioRead(region: MmioRegion, vcpu: VCpu, gpa: number, size: number): number {
  const off = (gpa >>> 0) - region.base;
  const dw = region.dev.read(vcpu, off & ~3) >>> 0;
  const sh = (off & 3) * 8;
  return size === 4 ? dw : (dw >>> sh) & (size === 1 ? 0xff : 0xffff);
}

function mmioWrite(region: MmioRegion, vcpu: VCpu, gpa: number, size: number, value: number): void {
  const off = (gpa >>> 0) - region.base;
  if (size === 4) { region.dev.write(vcpu, off & ~3, value >>> 0); return; }
  const sh = (off & 3) * 8, m = (size === 1 ? 0xff : 0xffff) << sh;
  const dw = region.dev.read(vcpu, off & ~3);
  region.dev.write(vcpu, off & ~3, ((dw & ~m) | ((value << sh) & m)) >>> 0);
}

/** Emulate the instruction at GUEST_RIP, whose memory operand is `gpa` in `region`; advance RIP. */
export function emulateMmio(vmm: Vmm, vcpu: VCpu, region: MmioRegion, gpa: number): StopEvent | undefined {
  const i = vmm.decodeAt(vcpu);
  const fail = (why: string): StopEvent => ({
    kind: 'error', vcpu: vcpu.id,
    text: `MMIO access to ${region.dev.name} at guest-physical 0x${(gpa >>> 0).toString(16)}: ${why}; the VM is paused with its state intact`,
  });
  if (!i) return fail('the instruction could not be decoded');
  if (i.hasModrm && i.mod === 3 && i.opcode !== 0xa0 && i.opcode !== 0xa1 && i.opcode !== 0xa2 && i.opcode !== 0xa3) return fail('the instruction has no memory operand');
  const os = i.opSize / 8;
  const imm = (n: number): number => (i.opcode === 0x83 ? (i.imm << 24) >> 24 : i.imm) & (n === 4 ? 0xffffffff : (1 << (8 * n)) - 1);
  vmm.stats.mmioExits++;
  vcpu.mmioExits++;
  switch (i.opcode) {
    case 0x88: mmioWrite(region, vcpu, gpa, 1, getReg(vcpu, i.reg, 1)); break;
    case 0x89: mmioWrite(region, vcpu, gpa, os, getReg(vcpu, i.reg, os)); break;
    case 0x8a: setReg(vcpu, i.reg, 1, mmioRead(region, vcpu, gpa, 1)); break;
    case 0x8b: setReg(vcpu, i.reg, os, mmioRead(region, vcpu, gpa, os)); break;
    case 0xc6: if (i.reg !== 0) return fail('unsupported form'); mmioWrite(region, vcpu, gpa, 1, imm(1)); break;
    case 0xc7: if (i.reg !== 0) return fail('unsupported form'); mmioWrite(region, vcpu, gpa, os, imm(os)); break;
    case 0xa0: setReg(vcpu, 0, 1, mmioRead(region, vcpu, gpa, 1)); break;
    case 0xa1: setReg(vcpu, 0, os, mmioRead(region, vcpu, gpa, os)); break;
    case 0xa2: mmioWrite(region, vcpu, gpa, 1, getReg(vcpu, 0, 1)); break;
    case 0xa3: mmioWrite(region, vcpu, gpa, os, getReg(vcpu, 0, os)); break;
    case 0x0fb6: setReg(vcpu, i.reg, os, mmioRead(region, vcpu, gpa, 1)); break;
    case 0x0fb7: setReg(vcpu, i.reg, os, mmioRead(region, vcpu, gpa, 2)); break;
    case 0x85: setFlags(vcpu, logicFlags(mmioRead(region, vcpu, gpa, os) & getReg(vcpu, i.reg, os), os)); break;
    case 0xf7: if (i.reg !== 0) return fail('unsupported form'); setFlags(vcpu, logicFlags(mmioRead(region, vcpu, gpa, os) & imm(os), os)); break;
    case 0x39: setFlags(vcpu, subFlags(mmioRead(region, vcpu, gpa, os), getReg(vcpu, i.reg, os), os)); break;
    case 0x3b: setFlags(vcpu, subFlags(getReg(vcpu, i.reg, os), mmioRead(region, vcpu, gpa, os), os)); break;
    case 0x09: case 0x21: {
      const m = mmioRead(region, vcpu, gpa, os), s = getReg(vcpu, i.reg, os);
      const r = i.opcode === 0x09 ? m | s : m & s;
      mmioWrite(region, vcpu, gpa, os, r); setFlags(vcpu, logicFlags(r, os));
      break;
    }
    case 0x81: case 0x83: {
      const m = mmioRead(region, vcpu, gpa, os), s = imm(os);
      if (i.reg === 7) { setFlags(vcpu, subFlags(m, s, os)); break; }
      if (i.reg !== 1 && i.reg !== 4) return fail(`unsupported ALU form /${i.reg}`);
      const r = i.reg === 1 ? m | s : m & s;
      mmioWrite(region, vcpu, gpa, os, r); setFlags(vcpu, logicFlags(r, os));
      break;
    }
    default: return fail(`instruction form 0x${i.opcode.toString(16)} is not emulated for MMIO (use MOV)`);
  }
  vcpu.vmcs.write(VMCS.VM_EXIT_INSTRUCTION_LEN, i.length);
  skipInstruction(vcpu);
  return vmm.checkGuestExit(vcpu);
}
