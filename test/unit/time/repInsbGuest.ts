// A guest whose fifth instruction is a huge REP INSB (ECX = 3,000,000 elements by default from port 0x80, each
// an IO_INSTRUCTION exit), in the product's assembler; used by the core and the DAP tests of issue 7.
import { strict as assert } from 'node:assert';
import { assemble } from '../../../src/core/asm/assembler';
import { toMultibootElf } from '../../../src/core/asm/output';

export const REP_INSB_COUNT = 3_000_000;

export const repInsbGuest = (count = REP_INSB_COUNT): string => `
bits 32
org 0x100000
multiboot

_start:
    mov edi, 0x200000
    mov ecx, ${count}
    mov dx, 0x80
    cld
rep_insb:
    rep insb
    mov dx, 0xf4
    xor eax, eax
    out dx, al
    hlt
`;

export function repInsbImage(count = REP_INSB_COUNT): Uint8Array {
  const r = assemble(repInsbGuest(count));
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  return toMultibootElf(r);
}
