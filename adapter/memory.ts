// `readMemory`. A memoryReference is a guest linear address ("0x00100000") or, with a "gpa:" prefix,
// a guest-physical one (what the cr3 register variable offers).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { MemorySpace, Vm } from '../src/core/machine/vm';
import { hex8, parseAddress } from './format';

/** Largest single read, so a careless client cannot make the adapter allocate gigabytes. */
const MAX_READ = 1 << 20;

export class MemoryReferenceError extends Error {
  override name = 'MemoryReferenceError';
}

export function parseMemoryReference(ref: string): { space: MemorySpace; address: number } {
  const m = /^(gva:|gpa:)?(.*)$/i.exec(ref.trim());
  const space: MemorySpace = m && m[1] && m[1].toLowerCase() === 'gpa:' ? 'gpa' : 'gva';
  const address = parseAddress(m ? m[2] : ref);
  if (address === undefined) {
    throw new MemoryReferenceError(`bad memoryReference "${ref}": expected an address like 0x00100000 or gpa:0x1000`);
  }
  return { space, address };
}

export function readMemory(vm: Vm, vcpu: number, args: DebugProtocol.ReadMemoryArguments): DebugProtocol.ReadMemoryResponse['body'] {
  const { space, address: base } = parseMemoryReference(args.memoryReference);
  const start = base + (args.offset ?? 0);
  const prefix = space === 'gpa' ? 'gpa:' : '';
  if (!Number.isInteger(start) || start < 0 || start > 0xffffffff) {
    return { address: prefix + hex8(Math.max(0, Math.min(start, 0xffffffff))), unreadableBytes: Math.max(0, args.count) };
  }
  const count = Math.max(0, Math.min(Math.floor(args.count), MAX_READ, 0x1_0000_0000 - start));
  const { data, unreadable } = vm.readMemory(vcpu, space, start, count);
  const body: DebugProtocol.ReadMemoryResponse['body'] = { address: prefix + hex8(start) };
  if (data.length > 0) body.data = Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64');
  const missing = Math.max(unreadable, count - data.length);
  if (missing > 0) body.unreadableBytes = missing;
  return body;
}
