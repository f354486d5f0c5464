// DAP: inspecting the VM (issue 6): evaluate (registers, vmcs.NAME, memory, symbols, expressions,
// hovers), `translate` checked against a walk computed here from guest memory read through
// readMemory, readMemory / writeMemory on both address spaces, data breakpoints, logpoints and hit
// counts, the VMM handler frame and exceptionInfo, and the inspection scopes.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  collectOutput, expectError, findFilter, guest, guestFrame, hex8, launch, launchToEntry, newClient, register, scopeRef,
} from './helpers';

let dc: DebugClient;

async function evaluate(expression: string, context = 'repl'): Promise<DebugProtocol.EvaluateResponse['body']> {
  const frame = await guestFrame(dc);
  return (await dc.evaluateRequest({ expression, frameId: frame.id, context })).body;
}

async function read(ref: string, count: number): Promise<Buffer> {
  const r = await dc.customRequest('readMemory', { memoryReference: ref, count }) as DebugProtocol.ReadMemoryResponse;
  return Buffer.from(r.body?.data ?? '', 'base64');
}

const u32 = (b: Buffer, o = 0): number => b.readUInt32LE(o);
const num = (text: string): number => Number(text.trim().split(/\s/)[0]);

/** Launches demo and stops at its first kprintf (paging is on by then). */
async function toKprintf(): Promise<void> {
  const info = guest('demo');
  const stopped = dc.waitForEvent('stopped');
  await launch(dc, { type: 'vmm', request: 'launch', name: 'demo', image: info.path, stopOnEntry: false }, async () => {
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kprintf' }] });
  });
  await stopped;
}

function writeMemory(args: DebugProtocol.WriteMemoryArguments): Promise<DebugProtocol.Response> {
  return dc.customRequest('writeMemory', args);
}

async function children(ref: number): Promise<DebugProtocol.Variable[]> {
  return (await dc.variablesRequest({ variablesReference: ref })).body.variables;
}

describe('DAP: inspecting the VM', function () {
  this.timeout(30_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('evaluate: registers, vmcs fields, memory derefs, symbols and arithmetic; hovers', async () => {
    const { caps, info } = await launchToEntry(dc, 'demo');
    assert.equal(caps.supportsEvaluateForHovers, true);
    const eip = await register(dc, 'eip');
    assert.equal(num((await evaluate('eip')).result), eip);
    assert.equal(num((await evaluate('eip + 0x10')).result), eip + 0x10);
    assert.equal(num((await evaluate('vmcs.GUEST_RIP')).result), eip);
    assert.equal(num((await evaluate('(eip >> 4) & 0xff')).result), (eip >> 4) & 0xff);
    assert.equal(num((await evaluate('kmain', 'hover')).result), info.symbols.kmain);
    const code = await read(hex8(eip), 4);
    assert.equal(num((await evaluate(`*(u32*)${hex8(eip)}`)).result), u32(code));
    assert.equal(num((await evaluate('*(u8*)eip')).result), code[0]);
    assert.equal(num((await evaluate('*(u16*)(eip + 1)')).result), code.readUInt16LE(1));
    assert.match(await expectError(dc.evaluateRequest({ expression: 'nosuchname + 1', context: 'repl' })), /unknown name "nosuchname"/);
    assert.match(await expectError(dc.evaluateRequest({ expression: '*(u32*)0xfffffff0 +', context: 'repl' })), /ends too early/);
  });

  it('translate: the walk equals one computed from guest memory; unmapped addresses give the #PF', async () => {
    await toKprintf();
    const cr3 = await register(dc, 'cr3');
    const esp = await register(dc, 'esp');
    for (const gva of [esp, guest('demo').symbols.kmain, 0x0010b123]) {
      const body = await evaluate(`translate ${hex8(gva)}`);
      assert.ok(body.variablesReference > 0, 'translate returns a structured walk');
      const vars = await children(body.variablesReference);
      const byName = (n: string): DebugProtocol.Variable => { const v = vars.find((x) => x.name === n); assert.ok(v, `no ${n} in ${vars.map((x) => x.name).join(', ')}`); return v; };
      // Independent 32-bit walk through readMemory on guest-physical memory.
      const pdeAddr = (cr3 & ~0xfff) + ((gva >>> 22) << 2);
      const pde = u32(await read(`gpa:${hex8(pdeAddr)}`, 4));
      const pteAddr = (pde & ~0xfff) + (((gva >>> 12) & 0x3ff) << 2);
      const pte = u32(await read(`gpa:${hex8(pteAddr)}`, 4));
      const gpa = ((pte & ~0xfff) | (gva & 0xfff)) >>> 0;
      assert.equal(byName('PDE').type, `entry at GPA ${hex8(pdeAddr)}`);
      assert.equal(num(byName('PDE').value), pde >>> 0);
      assert.equal(byName('PTE').type, `entry at GPA ${hex8(pteAddr)}`);
      assert.equal(num(byName('PTE').value), pte >>> 0);
      assert.equal(num(byName('GPA').value), gpa);
      assert.match(body.result, new RegExp(`GPA ${hex8(gpa)}`));
      // The page is RAM and the guest touched it: the EPT maps it; the final HPA's bytes are the GPA's.
      assert.match(byName('HPA').value, /^0x[0-9a-f]{8}$/);
      const walk = await children(byName('EPT walk').variablesReference);
      assert.deepEqual(walk.filter((v) => v.name.startsWith('EPT')).map((v) => v.name), ['EPT PML4E', 'EPT PDPTE', 'EPT PDE', 'EPT PTE']);
      assert.deepEqual(await read(`gpa:${hex8(gpa)}`, 16), await read(hex8(gva), 16));
    }
    const missing = await evaluate('translate 0x40000000');
    assert.match(missing.result, /#PF: PDE not present/);
  });

  it('translate under shadow paging: the shadow walk agrees with the guest\'s tables; untouched pages are not shadowed yet', async () => {
    const info = guest('demo');
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { type: 'vmm', request: 'launch', name: 'demo', image: info.path, stopOnEntry: false, mmu: 'shadow' }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kprintf' }] });
    });
    await stopped;
    const esp = await register(dc, 'esp');
    const body = await evaluate(`translate ${hex8(esp)}`);
    const vars = await children(body.variablesReference);
    const hpa = num(vars.find((v) => v.name === 'HPA')!.value);
    const sh = vars.find((v) => v.name === 'shadow walk (processor)')!;
    assert.match(sh.value, new RegExp(`^HPA ${hex8(hpa)} .*agrees with the guest's tables`));
    const cold = await evaluate('translate 0x00f00000'); // identity-mapped by the guest, never touched
    assert.match(cold.result, /GPA 0x00f00000/);
    const coldVars = await children(cold.variablesReference);
    assert.match(coldVars.find((v) => v.name === 'shadow walk (processor)')!.value, /not shadowed yet/);
    const frame = await guestFrame(dc);
    const shadowTop = await children(await scopeRef(dc, frame.id, 'Shadow page tables (GVA→HPA)'));
    assert.match(shadowTop[0].value, /page directory at HPA/);
  });

  it('readMemory / writeMemory on guest-virtual and guest-physical memory; bad references are errors', async () => {
    const { caps } = await launchToEntry(dc, 'demo');
    assert.equal(caps.supportsWriteMemoryRequest, true);
    const addr = guest('demo').symbols.vmcall_raised_ud ?? 0x0010c7d0;
    await writeMemory({ memoryReference: hex8(addr), data: Buffer.from([1, 2, 3, 4]).toString('base64') });
    assert.deepEqual([...await read(`gpa:${hex8(addr)}`, 4)], [1, 2, 3, 4]);
    await writeMemory({ memoryReference: `gpa:${hex8(addr)}`, offset: 2, data: Buffer.from([9]).toString('base64') });
    assert.deepEqual([...await read(`gva:${hex8(addr)}`, 4)], [1, 2, 9, 4]);
    assert.match(await expectError(writeMemory({ memoryReference: 'gpa:0xfffff000', data: 'AAAA' })), /not mapped/);
    assert.match(await expectError(writeMemory({ memoryReference: 'nonsense', data: 'AA==' })), /bad memoryReference/);
  });

  it('data breakpoint: a write to a watched guest-virtual address stops after the writing instruction', async () => {
    const { caps } = await launchToEntry(dc, 'demo');
    assert.equal(caps.supportsDataBreakpoints, true);
    const target = 0x0010c7d4; // vmcall_expect_ud, set to 1 before the VMCALL
    const info = await dc.dataBreakpointInfoRequest({ name: hex8(target), asAddress: true, bytes: 4 });
    assert.equal(info.body.dataId, `gva:${hex8(target)}:4`);
    assert.ok(info.body.accessTypes?.includes('write'));
    // The entry code clears .bss (a write of 0 first): the condition waits for the store of 1.
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write', condition: `*(u32*)${hex8(target)} == 1` }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    const stoppedP = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'data breakpoint');
    assert.deepEqual(stopped.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
    assert.equal(u32(await read(hex8(target), 4)), 1, 'the write has happened when the stop is reported');
    // Guest-physical watch on the same word: hit again when the guest clears it.
    const phys = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: `gpa:${hex8(target)}:4`, accessType: 'write' }] });
    assert.equal(phys.body.breakpoints[0].verified, true);
    const againP = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    assert.equal(((await againP) as DebugProtocol.StoppedEvent).body.reason, 'data breakpoint');
    assert.equal(u32(await read(hex8(target), 4)), 0);
    // Cleared: the guest runs to its end.
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
    const ended = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: 1 });
    await ended;
  });

  it('logpoints print with {expr} and do not stop; hit conditions stop on the n-th hit', async () => {
    const info = guest('demo');
    const out = collectOutput(dc);
    const stoppedP = dc.waitForEvent('stopped');
    let ids: number[] = [];
    await launch(dc, { type: 'vmm', request: 'launch', name: 'demo', image: info.path, stopOnEntry: false }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kprintf', hitCondition: '3' }] });
      ids = r.body.breakpoints.map((b) => b.id!);
      await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: hex8(info.symbols.kmain), logMessage: 'kmain entered, esp={esp} ret={*(u32*)esp}' }] });
    });
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'breakpoint');
    assert.deepEqual(stopped.body.hitBreakpointIds, ids);
    assert.match(out.text(), /kmain entered, esp=0x[0-9a-f]+ ret=0x[0-9a-f]+\n/);
    // Two kprintf lines printed before the third call stopped.
    assert.match(out.stdout(), /vmm-debug demo guest\n.*paging on/s);
  });

  it('VMM handler frame: scope with what CPUID reads and writes back; exceptionInfo in words', async () => {
    const info = guest('demo');
    let caps: DebugProtocol.Capabilities = {};
    const stoppedP = dc.waitForEvent('stopped');
    await launch(dc, { type: 'vmm', request: 'launch', name: 'demo', image: info.path, stopOnEntry: false }, async (c) => {
      caps = c;
      await dc.setExceptionBreakpointsRequest({ filters: [findFilter(c, /CPUID/).filter] });
    });
    void caps;
    await stoppedP;
    const st = await dc.stackTraceRequest({ threadId: 1 });
    const vmmFrame = st.body.stackFrames[0];
    assert.equal(vmmFrame.name, 'VMM: handle CPUID exit');
    const ref = await scopeRef(dc, vmmFrame.id, 'VMM handler');
    const top = await children(ref);
    assert.match(top.find((v) => v.name === 'action')!.value, /answers CPUID leaf 0x0/);
    const writes = await children(top.find((v) => v.name === 'writes back')!.variablesReference);
    assert.deepEqual(writes.map((v) => v.name).slice(0, 4), ['eax', 'ebx', 'ecx', 'edx']);
    const ebx = num(writes.find((v) => v.name === 'ebx')!.value);
    assert.equal(Buffer.from([ebx & 0xff, (ebx >> 8) & 0xff, (ebx >> 16) & 0xff, ebx >>> 24]).toString('latin1'), 'Genu');
    const ex = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.match(ex.body.details?.message ?? '', /instruction: cpuid/i);
    assert.match(ex.body.details?.message ?? '', /guest physical 0x[0-9a-f]{8}/);
    assert.match(ex.body.description ?? '', /The VMM answers CPUID/);
    // Stepping completes the handling: EAX holds what the scope said.
    const stepped = dc.waitForEvent('stopped');
    await dc.nextRequest({ threadId: 1, granularity: 'instruction' });
    await stepped;
    assert.equal(await register(dc, 'ebx'), ebx);
  });

  it('scopes: descriptor tables, page tables, EPT, devices and VM statistics expand lazily', async () => {
    await toKprintf();
    const frame = await guestFrame(dc);
    const gdt = (await children(await scopeRef(dc, frame.id, 'Descriptor tables')))[0];
    assert.equal(gdt.name, 'GDT');
    const entries = await children(gdt.variablesReference);
    assert.match(entries[1].value, /^code 32-bit exec\/read.* base=0x00000000 limit=0xffffffff DPL0/);
    const pts = await children(await scopeRef(dc, frame.id, 'Guest page tables (GVA→GPA)'));
    assert.match(pts[0].value, /32-bit paging/);
    const pde0 = pts.find((v) => v.name.startsWith('PDE[0x0]'))!;
    const ptes = await children(pde0.variablesReference);
    assert.equal(ptes.length, 1024);
    assert.match(ptes[0x100].value, /P RW .*-> page 0x00100000/);
    const ept = await children(await scopeRef(dc, frame.id, 'EPT (GPA→HPA)'));
    assert.match(ept[0].value, /PML4 at HPA/);
    const stats = await children(await scopeRef(dc, frame.id, 'VM statistics'));
    assert.ok(num(stats.find((v) => v.name === 'instructions')!.value) > 1000);
    const devices = await children(await scopeRef(dc, frame.id, 'Devices'));
    assert.ok(devices.length > 0);
    // The interrupt controllers of an SMP-capable machine are there too (local APIC per vCPU, I/O APIC).
    assert.ok(devices.some((d) => d.name === 'Local APIC 0'), devices.map((d) => d.name).join(', '));
    assert.ok(devices.some((d) => d.name === 'I/O APIC'), devices.map((d) => d.name).join(', '));
    // Stale after the VM moves.
    const stepped = dc.waitForEvent('stopped');
    await dc.nextRequest({ threadId: 1, granularity: 'instruction' });
    await stepped;
    assert.match(await expectError(dc.variablesRequest({ variablesReference: pde0.variablesReference })), /stale/);
  });
});
