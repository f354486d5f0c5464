// Grammar tokenization tests: the three TextMate grammars in syntaxes/ loaded with vscode-textmate
// and the Oniguruma wasm VS Code itself uses, tokenizing sample lines as the editor would.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';
import { TABLE_MNEMONICS, INTEL_ALIASES, ATT_ALIASES } from '../../src/core/asm/aliases';

const GRAMMARS: Record<string, string> = {
  'source.asm.x86.nasm': 'syntaxes/x86-nasm.tmLanguage.json',
  'source.asm.x86.gas': 'syntaxes/x86-gas.tmLanguage.json',
  'source.disasm.x86.vmm': 'syntaxes/x86-disasm.tmLanguage.json',
};

let registry: textmate.Registry;

async function grammar(scope: string): Promise<textmate.IGrammar> {
  const g = await registry.loadGrammar(scope);
  assert.ok(g, `grammar ${scope} loads`);
  return g;
}

/** [text, innermost scope] for every token of one line. */
function tokens(g: textmate.IGrammar, line: string): [string, string][] {
  const r = g.tokenizeLine(line, textmate.INITIAL);
  return r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1]!]);
}

/** The innermost scope of the token that is exactly `text` (first occurrence). */
function scopeOf(g: textmate.IGrammar, line: string, text: string): string {
  const t = tokens(g, line).find(([s]) => s === text);
  assert.ok(t, `"${text}" is one token in ${JSON.stringify(line)}: ${JSON.stringify(tokens(g, line))}`);
  return t[1];
}

describe('TextMate grammars (vscode-textmate + oniguruma)', () => {
  before(async () => {
    const wasm = fs.readFileSync(path.resolve('node_modules/vscode-oniguruma/release/onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    registry = new textmate.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scope: string) => {
        const file = GRAMMARS[scope];
        if (!file) return null;
        return textmate.parseRawGrammar(fs.readFileSync(path.resolve(file), 'utf8'), path.resolve(file));
      },
    });
  });

  describe('NASM (Intel syntax)', () => {
    it('tokenizes a label, an instruction, control and general registers and a comment', async () => {
      const g = await grammar('source.asm.x86.nasm');
      const line = 'start:  mov cr3, eax   ; load the page directory';
      assert.equal(scopeOf(g, line, 'start'), 'entity.name.function.label.nasm');
      assert.equal(scopeOf(g, line, 'mov'), 'keyword.other.instruction.nasm');
      assert.equal(scopeOf(g, line, 'cr3'), 'variable.language.register.nasm');
      assert.equal(scopeOf(g, line, 'eax'), 'variable.language.register.nasm');
      assert.equal(scopeOf(g, line, '; load the page directory'), 'comment.line.semicolon.nasm');
    });

    it('tokenizes debug and segment registers, sizes, local labels and numbers in every base', async () => {
      const g = await grammar('source.asm.x86.nasm');
      assert.equal(scopeOf(g, 'mov dr7, ebx', 'dr7'), 'variable.language.register.nasm');
      assert.equal(scopeOf(g, 'mov ds, ax', 'ds'), 'variable.language.register.nasm');
      assert.equal(scopeOf(g, 'mov dword [ebx+4], 0x1f', 'dword'), 'storage.type.size.nasm');
      assert.equal(scopeOf(g, 'mov dword [ebx+4], 0x1f', '0x1f'), 'constant.numeric.hex.nasm');
      assert.equal(scopeOf(g, 'mov al, 0ffh', '0ffh'), 'constant.numeric.hex.nasm');
      assert.equal(scopeOf(g, 'mov al, 0b1010', '0b1010'), 'constant.numeric.binary.nasm');
      assert.equal(scopeOf(g, 'mov al, 17q', '17q'), 'constant.numeric.octal.nasm');
      assert.equal(scopeOf(g, 'mov al, 42', '42'), 'constant.numeric.decimal.nasm');
      assert.equal(scopeOf(g, '.loop:  dec ecx', '.loop'), 'entity.name.function.label.nasm');
    });

    it('tokenizes directives, strings and $ / $$', async () => {
      const g = await grammar('source.asm.x86.nasm');
      assert.equal(scopeOf(g, 'bits 16', 'bits'), 'keyword.other.directive.nasm');
      assert.equal(scopeOf(g, 'org 0x7c00', 'org'), 'keyword.other.directive.nasm');
      assert.equal(scopeOf(g, 'section .text', 'section'), 'keyword.other.directive.nasm');
      const t = 'times 510-($-$$) db 0';
      assert.equal(scopeOf(g, t, 'times'), 'keyword.other.directive.nasm');
      assert.equal(scopeOf(g, t, 'db'), 'keyword.other.directive.nasm');
      assert.equal(scopeOf(g, t, '$$'), 'variable.language.location.nasm');
      assert.equal(scopeOf(g, 'msg db "Hello", 0', '"'), 'string.quoted.double.nasm');
      assert.equal(scopeOf(g, 'msg db \'Hi\', 0', 'Hi'), 'string.quoted.single.nasm');
      assert.equal(scopeOf(g, 'SIZE equ 4', 'equ'), 'keyword.other.directive.nasm');
      assert.equal(scopeOf(g, '%define X 1', '%define'), 'keyword.control.preprocessor.nasm');
    });

    it('knows every mnemonic of the opcode table and the NASM aliases (jz, jnz, ...)', async () => {
      const g = await grammar('source.asm.x86.nasm');
      for (const m of [...TABLE_MNEMONICS, ...INTEL_ALIASES.keys()]) {
        assert.equal(scopeOf(g, `  ${m} `, m), 'keyword.other.instruction.nasm', m);
        assert.equal(scopeOf(g, `  ${m.toUpperCase()} `, m.toUpperCase()), 'keyword.other.instruction.nasm', m);
      }
    });

    it('does not take a label that merely starts like a mnemonic for one', async () => {
      const g = await grammar('source.asm.x86.nasm');
      const kinds = tokens(g, '  jmp movement').map(([, s]) => s);
      assert.ok(!tokens(g, '  jmp movement').some(([t, s]) => t.includes('movement') && s.includes('instruction')), JSON.stringify(kinds));
    });
  });

  describe('GNU as (AT&T syntax)', () => {
    it('tokenizes suffixed mnemonics, %registers, $immediates, directives and comments', async () => {
      const g = await grammar('source.asm.x86.gas');
      const line = '_start: movl $0x10, %eax   # comment';
      assert.equal(scopeOf(g, line, '_start'), 'entity.name.function.label.gas');
      assert.equal(scopeOf(g, line, 'movl'), 'keyword.other.instruction.gas');
      assert.equal(scopeOf(g, line, '$'), 'keyword.operator.immediate.gas');
      assert.equal(scopeOf(g, line, '0x10'), 'constant.numeric.hex.gas');
      assert.equal(scopeOf(g, line, '%eax'), 'variable.language.register.gas');
      assert.equal(scopeOf(g, line, '# comment'), 'comment.line.number-sign.gas');
      assert.equal(scopeOf(g, '  mov %eax, %cr3', '%cr3'), 'variable.language.register.gas');
      assert.equal(scopeOf(g, '  movw %ax, %ds', '%ds'), 'variable.language.register.gas');
      assert.equal(scopeOf(g, '  mov %dr7, %eax', '%dr7'), 'variable.language.register.gas');
      assert.equal(scopeOf(g, '.globl _start', '.globl'), 'keyword.other.directive.gas');
      assert.equal(scopeOf(g, '  .asciz "hi\\n"', '\\n'), 'constant.character.escape.gas');
      assert.equal(scopeOf(g, '/* block */ nop', ' block '), 'comment.block.gas');
      assert.equal(scopeOf(g, '#include "x.h"', '#include "x.h"'), 'meta.preprocessor.gas');
      assert.equal(scopeOf(g, '1:  jmp 1b', '1'), 'entity.name.function.label.gas');
      assert.equal(scopeOf(g, '  cltd', 'cltd'), 'keyword.other.instruction.gas');
      assert.equal(scopeOf(g, '  ljmp $0x8, $1f', 'ljmp'), 'keyword.other.instruction.gas');
    });

    it('knows every mnemonic of the opcode table with and without a size suffix, and the AT&T aliases', async () => {
      const g = await grammar('source.asm.x86.gas');
      for (const m of [...TABLE_MNEMONICS, ...ATT_ALIASES.keys()]) {
        assert.equal(scopeOf(g, `  ${m} `, m), 'keyword.other.instruction.gas', m);
      }
      for (const m of ['addl', 'pushw', 'outb', 'inl', 'movzbl', 'popfl']) assert.equal(scopeOf(g, `  ${m} `, m), 'keyword.other.instruction.gas', m);
    });
  });

  describe('Disassembly', () => {
    it('tokenizes address, bytes, mnemonic, registers, size keywords and numbers', async () => {
      const g = await grammar('source.disasm.x86.vmm');
      const line = '0x00100000: 8b 44 24 04   mov eax, dword ptr [esp+0x4]';
      assert.equal(scopeOf(g, line, '0x00100000'), 'constant.numeric.address.disasm');
      assert.equal(scopeOf(g, line, ' 8b 44 24 04'), 'constant.other.bytes.disasm');
      assert.equal(scopeOf(g, line, 'mov'), 'keyword.other.instruction.disasm');
      assert.equal(scopeOf(g, line, 'eax'), 'variable.language.register.disasm');
      assert.equal(scopeOf(g, line, 'dword ptr'), 'storage.type.size.disasm');
      assert.equal(scopeOf(g, line, '0x4'), 'constant.numeric.hex.disasm');
      assert.equal(scopeOf(g, '00100010 <_start>:', '<_start>'), 'entity.name.function.symbol.disasm');
      assert.equal(scopeOf(g, '0x00100005: f3 ab   rep stosd', 'rep'), 'keyword.other.prefix.disasm');
      assert.equal(scopeOf(g, '0x00100007: 0f 22 d8   mov cr3, eax', 'cr3'), 'variable.language.register.disasm');
      assert.equal(scopeOf(g, '0x00100009: ff   (bad)', '(bad)'), 'invalid.illegal.disasm');
    });

    it('knows every mnemonic the disassembler can print', async () => {
      const g = await grammar('source.disasm.x86.vmm');
      for (const m of TABLE_MNEMONICS) assert.equal(scopeOf(g, `0x1000: 90   ${m} `, m), 'keyword.other.instruction.disasm', m);
    });
  });
});
