// Assembler cross-checks generated from the opcode table: every operand form of every entry, in
// 16- and 32-bit code with both operand sizes, is assembled, decoded back through the product's
// decoder (the same entry, the whole length), disassembled, and the disassembly re-assembled to the
// same bytes. Where NASM is installed, the same lines are assembled by NASM and the bytes compared.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assemble } from '../../src/core/asm/assembler';
import { ASSEMBLABLE } from '../../src/core/asm/assembler';
import { Decoder } from '../../src/core/isa/decoder';
import { formatInsn } from '../../src/core/isa/disassembler';
import { Insn } from '../../src/core/isa/insn';
import type { OpcodeDef } from '../../src/core/isa/opcodeTable';
import { formsFor, isAlternativeEncoding, MODES, ORG, type Mode } from './formsFromTable';

function assembleOne(mode: Mode, text: string): Uint8Array {
  return assembleDef(mode, text).bytes;
}

/** Bytes and the table entry the assembler chose (it may pick a shorter equivalent form). */
function assembleDef(mode: Mode, text: string): { bytes: Uint8Array; def: OpcodeDef } {
  const r = assemble(`bits ${mode.bits}\norg ${ORG}\n${text}\n`);
  assert.ok(r.ok, `${text}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  assert.equal(r.instructions.length, 1);
  return { bytes: r.image, def: r.instructions[0]!.def };
}

/** Intel disassembly (objdump style) → NASM source. */
function disasmToNasm(text: string, jump: 'short' | 'near' | ''): string {
  let t = text.replace(/ ptr /g, ' ');
  t = t.replace(/\b([cdefgs]s):\[/g, '[$1:').replace(/\bds:(0x[0-9a-f]+)/g, '[$1]');
  if (jump) t = t.replace(/ (0x[0-9a-f]{8})$/, ` ${jump} $1`);
  return t;
}

function hex(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

describe('assembler: round trip through the decoder and disassembler (forms generated from the opcode table)', () => {
  const covered = new Set<number>();
  for (const mode of MODES) {
    it(`bits ${mode.bits}, operand size ${mode.opSize}: every form decodes back to the same entry and re-assembles from its disassembly`, () => {
      const failures: string[] = [];
      const dec = new Decoder();
      const insn = new Insn();
      for (const form of formsFor(mode)) {
        let bytes: Uint8Array, chosen: OpcodeDef;
        try { ({ bytes, def: chosen } = assembleDef(mode, form.text)); } catch (e) { failures.push(`${form.text}: ${(e as Error).message}`); continue; }
        const ok = dec.decode({ byteAt: (o) => bytes[o] ?? 0 }, mode.bits, insn);
        if (!ok || insn.length !== bytes.length) { failures.push(`${form.text}: [${hex(bytes)}] decodes ${ok ? `with length ${insn.length}` : 'as invalid'}`); continue; }
        if (insn.def !== chosen) {
          failures.push(`${form.text}: [${hex(bytes)}] decodes as ${insn.def.mnemonic} ${insn.def.operands.join(',')}, not the encoded ${chosen.mnemonic} ${chosen.operands.join(',')}`);
          continue;
        }
        // Same mnemonic as written (or its table alias: sal is shl's encoding, a 16-bit spelling).
        const written = form.text.split(' ')[0]!.replace(/^(pushf|popf|pusha|popa|iret)w$/, '$1');
        if (![insn.def.mnemonic, insn.def.mnemonic16, insn.def.mnemonic === 'shl' ? 'sal' : '', insn.def.opcode === 0xe3 ? 'jcxz' : ''].includes(written)) {
          failures.push(`${form.text}: decodes as ${insn.def.mnemonic}`);
        }
        covered.add(insn.def.index);
        insn.address = ORG;
        const text = formatInsn(insn);
        const jump = insn.def.operands[0] === 'Jb' ? 'short' : insn.def.operands[0] === 'Jz' ? 'near' : '';
        let again = disasmToNasm(text, jump);
        // Intel syntax shows no operand size for PUSH imm (objdump's AT&T says pushw): name it.
        if (insn.def.opcode === 0x68 && insn.opSize !== mode.bits) again = again.replace('push ', insn.opSize === 16 ? 'push word ' : 'push dword ');
        // NASM's pushf/popf/pusha/popa/iret follow the mode: 16-bit ones in 32-bit code are the w spellings.
        if (/^(pushf|popf|pusha|popa|iret)$/.test(again) && mode.bits === 32) again += 'w';
        // CALL/JMP m16:16 / m16:32 through memory: NASM writes `far`.
        if (insn.def.opcode === 0xff && insn.def.operands[0] === 'Mp') again = again.replace(/(dword|fword) \[/, 'far [');
        let bytes2: Uint8Array;
        try { bytes2 = assembleOne(mode, again); } catch (e) { failures.push(`${form.text} → "${text}" → "${again}": ${(e as Error).message}`); continue; }
        if (insn.def.mnemonic === 'xchg' && hex(bytes2) !== hex(bytes)) {
          // XCHG r, r: the operands may come back in the other order (same instruction).
          const back = assemble(`bits ${mode.bits}\norg ${ORG}\n${form.text.replace(/^xchg (\S+), (\S+)$/, 'xchg $2, $1')}\n`).image;
          if (hex(back) === hex(bytes2)) continue;
        }
        if (hex(bytes2) !== hex(bytes)) failures.push(`${form.text}: [${hex(bytes)}] → "${text}" → [${hex(bytes2)}]`);
      }
      assert.deepEqual(failures, []);
    });
  }

  it('covers every entry of the opcode table the assembler can encode (alternative encodings excepted)', () => {
    const missing = ASSEMBLABLE.filter((e) => !covered.has(e.index) && !isAlternativeEncoding(e)).map((e) => `${e.mnemonic} ${e.operands.join(',')} (${e.opcode.toString(16)})`);
    assert.deepEqual(missing, []);
  });
});

const nasmAvailable = spawnSync('nasm', ['-v']).status === 0;

describe(`assembler: byte-for-byte against NASM${nasmAvailable ? '' : ' (SKIPPED: nasm is not installed; apt-get install nasm)'}`, () => {
  for (const mode of MODES) {
    it(`bits ${mode.bits}, operand size ${mode.opSize}: every generated form encodes as NASM encodes it`, function () {
      if (!nasmAvailable) { console.log('    nasm not installed: comparison with NASM skipped (not a pass)'); this.skip(); }
      const forms = formsFor(mode);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmm-asm-'));
      try {
        const src = `bits ${mode.bits}\norg ${ORG}\n` + forms.map((f) => f.text).join('\n') + '\n';
        fs.writeFileSync(path.join(dir, 'a.asm'), src);
        const r = spawnSync('nasm', ['-f', 'bin', '-w-all', '-o', path.join(dir, 'a.bin'), '-l', path.join(dir, 'a.lst'), path.join(dir, 'a.asm')], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        // Per source line: NASM's bytes (listing offset and length, bytes from the binary) against
        // ours (our line table over our image), both for the whole file, so relative jumps compare.
        const bin = fs.readFileSync(path.join(dir, 'a.bin'));
        const theirs = nasmListing(fs.readFileSync(path.join(dir, 'a.lst'), 'utf8'));
        const ours = assemble(src);
        assert.ok(ours.ok, ours.diagnostics.map((d) => `${d.line}: ${d.message}`).join('; '));
        const byLine = new Map(ours.lineTable.map((e) => [e.line, e]));
        const failures: string[] = [];
        forms.forEach((f, i) => {
          const line = i + 3;
          const t = theirs.get(line);
          const o = byLine.get(line);
          const nasmBytes = t ? hex(bin.subarray(t.offset, t.offset + t.length)) : '?';
          const ourBytes = o ? hex(ours.image.subarray(o.address - ORG, o.address - ORG + o.length)) : '?';
          if (ourBytes !== nasmBytes) failures.push(`${f.text}: ours [${ourBytes}] nasm [${nasmBytes}]`);
        });
        assert.deepEqual(failures, []);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

/** NASM listing → offset and length per source line ("   12 00000010 0FA2        cpuid"; long ones continue with "-"). */
function nasmListing(text: string): Map<number, { offset: number; length: number }> {
  const out = new Map<number, { offset: number; length: number }>();
  for (const l of text.split('\n')) {
    const m = /^\s*(\d+)\s+([0-9A-F]{8})\s+([0-9A-F()[\]]+)-?/.exec(l);
    if (!m) continue;
    const line = Number(m[1]);
    const length = m[3]!.replace(/[()[\]]/g, '').length / 2;
    const prev = out.get(line);
    if (prev) prev.length += length;
    else out.set(line, { offset: parseInt(m[2]!, 16), length });
  }
  return out;
}
