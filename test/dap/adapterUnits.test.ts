// Adapter pieces that need no VM: launch-argument validation, backward disassembly resync,
// symbol naming, guest output buffering.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { LaunchConfigError, parseLaunchArguments, readImage } from '../../adapter/launchConfig';
import { disassembleRequest, type CodeSource } from '../../adapter/disassembly';
import { SymbolTable } from '../../adapter/symbols';
import { GuestOutput } from '../../adapter/output';
import type { DisasmLine } from '../../src/core/debug/debugApi';

/** A fake code stream: instruction lengths cycle 1, 2, 5 from 0x1000; nothing readable below 0x1000. */
class FakeCode implements CodeSource {
  static readonly LENS = [1, 2, 5];
  starts: number[] = [];
  constructor() {
    let a = 0x1000;
    for (let i = 0; a < 0x3000; i++) { this.starts.push(a); a += FakeCode.LENS[i % 3]; }
  }
  disassemble(_vcpu: number, address: number, count: number): DisasmLine[] {
    const out: DisasmLine[] = [];
    let a = address;
    while (out.length < count && a >= 0x1000 && a < 0x3000) {
      const i = this.starts.indexOf(a);
      // Off the instruction grid: decode 3 bytes ("misaligned") so resync has to work.
      const len = i >= 0 ? FakeCode.LENS[i % 3] : 3;
      out.push({ address: a, bytes: '90'.repeat(len), text: i >= 0 ? `insn${i}` : 'junk' });
      a += len;
    }
    return out;
  }
}

describe('adapter units', () => {
  describe('launch arguments', () => {
    it('defaults and relative image paths', () => {
      const c = parseLaunchArguments({ image: 'k.elf', cwd: 'sub' }, '/base');
      assert.equal(c.imagePath, path.resolve('/base/sub/k.elf'));
      assert.equal(c.mmu, 'ept');
      assert.equal(c.smp, 1);
      assert.equal(c.stopOnEntry, true);
      assert.equal(c.memMiB, undefined);
      assert.equal(c.maxInstructions, undefined);
    });
    it('errors name the attribute', () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{}, /^launch\.json: image is required/],
        [{ image: 3 }, /^launch\.json: image must be a file path/],
        [{ image: 'k', mmu: 'bogus' }, /^launch\.json: mmu must be "ept" or "shadow", got "bogus"$/],
        [{ image: 'k', smp: 9 }, /^launch\.json: smp must be an integer from 1 to 8/],
        [{ image: 'k', smp: 1.5 }, /^launch\.json: smp/],
        [{ image: 'k', memory: -1 }, /^launch\.json: memory/],
        [{ image: 'k', stopOnEntry: 'yes' }, /^launch\.json: stopOnEntry must be true or false/],
        [{ image: 'k', maxInstructions: 0 }, /^launch\.json: maxInstructions/],
        [{ image: 'k', cwd: 7 }, /^launch\.json: cwd/],
        [{ image: 'k', vmxExits: 'rdtsc' }, /^launch\.json: vmxExits must be an array of names \("rdtsc", "pause", "desc", "apic"\), got "rdtsc"$/],
      ];
      for (const [args, re] of cases) {
        assert.throws(() => parseLaunchArguments(args, '/base'), (e: Error) => e instanceof LaunchConfigError && re.test(e.message), JSON.stringify(args));
      }
    });
    it('vmxExits passes the optional exit names on (the Vm validates them)', () => {
      assert.deepEqual(parseLaunchArguments({ image: 'k', vmxExits: ['rdtsc', 'apic'] }, '/').vmxExits, ['rdtsc', 'apic']);
      assert.equal(parseLaunchArguments({ image: 'k' }, '/').vmxExits, undefined);
    });
    it('noDebug turns stopOnEntry off', () => {
      assert.equal(parseLaunchArguments({ image: 'k', noDebug: true }, '/').stopOnEntry, false);
    });
    it('readImage names a missing file', () => {
      assert.throws(() => readImage('/nonexistent/x.elf'), /"\/nonexistent\/x\.elf": no such file/);
    });
  });

  describe('disassemble', () => {
    const code = new FakeCode();
    const ref = code.starts[40];
    it('forward returns exactly instructionCount entries, padding past the end', () => {
      const r = disassembleRequest(code, 0, new SymbolTable([]), code.starts[code.starts.length - 2], 0, 5);
      assert.equal(r.length, 5);
      assert.equal(r[4].presentationHint, 'invalid');
      assert.equal(r[4].instruction, '??');
    });
    it('backward resynchronizes onto the instruction grid without symbols', () => {
      const r = disassembleRequest(code, 0, new SymbolTable([]), ref, -10, 15);
      assert.equal(r.length, 15);
      assert.equal(r[10].address, '0x' + ref.toString(16).padStart(8, '0'));
      assert.deepEqual(r.slice(0, 11).map((x) => x.instruction), Array.from({ length: 11 }, (_, i) => `insn${30 + i}`));
    });
    it('backward starts from the enclosing symbol when there is one', () => {
      const syms = new SymbolTable([{ name: 'f', address: code.starts[35], size: 0x100 }]);
      const r = disassembleRequest(code, 0, syms, ref, -3, 3);
      assert.deepEqual(r.map((x) => x.instruction), ['insn37', 'insn38', 'insn39']);
      const s = disassembleRequest(code, 0, syms, code.starts[35], 0, 1);
      assert.equal(s[0].symbol, 'f');
    });
    it('backward past readable memory pads the front with invalid entries', () => {
      const r = disassembleRequest(code, 0, new SymbolTable([]), code.starts[2], -6, 8);
      assert.equal(r.length, 8);
      assert.equal(r[6].address, '0x' + code.starts[2].toString(16).padStart(8, '0'));
      assert.equal(r[0].presentationHint, 'invalid');
      const addrs = r.map((x) => parseInt(x.address, 16));
      for (let i = 1; i < addrs.length; i++) assert.ok(addrs[i] > addrs[i - 1]);
    });
    it('a window wholly before the reference', () => {
      const r = disassembleRequest(code, 0, new SymbolTable([]), ref, -8, 3);
      assert.deepEqual(r.map((x) => x.instruction), ['insn32', 'insn33', 'insn34']);
    });
  });

  describe('symbols', () => {
    const t = new SymbolTable([{ name: 'kmain', address: 0x1000, size: 0x40 }, { name: 'other', address: 0x2000, size: 0 }]);
    it('names addresses as symbol+offset', () => {
      assert.equal(t.describe(0x1000), 'kmain');
      assert.equal(t.describe(0x101a), 'kmain+0x1a');
      assert.equal(t.describe(0x1040), '0x00001040');
      assert.equal(t.describe(0x2010), 'other+0x10');
      assert.equal(t.describe(0x10), '0x00000010');
    });
  });

  describe('guest output', () => {
    it('buffers bytes until flush and keeps split UTF-8 sequences intact', () => {
      const got: [string, string][] = [];
      const o = new GuestOutput((text, cat) => got.push([text, cat]));
      const bytes = Buffer.from('héllo\n', 'utf8');
      o.serialOut(0, bytes.subarray(0, 2));
      o.serialOut(0, bytes.subarray(2));
      assert.equal(got.length, 0);
      o.flush();
      assert.deepEqual(got, [['héllo\n', 'stdout']]);
      o.flush();
      assert.equal(got.length, 1);
    });
  });
});
