// The GDB remote stub proven against a client no one here wrote: Debian's GNU gdb in batch mode,
// connected to `vmm-debug run IMAGE --gdb 127.0.0.1:0`, with the fixture ELF for symbols.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Vm } from '../../src/core/machine/vm';
import { nullHost } from '../../src/core/host';
import { guest } from '../dap/helpers';
import { haveGdb, regValue, runGdb, startCli, CLI } from './gdbHarness';

/** Bytes of the image as loaded (guest-physical = guest-virtual before paging). */
function imageBytes(path: string, address: number, n: number): number[] {
  const vm = Vm.fromImage(fs.readFileSync(path), path, {}, nullHost);
  return [...vm.readMemory(0, 'gpa', address, n).data];
}

describe('GDB stub: GNU gdb against vmm-debug run --gdb', function () {
  this.timeout(120_000);
  before(function () {
    if (!haveGdb()) this.skip(); // reported as pending, not passed: gdb is a Debian package (apt-get install gdb)
  });

  it('breaks at a symbol, shows registers and memory, steps, and continues to the guest exit code', async () => {
    const g = guest('hello');
    const cli = await startCli(g.path);
    const sym = g.symbols.serial_putc;
    const r = await runGdb(g.path, cli.port, [
      'break serial_putc', 'continue', 'info registers', 'x/4xb $eip', 'stepi', 'info registers eip', 'delete', 'continue',
    ]);
    const status = await cli.exited;
    assert.match(r.out, /Breakpoint 1, serial_putc \(\)/, r.out);
    const eips = regValue(r.out, 'eip');
    assert.equal(eips[0], sym, `eip at the breakpoint is serial_putc:\n${r.out}`);
    assert.ok(eips[1] > sym && eips[1] < sym + 16, `stepi moved eip one instruction:\n${r.out}`);
    assert.equal(regValue(r.out, 'cs')[0], 0x08, 'the fixture runs with its own GDT: CS = 0x08');
    const bytes = imageBytes(g.path, sym, 4).map((b) => `0x${b.toString(16).padStart(2, '0')}`).join('\\s+');
    assert.match(r.out, new RegExp(`0x${sym.toString(16)} <serial_putc>:\\s+${bytes}`), `x/4xb shows the image bytes:\n${r.out}`);
    assert.match(r.out, /\[Inferior 1 \(Remote target\) exited with code 01\]/, r.out);
    assert.equal(status, 1, 'the CLI ends with the guest exit status');
    assert.equal(cli.stdout(), g.expectedSerial, 'guest serial output still goes to stdout');
  });

  it('reports a non-zero guest exit code (gdb prints it in octal) and a triple fault as a signal', async () => {
    const ud = guest('ud');
    let cli = await startCli(ud.path);
    let r = await runGdb(ud.path, cli.port, ['continue']);
    assert.match(r.out, new RegExp(`exited with code 0?${(ud.expectedStatus!).toString(8)}\\]`), r.out);
    assert.equal(await cli.exited, ud.expectedStatus);
    const triple = guest('triple');
    cli = await startCli(triple.path);
    r = await runGdb(triple.path, cli.port, ['continue']);
    assert.match(r.out, /Program terminated with signal SIGSEGV/, r.out);
    assert.equal(await cli.exited, 0, 'a shutdown ends the CLI with 0, as without gdb');
  });

  it('monitor vmcs, monitor exits, monitor translate, monitor help; vCPUs as threads', async () => {
    const g = guest('demo');
    const cli = await startCli(g.path);
    const r = await runGdb(g.path, cli.port, [
      'break kmain', 'continue', 'monitor vmcs', 'monitor exits', 'monitor translate 0x100000', 'monitor help', 'monitor bogus', 'info threads', 'kill',
    ]);
    assert.equal(await cli.exited, 0, 'kill ends the CLI');
    assert.match(r.out, /VMCS of vCPU 0/);
    assert.match(r.out, /Guest-state area:/);
    assert.match(r.out, /GUEST_RIP\s+0x[0-9a-f]+\s+\(encoding 0x681e, natural width\)/, `the VMCS dump names fields with their SDM encodings:\n${r.out}`);
    assert.match(r.out, /VM_EXIT_REASON\s+0x00000030\s+\(encoding 0x4402/, 'the last exit was an EPT violation (48)');
    assert.match(r.out, /VM-EXIT\s+Samples/);
    assert.match(r.out, /EPT_VIOLATION\s+\d+/);
    assert.match(r.out, /0x00100000 \(guest-virtual\) -> 0x00100000 \(guest-physical\)/);
    assert.match(r.out, /translate ADDR/);
    assert.match(r.out, /unknown monitor command "bogus"/);
    assert.match(r.out, /\* 1\s+Thread 1 \(vCPU 0\) kmain/);
  });

  it('reverse-stepi and reverse-continue (bs / bc) go back in recorded history', async () => {
    const g = guest('demo');
    const cli = await startCli(g.path);
    const kmain = g.symbols.kmain;
    const r = await runGdb(g.path, cli.port, [
      'break kmain', 'continue', 'stepi', 'stepi', 'info registers eip', 'reverse-stepi', 'info registers eip',
      'reverse-continue', 'info registers eip', 'delete', 'reverse-continue', 'info registers eip', 'kill',
    ]);
    await cli.exited;
    const eips = regValue(r.out, 'eip');
    assert.equal(eips.length, 4, r.out);
    assert.ok(eips[0] > kmain, r.out);
    assert.ok(eips[1] > kmain && eips[1] < eips[0], `reverse-stepi went back one instruction:\n${r.out}`);
    assert.equal(eips[2], kmain, `reverse-continue stopped at the breakpoint:\n${r.out}`);
    assert.equal(eips[3], g.entry, `reverse-continue without breakpoints reached the start of history:\n${r.out}`);
    assert.match(r.out, /No more reverse-execution history/, r.out);
  });

  it('reverse-finish goes back to the call instruction in the caller', async () => {
    const g = guest('demo');
    const cli = await startCli(g.path);
    const r = await runGdb(g.path, cli.port, ['break serial_putc', 'continue', 'next', 'delete', 'reverse-finish', 'info registers eip', 'x/i $pc', 'kill']);
    await cli.exited;
    assert.match(r.out, /in kvprintf \(/, r.out);
    assert.match(r.out, /=> 0x[0-9a-f]+ <kvprintf\+\d+>:\s+call\s+0x[0-9a-f]+ <serial_putc>/, `stopped on the call to serial_putc:\n${r.out}`);
  });

  it('register and memory writes from gdb reach the guest', async () => {
    const g = guest('hello');
    const cli = await startCli(g.path);
    const r = await runGdb(g.path, cli.port, [
      'set var $eax = 0x1234', 'set var $esi = 0xcafe', 'info registers eax esi',
      'set {int}0x200000 = 0x55aa1122', 'x/1xw 0x200000', 'x/2xb 0x200001', 'kill',
    ]);
    await cli.exited;
    assert.equal(regValue(r.out, 'eax')[0], 0x1234, r.out);
    assert.equal(regValue(r.out, 'esi')[0], 0xcafe, r.out);
    assert.match(r.out, /0x200000:\s+0x55aa1122/, r.out);
    assert.match(r.out, /0x200001:\s+0x11\s+0xaa/, r.out);
  });

  it('a write watchpoint (Z2, a VM data breakpoint) stops after the instruction that changed the value', async () => {
    const g = guest('hello');
    const cli = await startCli(g.path);
    const sym = g.symbols.serial_putc;
    // serial_putc: pushl %edx (1 byte); pushl %eax (1 byte). Watch the slot the second push writes.
    const r = await runGdb(g.path, cli.port, ['break serial_putc', 'continue', 'watch -l *(int*)($esp-8)', 'continue', 'info registers eip', 'kill']);
    await cli.exited;
    assert.match(r.out, /Hardware watchpoint 2: -location \*\(int\*\)\(\$esp-8\)\s+Old value = 0\s+New value = 732803\d+/, r.out);
    assert.equal(regValue(r.out, 'eip')[0], sym + 2, `stopped after pushl %eax:\n${r.out}`);
  });

  it('read and access watchpoints (Z3, Z4) stop after the instruction that read the byte', async () => {
    const g = guest('hello');
    const cli = await startCli(g.path);
    // "Hello from the guest\n" is the first thing in .rodata (0x1000e0); serial_puts reads it byte by byte.
    const r = await runGdb(g.path, cli.port, ['rwatch *(char*)0x1000e1', 'continue', 'x/i $pc', 'delete', 'awatch *(char*)0x1000e2', 'continue', 'kill']);
    await cli.exited;
    assert.match(r.out, /Hardware read watchpoint 1: \*\(char\*\)0x1000e1\s+Value = 101 'e'/, r.out);
    assert.match(r.out, /=> 0x[0-9a-f]+ <serial_puts\+\d+>/, r.out);
    assert.match(r.out, /Hardware access \(read\/write\) watchpoint 2: \*\(char\*\)0x1000e2\s+Value = 108 'l'/, r.out);
  });

  it('the CLI refuses a non-loopback --gdb address with a clear message', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', guest('hello').path, '--gdb', '0.0.0.0:1234'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /loopback interface only \(127\.0\.0\.1\)/);
  });
});
