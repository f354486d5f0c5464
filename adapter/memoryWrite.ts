// `writeMemory` on guest-virtual ("0x00100000", "gva:...") or guest-physical ("gpa:0x1000") memory.
// Writes go through Vm.writeMemory, so they enter the recorded history (a write in the past forks it).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';
import { MemoryReferenceError, parseMemoryReference } from './memory';
import { hex8 } from './format';

const MAX_WRITE = 1 << 20;

export function writeMemory(vm: Vm, vcpu: number, args: DebugProtocol.WriteMemoryArguments): { body: DebugProtocol.WriteMemoryResponse['body']; message?: string } {
  const { space, address } = parseMemoryReference(String(args.memoryReference ?? ''));
  const start = address + (args.offset ?? 0);
  if (!Number.isInteger(start) || start < 0 || start > 0xffffffff) throw new MemoryReferenceError(`writeMemory: address ${String(start)} is outside the 32-bit address space`);
  if (typeof args.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(args.data)) throw new MemoryReferenceError('writeMemory: data must be base64');
  const bytes = Buffer.from(args.data, 'base64');
  if (bytes.length > MAX_WRITE) throw new MemoryReferenceError(`writeMemory: at most ${MAX_WRITE} bytes at once`);
  if (start + bytes.length > 0x100000000) throw new MemoryReferenceError('writeMemory: the range runs past 4 GiB');
  if (!args.allowPartial && vm.readMemory(vcpu, space, start, bytes.length).unreadable > 0) {
    const ok = vm.readMemory(vcpu, space, start, bytes.length).data.length;
    throw new MemoryReferenceError(`writeMemory: ${space === 'gpa' ? 'gpa:' : ''}${hex8(start + ok)} is not mapped guest memory; nothing written`);
  }
  const r = vm.writeMemory(vcpu, space, start, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  if (r.written < bytes.length && !args.allowPartial) {
    const where = `${space === 'gpa' ? 'gpa:' : ''}${hex8(start + r.written)}`;
    throw new MemoryReferenceError(`writeMemory: ${where} is not writable guest memory (${r.written} of ${bytes.length} bytes written)`);
  }
  return { body: { bytesWritten: r.written }, message: r.message };
}
