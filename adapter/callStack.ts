// Guest call stacks by the frame-pointer chain (System V i386 ABI: `push ebp; mov ebp, esp`, so
// [EBP] is the caller's EBP and [EBP+4] the return address), with symbol names and source lines.
// The innermost frame may not have its frame yet (at the entry, after `push ebp`, at `ret`, or in a
// frameless assembly routine): its return address is found from the code it is in. The walk stops
// where the chain leaves readable memory or stops making sense.
import type { Vm } from '../src/core/machine/vm';
import type { DebugInfo, SourceLocation } from '../src/core/debugInfo/debugInfo';
import type { SymbolTable } from './symbols';

export interface GuestFrame {
  /** Linear address of the instruction the frame executes (frame 0) or returns to (callers). */
  pc: number;
  name: string;
  /** Source position: of pc for frame 0, of the call (pc - 1) for callers. */
  location?: SourceLocation;
}

export interface ReturnSlot {
  /** Linear address of the stack slot that holds the return address. */
  slot: number;
  /** The return address (a CS offset, as the call pushed it). */
  returnAddress: number;
  /** The caller's EBP (to go on with the chain). */
  callerEbp: number;
}

/** At most this many frames (a corrupt chain that loops is cut here). */
export const MAX_FRAMES = 64;
/** Frames further apart than this are not one stack. */
const MAX_FRAME_SIZE = 1 << 20;

export function readU32(vm: Vm, vcpu: number, address: number): number | undefined {
  const r = vm.readMemory(vcpu, 'gva', address >>> 0, 4);
  if (r.unreadable || r.data.length < 4) return undefined;
  return (r.data[0] | (r.data[1] << 8) | (r.data[2] << 16) | (r.data[3] << 24)) >>> 0;
}

function readBytes(vm: Vm, vcpu: number, address: number, n: number): Uint8Array {
  return vm.readMemory(vcpu, 'gva', address >>> 0, n).data;
}

/** True when the bytes before `ret` (a linear address) end with a call instruction. */
function followsCall(vm: Vm, vcpu: number, ret: number): boolean {
  const b = readBytes(vm, vcpu, ret - 7, 7);
  if (b.length < 7) return false;
  if (b[2] === 0xe8) return true; // call rel32
  // call r/m32 (FF /2) of 2, 3 or 6/7 bytes: ff d0+r, ff 50+r disp8 / ff 14 24, ff 15 disp32, ff 90+r disp32
  const ind = (k: number): boolean => b[k] === 0xff && ((b[k + 1] >> 3) & 7) === 2;
  return ind(5) || ind(4) || ind(1) || ind(0);
}

/** Where the innermost frame's return address is, from the function's code and the pc in it. */
export function innermostReturn(vm: Vm, vcpu: number, info: DebugInfo, symbols: SymbolTable): ReturnSlot | undefined {
  const pc = vm.pc(vcpu);
  const { esp, ebp, csBase, ssBase } = vm.stackRegs(vcpu);
  const sp = (ssBase + esp) >>> 0;
  const fnStart = info.functionAt(pc)?.low ?? symbols.lookup(pc)?.symbol.address;
  const at = (slot: number, callerEbp: number): ReturnSlot | undefined => {
    const ra = readU32(vm, vcpu, slot);
    return ra === undefined ? undefined : { slot, returnAddress: ra, callerEbp };
  };
  const here = readBytes(vm, vcpu, pc, 1)[0];
  if (here === 0xc3 || here === 0xc2 || pc === fnStart) return at(sp, ebp); // ret / ret imm16, or the entry
  if (fnStart !== undefined) {
    if (framed(vm, vcpu, fnStart)) {
      if (pc === fnStart + 1) { const saved = readU32(vm, vcpu, sp); return saved === undefined ? undefined : at(sp + 4, saved); }
      if (pc > fnStart + 1) { const saved = readU32(vm, vcpu, (ssBase + ebp) >>> 0); return saved === undefined ? undefined : at((ssBase + ebp + 4) >>> 0, saved); }
    }
  }
  return scanForReturn(vm, vcpu, esp, ebp);
}

/** Whether the function at `start` sets up a frame (push ebp; mov ebp, esp). */
function framed(vm: Vm, vcpu: number, start: number): boolean {
  const p = readBytes(vm, vcpu, start, 3);
  return p[0] === 0x55 && ((p[1] === 0x89 && p[2] === 0xe5) || (p[1] === 0x8b && p[2] === 0xec));
}

/**
 * A frameless routine (assembly): its return address is the first word at or above `from` (an
 * ESP value), below the caller's frame, that returns just after a call instruction.
 */
function scanForReturn(vm: Vm, vcpu: number, from: number, ebp: number): ReturnSlot | undefined {
  const { csBase, ssBase } = vm.stackRegs(vcpu);
  const limit = ebp > from && ebp - from < 4096 ? ebp : from + 256;
  for (let off = from; off < limit; off += 4) {
    const v = readU32(vm, vcpu, (ssBase + off) >>> 0);
    if (v === undefined) return undefined;
    if (v !== 0 && followsCall(vm, vcpu, (csBase + v) >>> 0)) return { slot: (ssBase + off) >>> 0, returnAddress: v, callerEbp: ebp };
  }
  return undefined;
}

function describe(pc: number, info: DebugInfo, symbols: SymbolTable, caller: boolean): GuestFrame {
  const location = info.lineAt(caller ? pc - 1 : pc);
  const fn = info.functionAt(caller ? pc - 1 : pc);
  // Compiled code: the function's name (the line says where). Assembly: routine + offset, as the
  // Disassembly view writes addresses. No debug information: the nearest symbol + offset.
  const name = !fn ? symbols.describe(pc) : info.isAssembly(fn) && pc !== fn.low ? `${fn.name}+0x${(pc - fn.low).toString(16)}` : fn.name;
  return location ? { pc, name, location } : { pc, name };
}

/** The guest call stack of `vcpu`, innermost first. */
export function guestCallStack(vm: Vm, vcpu: number, info: DebugInfo, symbols: SymbolTable): GuestFrame[] {
  const pc = vm.pc(vcpu);
  const frames: GuestFrame[] = [describe(pc, info, symbols, false)];
  const { csBase, ssBase, esp } = vm.stackRegs(vcpu);
  const first = innermostReturn(vm, vcpu, info, symbols);
  if (!first) return frames;
  const known = (a: number): boolean => !!info.lineAt(a - 1) || !!symbols.lookup(a);
  let ret = (csBase + first.returnAddress) >>> 0;
  let ebp = first.callerEbp;
  let lastSlot = first.slot;
  while (frames.length < MAX_FRAMES) {
    if (ret === 0 || !known(ret)) break;
    frames.push(describe(ret, info, symbols, true));
    const callerStart = info.functionAt(ret - 1)?.low ?? symbols.lookup(ret - 1)?.symbol.address;
    if (callerStart !== undefined && !framed(vm, vcpu, callerStart)) {
      // The caller keeps no frame (assembly): find its return address above the slot just used.
      const next = scanForReturn(vm, vcpu, (lastSlot + 4 - ssBase) >>> 0, ebp);
      if (!next) break;
      lastSlot = next.slot;
      ret = (csBase + next.returnAddress) >>> 0;
      continue;
    }
    // The next frame: [ebp] and [ebp + 4], as long as the chain goes up the stack.
    const slot = (ssBase + ebp) >>> 0;
    if (ebp === 0 || ebp & 3 || slot <= lastSlot || ebp - esp > MAX_FRAME_SIZE) break;
    const nextEbp = readU32(vm, vcpu, slot);
    const nextRet = readU32(vm, vcpu, slot + 4);
    if (nextEbp === undefined || nextRet === undefined) break;
    if (nextEbp !== 0 && nextEbp <= ebp) break;
    lastSlot = slot + 4;
    ret = (csBase + nextRet) >>> 0;
    ebp = nextEbp;
  }
  return frames;
}
