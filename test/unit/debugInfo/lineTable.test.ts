// DWARF line programs against GNU binutils: every row the product decodes must equal, row for row,
// what `objdump --dwarf=decodedline` prints, on what gcc (DWARF 2, 3, 4 and 5: gcc 12's default is
// v5 with .debug_line_str), GNU as (v3) and nasm (v2) write, and on the mixed fixtures. Then the
// lookups the debugger makes (address -> line, line -> addresses, functions) on the demo fixture.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DebugInfo, DwarfFormatError } from '../../../src/core/debugInfo/debugInfo';
import { baseName } from '../../../src/core/debugInfo/paths';
import { parseLineProgram } from '../../../src/core/debugInfo/lineProgram';

function have(tool: string, arg = '--version'): boolean {
  try { execFileSync(tool, [arg], { stdio: 'ignore' }); return true; } catch { return false; }
}

interface Row { file: string; line: string; address: number; stmt: boolean; }

/** objdump's decoded rows: "name  line  0xaddr  [view]  [x]"; line "-" ends a sequence. */
function objdumpRows(file: string): Row[] {
  const out = execFileSync('objdump', ['--dwarf=decodedline', '-w', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const rows: Row[] = [];
  for (const l of out.split('\n')) {
    const m = /^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+)(?:\s+\d+)?(?:\s+(x))?\s*$/.exec(l);
    if (m) rows.push({ file: baseName(m[1]), line: m[2], address: parseInt(m[3], 16), stmt: m[4] === 'x' });
  }
  return rows;
}

/**
 * The product's rows, in .debug_line order. objdump (binutils 2.40) does not print rows at address
 * 0 other than the end of a sequence (it takes them for code the linker discarded), so for
 * relocatable objects, whose text starts at 0, `hideZero` drops those.
 */
function productRows(d: DebugInfo, hideZero: boolean): Row[] {
  const rows: Row[] = [];
  for (const p of [...d.programs].sort((a, b) => a.offset - b.offset)) {
    for (const r of p.rows) {
      if (hideZero && r.address === 0 && !r.endSequence) continue;
      const f = p.files[r.file];
      rows.push({ file: f ? baseName(f.name) : '?', line: r.endSequence ? '-' : String(r.line), address: r.address, stmt: !r.endSequence && r.isStmt });
    }
  }
  return rows;
}

function compare(file: string, hideZero = false): DebugInfo {
  const d = DebugInfo.fromElf(new Uint8Array(readFileSync(file)));
  const want = objdumpRows(file);
  const got = productRows(d, hideZero);
  assert.ok(want.length > 0, `objdump printed no rows for ${file}`);
  for (let k = 0; k < Math.max(want.length, got.length); k++) {
    assert.deepEqual(got[k], want[k], `${file}: row ${k} differs (product vs objdump)`);
  }
  assert.deepEqual(d.warnings, []);
  return d;
}

const C_SOURCE = `static int sq(int x) { return x * x; }
int total;
int sum(int n)
{
  int s = 0;
  for (int i = 0; i < n; i++)
    s += sq(i);
  total += s;
  return s;
}
void _start(void) { for (;;) sum(10); }
`;
const AS_SOURCE = `        .text
        .globl _start
_start:
        movl    $1, %eax
        movl    $2, %ebx
1:      addl    %ebx, %eax
        decl    %ebx
        jnz     1b
        call    helper
        jmp     _start
helper:
        xorl    %eax, %eax
        ret
`;
const NASM_SOURCE = `section .text
global _start
_start:
    mov eax, 1
    mov ebx, 2
again:
    add eax, ebx
    dec ebx
    jnz again
    call helper
    jmp _start
helper:
    xor eax, eax
    ret
`;

describe('debugInfo: line programs vs objdump --dwarf=decodedline', function () {
  this.timeout(60_000);
  let dir = '';
  const binutils = have('objdump') && have('gcc') && have('as') && have('ld');
  before(function () {
    if (!binutils) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'vmm-dwarf-'));
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  const link = (obj: string, out: string): string => {
    execFileSync('ld', ['-m', 'elf_i386', '-e', '_start', '-Ttext=0x100000', '-o', out, obj]);
    return out;
  };

  for (const v of [2, 3, 4, 5]) {
    it(`gcc -m32 -gdwarf-${v}: executable and object`, () => {
      const src = join(dir, `c${v}.c`);
      writeFileSync(src, C_SOURCE);
      const obj = join(dir, `c${v}.o`);
      execFileSync('gcc', ['-m32', '-O1', `-gdwarf-${v}`, '-fno-pie', '-fcf-protection=none', '-c', src, '-o', obj]);
      const exe = compare(link(obj, join(dir, `c${v}.elf`)));
      // gcc leaves the line table to gas, which writes v3 for -gdwarf-2 and -gdwarf-3.
      assert.equal(exe.programs[0].version, v === 2 ? 3 : v, 'line table version');
      compare(obj, true);
      const sum = exe.functionNamed('sum');
      assert.ok(sum && sum.low >= 0x100000 && sum.high > sum.low, 'DW_TAG_subprogram sum with its range');
    });
  }

  it('gcc 12 default (-g): DWARF 5 with .debug_line_str and MD5-less file entries', () => {
    const src = join(dir, 'd.c');
    writeFileSync(src, C_SOURCE);
    const obj = join(dir, 'd.o');
    execFileSync('gcc', ['-m32', '-O1', '-g', '-fno-pie', '-c', src, '-o', obj]);
    const d = compare(link(obj, join(dir, 'd.elf')));
    assert.equal(d.programs[0].version, 5);
    assert.equal(d.programs[0].files[0]?.name, 'd.c', 'DWARF 5 file 0 is the primary source file');
    assert.ok(d.programs[0].files[0]?.path.endsWith('/d.c'));
  });

  it('GNU as --32 -g (.debug_line v3): executable and object', () => {
    const src = join(dir, 'a.s');
    writeFileSync(src, AS_SOURCE);
    const obj = join(dir, 'a.o');
    execFileSync('as', ['--32', '-g', src, '-o', obj]);
    const d = compare(link(obj, join(dir, 'a.elf')));
    assert.equal(d.programs[0].version, 3);
    compare(obj, true);
    // Every instruction line is a statement: line 6 ("1: addl") is at _start + 10.
    assert.deepEqual(d.bindLine(src, 6)?.addresses, [0x10000a]);
  });

  it('nasm -f elf32 -g -F dwarf (.debug_line v2): executable and object', function () {
    if (!have('nasm', '-v')) this.skip(); // reported as pending (not run), never as passed
    const src = join(dir, 'n.asm');
    writeFileSync(src, NASM_SOURCE);
    const obj = join(dir, 'n.o');
    execFileSync('nasm', ['-f', 'elf32', '-g', '-F', 'dwarf', src, '-o', obj]);
    const d = compare(link(obj, join(dir, 'n.elf')));
    assert.equal(d.programs[0].version, 2);
    compare(obj, true);
    assert.equal(d.lineAt(0x100005)?.line, 5, 'mov ebx, 2');
  });

  for (const name of ['demo', 'hello', 'cpu-selftest']) {
    it(`fixture ${name}.elf (gcc v5 and as v3 line programs in one file)`, function () {
      const file = resolve('build/guests', `${name}.elf`);
      if (!existsSync(file)) this.skip();
      const d = compare(file);
      if (name !== 'hello') assert.deepEqual([...new Set(d.programs.map((p) => p.version))].sort(), [3, 5]);
    });
  }
});

describe('debugInfo: lookups on the demo fixture', () => {
  const file = resolve('build/guests/demo.elf');
  let d: DebugInfo;
  let mainLines: string[];
  const lineOf = (text: string): number => mainLines.findIndex((l) => l.includes(text)) + 1;
  before(function () {
    if (!existsSync(file)) this.skip();
    d = DebugInfo.fromElf(new Uint8Array(readFileSync(file)));
    mainLines = readFileSync('test/guests/demo/main.c', 'utf8').split('\n');
  });

  it('names kmain and its range from DW_TAG_subprogram, and maps its entry to main.c', () => {
    const kmain = d.functionNamed('kmain');
    assert.ok(kmain);
    const nm = execFileSync('nm', [file], { encoding: 'utf8' });
    const sym = /^([0-9a-f]+) T kmain$/m.exec(nm);
    assert.ok(sym);
    assert.equal(kmain.low, parseInt(sym[1], 16));
    assert.equal(d.functionAt(kmain.low + 4)?.name, 'kmain');
    const at = d.lineAt(kmain.low);
    assert.ok(at && at.path.endsWith('test/guests/demo/main.c'), `lineAt(kmain) = ${JSON.stringify(at)}`);
    assert.equal(at.line, lineOf('void kmain(') + 1, 'gcc puts the entry row on the opening brace');
    assert.ok(at.path.startsWith('/'), 'absolute: joined with DW_AT_comp_dir');
  });

  it('binds a statement line to code, and the code maps back to that line', () => {
    const line = lineOf('kprintf("vmm-debug demo guest\\n")');
    const b = d.bindLine(resolve('test/guests/demo/main.c'), line);
    assert.ok(b, 'bound');
    assert.equal(b.line, line);
    assert.equal(b.addresses.length, 1);
    assert.equal(d.lineAt(b.addresses[0])?.line, line);
    assert.equal(d.functionAt(b.addresses[0])?.name, 'kmain');
    // A relative or foreign path still finds the file by its tail.
    assert.deepEqual(d.bindLine('demo/main.c', line)?.addresses, b.addresses);
    assert.deepEqual(d.bindLine('C:\\elsewhere\\test\\guests\\demo\\main.c', line)?.addresses, b.addresses);
  });

  it('moves a breakpoint on a line without code to the next line with code', () => {
    const comment = lineOf('/* Whatever the hypercall prints lands between the brackets. */');
    const b = d.bindLine('test/guests/demo/main.c', comment);
    assert.ok(b && b.line > comment && b.line <= comment + 2, `bound to ${b?.line}`);
  });

  it('skips the prologue of C functions and not of assembly ones', () => {
    const kmain = d.functionNamed('kmain')!;
    const after = d.afterPrologue(kmain);
    assert.ok(after > kmain.low && after < kmain.high);
    assert.notEqual(d.lineAt(after)?.line, d.lineAt(kmain.low)?.line);
    const start = d.functionNamed('_start')!;
    assert.equal(d.afterPrologue(start), start.low);
  });

  it('has no line for addresses outside the program, and for a file it does not know', () => {
    assert.equal(d.lineAt(0x10), undefined);
    assert.equal(d.bindLine('/nowhere/unknown.c', 3), undefined);
  });
});

describe('debugInfo: malformed input', () => {
  it('a truncated line program is reported by name and the rest is still read', function () {
    const file = resolve('build/guests/hello.elf');
    if (!existsSync(file)) this.skip();
    const bytes = new Uint8Array(readFileSync(file));
    const d = DebugInfo.fromElf(bytes);
    assert.ok(d.hasLines);
    // Corrupt the unit length of the first line program so it claims more bytes than the section has.
    const copy = bytes.slice();
    const text = execFileSync('readelf', ['-S', '-W', file], { encoding: 'utf8' });
    const m = /\.debug_line\s+PROGBITS\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(text);
    assert.ok(m);
    new DataView(copy.buffer).setUint32(parseInt(m[1], 16), 0x7fffff00, true);
    const bad = DebugInfo.fromElf(copy);
    assert.equal(bad.warnings.length, 1);
    assert.match(bad.warnings[0], /\.debug_line: unit at offset 0x\w+ claims \d+ bytes, past the end of the section/);
    assert.ok(bad.hasLines, 'the other compile units still have lines');
    // Reading a line program directly throws the typed error.
    assert.throws(() => parseLineProgram(copy.subarray(parseInt(m[1], 16)), 0, {}), DwarfFormatError);
  });

  it('an ELF without debug sections gives empty information', function () {
    const file = resolve('build/guests/hello.elf');
    if (!existsSync(file) || !have('objcopy')) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'vmm-dwarf-'));
    try {
      const out = join(dir, 's.elf');
      execFileSync('objcopy', ['--strip-debug', file, out]);
      const d = DebugInfo.fromElf(new Uint8Array(readFileSync(out)));
      assert.equal(d.hasLines, false);
      assert.deepEqual(d.functions, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
