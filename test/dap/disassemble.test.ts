// DAP: disassemble (forward and backward around the entry) and readMemory.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { hex8, launchToEntry, newClient } from './helpers';

describe('DAP: disassemble and memory', function () {
  let dc: DebugClient;

  beforeEach(async () => {
    dc = newClient();
    await dc.start();
  });
  afterEach(async () => {
    await dc.stop();
  });

  it('forward: instructionCount entries; the entry instruction matches objdump', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const r = await dc.disassembleRequest({ memoryReference: hex8(info.entry), instructionOffset: 0, instructionCount: 5 });
    const insns = r.body!.instructions;
    assert.equal(insns.length, 5);
    // objdump -d build/guests/hello.elf: 10000c: fa cli / 10000d: fc cld / 10000e: bc 20 50 10 00 mov $0x105020,%esp
    assert.equal(insns[0].address, hex8(info.entry));
    assert.match(insns[0].instruction, /^cli\b/i);
    assert.equal(insns[1].address, hex8(info.entry + 1));
    assert.match(insns[1].instruction, /^cld\b/i);
    assert.equal(insns[2].address, hex8(info.entry + 2));
    assert.match(insns[2].instruction, /^mov\b/i);
    assert.match(insns[2].instruction, /esp/i);
    assert.equal(insns[3].address, hex8(info.entry + 7));
    assert.equal(insns[0].symbol, '_start');
  });

  it('backward: negative instructionOffset returns instructionCount entries with the reference in place', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const r = await dc.disassembleRequest({ memoryReference: hex8(info.entry), instructionOffset: -10, instructionCount: 20 });
    const insns = r.body!.instructions;
    assert.equal(insns.length, 20);
    assert.equal(insns[10].address, hex8(info.entry));
    assert.match(insns[10].instruction, /^cli\b/i);
    const addrs = insns.map((i) => parseInt(i.address, 16));
    for (let i = 1; i < addrs.length; i++) assert.ok(addrs[i] > addrs[i - 1], `addresses not increasing at ${i}: ${insns.map((x) => x.address).join(' ')}`);
  });

  it('backward from serial_init lands on the call instructions of _start', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const r = await dc.disassembleRequest({ memoryReference: hex8(info.symbols.serial_init), instructionOffset: -3, instructionCount: 4 });
    const insns = r.body!.instructions;
    assert.equal(insns.length, 4);
    // objdump: 100045 cpuid, 100047 mov $0x0,%al, 100049 jmp 1000ce, 10004e <serial_init> push %eax
    assert.deepEqual(insns.map((i) => i.address), ['0x00100045', '0x00100047', '0x00100049', '0x0010004e']);
    assert.match(insns[0].instruction, /^cpuid/i);
    assert.match(insns[2].instruction, /^jmp/i);
    assert.match(insns[3].instruction, /^push/i);
  });

  it('only-before window and unreadable memory still give instructionCount entries', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const before = await dc.disassembleRequest({ memoryReference: hex8(info.entry), instructionOffset: -8, instructionCount: 4 });
    assert.equal(before.body!.instructions.length, 4);
    const wild = await dc.disassembleRequest({ memoryReference: '0xfffff000', instructionOffset: -4, instructionCount: 8 });
    assert.equal(wild.body!.instructions.length, 8);
  });

  it('readMemory returns the entry bytes as base64', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const r = await dc.customRequest('readMemory', { memoryReference: hex8(info.entry), offset: 0, count: 7 });
    const bytes = Buffer.from(r.body.data, 'base64');
    assert.deepEqual([...bytes], [0xfa, 0xfc, 0xbc, 0x20, 0x50, 0x10, 0x00]);
    assert.equal(r.body.address, hex8(info.entry));
  });
});
