// The 32-bit -> 64-bit-mode translator of the differential test (translate64.ts). A translation bug
// could make the native side run a different instruction than the interpreter and, by chance or
// by a matching interpreter bug, agree on the wrong thing; so the translator is checked three ways:
// known encodings, an independent decoder (iced-x86) reading every generated case both ways, and
// the 64-bit harness catching a deliberately wrong translation.
import { strict as assert } from 'node:assert';
import { Decoder, DecoderOptions, Mnemonic, OpKind, Register, MemorySize, type Instruction } from 'iced-x86';
import { translate64 } from './translate64';
import { Case, genAlu, genBit, genExchange, genMisc, genMulDiv, genShift, genString, genUnary, type Gen } from './gen';
import { Rng } from './rng';
import { buildHarness, CASE_IN, runNative, to64, type Harness } from './native';
import { Interp } from './interp';

const hex = (s: string): number[] => s.split(' ').filter(Boolean).map((b) => parseInt(b, 16));
const tr = (s: string): string => {
  const t = translate64(hex(s), { lahfSahf: true });
  return t.ok ? t.code.map((b) => b.toString(16).padStart(2, '0')).join(' ') : `refused: ${t.reason}`;
};

describe('differential test: 32-bit -> 64-bit-mode translation (issue 3)', () => {
  it('adds 0x67 and copies register and SIB forms unchanged', () => {
    assert.equal(tr('01 d8'), '67 01 d8'); // add eax, ebx
    assert.equal(tr('66 f0 0f c1 4b 10'), '67 66 f0 0f c1 4b 10'); // lock xadd [ebx+0x10], cx
    assert.equal(tr('8d 04 9d 00 04 10 00'), '67 8d 04 9d 00 04 10 00'); // lea eax, [ebx*4+0x100400] (SIB no base)
    assert.equal(tr('f3 66 a5'), '67 f3 66 a5'); // rep movsw: ESI/EDI/ECX under 0x67
    assert.equal(tr('d7'), '67 d7'); // xlat: [EBX+AL] under 0x67
    assert.equal(tr('0f c8'), '67 0f c8'); // bswap eax
  });
  it('rewrites [disp32] (RIP-relative in 64-bit mode) to SIB no-base disp32', () => {
    assert.equal(tr('03 05 00 04 10 00'), '67 03 04 25 00 04 10 00'); // add eax, [0x100400]
    assert.equal(tr('c7 05 08 04 10 00 78 56 34 12'), '67 c7 04 25 08 04 10 00 78 56 34 12'); // mov dword [..], imm32
    assert.equal(tr('0f c7 0d 00 04 10 00'), '67 0f c7 0c 25 00 04 10 00'); // cmpxchg8b [0x100400]
    assert.equal(tr('3e 80 3d 10 04 10 00 7f'), '67 3e 80 3c 25 10 04 10 00 7f'); // cmp byte [ds:..], 0x7f
    assert.equal(tr('8b 45 00'), '67 8b 45 00'); // [ebp+0]: mod=01, not the disp32 form
  });
  it('maps INC/DEC short forms to FF /0, FF /1 and 0x82 to 0x80', () => {
    assert.equal(tr('40'), '67 ff c0'); // inc eax
    assert.equal(tr('4f'), '67 ff cf'); // dec edi
    assert.equal(tr('66 43'), '67 66 ff c3'); // inc bx
    assert.equal(tr('66 4d'), '67 66 ff cd'); // dec bp
    assert.equal(tr('82 c3 05'), '67 80 c3 05'); // add bl, 5
    assert.equal(tr('82 3d 00 04 10 00 05'), '67 80 3c 25 00 04 10 00 05'); // cmp byte [..], 5
  });
  it('refuses what has no 64-bit equivalent, with the reason', () => {
    assert.match(tr('27'), /BCD.*#UD in 64-bit mode/); // daa
    assert.match(tr('d4 0a'), /BCD/); // aam
    assert.match(tr('67 01 00'), /16-bit addressing/); // add [bx+si], eax
    assert.match(tr('64 8b 00'), /FS\/GS/);
    assert.match(tr('ff d0'), /64-bit operands/); // call eax
    assert.match(tr('0f a2'), /not in the translator/); // cpuid
    assert.match(tr('50'), /not in the translator/); // push eax (64-bit stack in 64-bit mode)
    const t = translate64([0x9f], { lahfSahf: false });
    assert.ok(!t.ok && /LAHF/.test(t.reason));
  });

  // iced-x86 decodes the original in 32-bit mode and the translation in 64-bit mode: same mnemonic,
  // same operands (registers, memory base/index/scale/displacement/size, immediates), same LOCK/REP.
  // Segment overrides are not compared: ES/SS/DS are flat in the test and ignored in 64-bit mode.
  const groups: [string, Gen][] = [['alu', genAlu], ['unary', genUnary], ['shift', genShift], ['mul/div', genMulDiv],
    ['bit', genBit], ['string', genString], ['exchange', genExchange], ['misc', genMisc]];
  for (const [name, gen] of groups) {
    it(`iced-x86 reads every translated ${name} case as the same instruction as the original`, () => {
      const rng = new Rng(0x7a11 + name.length);
      const c = new Case(rng);
      for (let k = 0; k < 3000; k++) {
        do c.reset(); while (gen(c, rng) === false);
        const t = translate64(c.bytes, { lahfSahf: true });
        assert.ok(t.ok, `${c.hex()}: ${!t.ok && t.reason}`);
        const a = describe32or64(c.bytes, 32), b = describe32or64(t.code, 64);
        assert.equal(b, a, `${c.hex()} -> ${t.code.map((x) => x.toString(16).padStart(2, '0')).join(' ')}`);
      }
    });
  }

  it('the iced-x86 check has teeth: untranslated encodings read differently in 64-bit mode', () => {
    const disp = [0x03, 0x05, 0x00, 0x04, 0x10, 0x00]; // add eax, [0x100400]
    assert.notEqual(describe32or64([0x67, ...disp], 64), describe32or64(disp, 32)); // [EIP+disp32]
    assert.notEqual(describe32or64([0x67, 0x66, 0xff, 0xc8], 64), describe32or64([0x66, 0x40], 32)); // dec ax vs inc ax
    assert.notEqual(describe32or64([0x67, 0x8b, 0x04, 0x25, 0, 4, 0x10, 0], 64), describe32or64([0x66, 0x8b, 0x05, 0, 4, 0x10, 0], 32));
  });

  it('the 64-bit harness catches a wrong translation (the comparison is against silicon)', function () {
    let h: Harness;
    try { h = buildHarness(); } catch (e) { console.log(`        pending: no native harness (${(e as Error).message})`); this.skip(); }
    const c = new Case(new Rng(5));
    c.reset();
    c.regs[0] = 41;
    c.emit(0x40); // inc eax
    const rec = Buffer.alloc(CASE_IN);
    c.serialize(rec, 0);
    const interp = new Interp().run(rec, 0);
    assert.equal(interp.regs[0], 42);
    if (h.kind === 'x86-64') {
      assert.equal(runNative(h, to64(rec, 1, [c.bytes]), 1).readInt32LE(0), 42);
      // The same record with the translation corrupted to DEC: the host says 40, not the interpreter's 42.
      const wrong = to64(rec, 1, [c.bytes]);
      wrong[2] = 0xc8; // 67 ff c0 -> 67 ff c8
      assert.equal(runNative(h, wrong, 1).readInt32LE(0), 40);
    } else {
      assert.equal(runNative(h, rec, 1).readInt32LE(0), 42);
    }
  });
});

/** A canonical text of what an instruction does, from iced-x86's decoder (bitness 32 or 64). */
function describe32or64(bytes: readonly number[], bitness: 32 | 64): string {
  const d = new Decoder(bitness, Uint8Array.from(bytes), DecoderOptions.None);
  const ins: Instruction = d.decode();
  try {
    assert.equal(ins.length, bytes.length, `iced length ${ins.length} for ${bytes.length} bytes`);
    const parts = [Mnemonic[ins.mnemonic]];
    if (ins.hasLockPrefix) parts.push('lock');
    if (ins.hasRepePrefix) parts.push('rep');
    if (ins.hasRepnePrefix) parts.push('repne');
    for (let i = 0; i < ins.opCount; i++) {
      const k = ins.opKind(i);
      if (k === OpKind.Register) parts.push(Register[ins.opRegister(i)]);
      else if (k === OpKind.Memory) {
        parts.push(`[${Register[ins.memoryBase]}+${Register[ins.memoryIndex]}*${ins.memoryIndexScale}` +
          `+${(BigInt.asUintN(32, ins.memoryDisplacement)).toString(16)} ${MemorySize[ins.memorySize]}]`);
      } else if (k >= OpKind.Immediate8 && k <= OpKind.Immediate32to64) parts.push(`${OpKind[k]}=${ins.immediate(i).toString(16)}`);
      else parts.push(`${OpKind[k]} ${MemorySize[ins.memorySize]}`);
    }
    return parts.join(' ');
  } finally { ins.free(); d.free(); }
}
