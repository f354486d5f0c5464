// DAP: launch.json attributes of issue 6 — errors named by attribute, extra symbol files at a load
// offset (source breakpoints and evaluate see them), exitBreakpoints defaults, unknown attributes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { collectOutput, expectError, guest, INIT_ARGS, launch, launchToEntry, newClient, register } from './helpers';

let dc: DebugClient;

async function launchError(args: Record<string, unknown>): Promise<string> {
  await dc.initializeRequest(INIT_ARGS);
  return expectError(dc.launchRequest({ image: guest('hello').path, ...args } as DebugProtocol.LaunchRequestArguments));
}

describe('DAP: launch attributes (issue 6)', function () {
  this.timeout(60_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['a bad mmu', { mmu: 'npt' }, /launch\.json: mmu must be "ept" or "shadow", got "npt"/],
    ['a missing image', { image: undefined }, /launch\.json: image is required/],
    ['a non-numeric memory', { memory: 'lots' }, /launch\.json: memory must be an integer .* got "lots"/],
    ['a bad smp', { smp: 0 }, /launch\.json: smp must be an integer from 1/],
    ['a bad serial', { serial: 'uart' }, /launch\.json: serial must be "debugConsole" or "terminal", got "uart"/],
    ['symbols not an array', { symbols: 'k.elf' }, /launch\.json: symbols must be an array/],
    ['a missing symbol file', { symbols: [{ path: 'no/such.elf', offset: 0 }] }, /launch\.json: symbols\[0\]: cannot read ".*no\/such\.elf": no such file/],
    ['a bad symbol offset', { symbols: [{ path: 'x.elf', offset: 'high' }] }, /launch\.json: symbols\[0\]\.offset must be an address/],
    ['a symbol file that is not ELF', { symbols: [path.resolve('package.json')] }, /launch\.json: symbols\[0\]: package\.json is not an ELF file/],
    ['an unknown exit breakpoint', { exitBreakpoints: ['exit.CPUID', 'exit.NOPE'] }, /launch\.json: exitBreakpoints\[1\]: unknown filter "exit\.NOPE"/],
    ['an exit breakpoint with a bad condition', { exitBreakpoints: [{ filter: 'exit.IO_INSTRUCTION', condition: 'port ==' }] }, /launch\.json: exitBreakpoints\[0\]: condition "port ==": expression ends too early/],
    ['a bad gdbPort', { gdbPort: 'auto' }, /launch\.json: gdbPort must be an integer from 0 to 65535/],
    ['a bad cwd', { cwd: 42 }, /launch\.json: cwd must be a directory path/],
    ['a bad stopOnEntry', { stopOnEntry: 'yes' }, /launch\.json: stopOnEntry must be true or false/],
  ];
  for (const [what, args, re] of bad) {
    it(`${what} is refused with a message naming the attribute`, async () => {
      assert.match(await launchError(args), re);
    });
  }

  it('an extra symbol file at an offset: its symbols evaluate at address + offset, its C lines bind', async () => {
    const extra = guest('elfplain').path;
    const addr: number[] = [];
    for (const offset of [0, '0x10000']) {
      const out = collectOutput(dc);
      await launchToEntry(dc, 'hello', { symbols: [{ path: extra, offset }] });
      const r = await dc.evaluateRequest({ expression: 'bss_word', context: 'watch' });
      addr.push(Number(r.body.result.split(/\s/)[0]));
      assert.match(out.text(), /symbols from .*elfplain\.elf at offset 0x000(0|1)0000/);
      const main = path.resolve('test/guests/elfplain/main.c');
      const bp = await dc.setBreakpointsRequest({ source: { path: main }, breakpoints: [{ line: fs.readFileSync(main, 'utf8').split('\n').findIndex((l) => l.includes('serial_puts(message);')) + 1 }] });
      assert.equal(bp.body.breakpoints[0].verified, true, bp.body.breakpoints[0].message);
      await dc.disconnectRequest({});
      dc = newClient(); await dc.start();
    }
    assert.ok(Number.isInteger(addr[0]) && addr[0] > 0, String(addr[0]));
    assert.equal(addr[1] - addr[0], 0x10000);
  });

  it('exitBreakpoints from launch.json stop even when the client checks no filter; unknown attributes are reported', async () => {
    const info = guest('hello');
    const out = collectOutput(dc);
    const stoppedP = dc.waitForEvent('stopped');
    await launch(dc, { image: info.path, stopOnEntry: false, mmmu: 'shadow', exitBreakpoints: [{ filter: 'exit.IO_INSTRUCTION', condition: 'port == 0x3f8 && !in' }] },
      () => dc.setExceptionBreakpointsRequest({ filters: [] }));
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.match(stopped.body.text ?? '', /VM exit: IO_INSTRUCTION port 0x3f8/);
    assert.equal((await dc.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'exit.IO_INSTRUCTION');
    assert.match(out.text(), /ignoring unknown attribute "mmmu"/);
    assert.ok(await register(dc, 'eip') > 0);
  });
});
