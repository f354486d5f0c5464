// DAP: initialize, launch, stop on entry, threads, scopes (Registers, VMCS, VM exits), evaluate,
// and the error paths (bad image, bad mmu, stale variables reference).
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import {
  expectError, groupedVariables, guest, guestFrame, hex8, INIT_ARGS, launchToEntry, newClient, register, scopeRef,
} from './helpers';

describe('DAP: launch and inspect', function () {
  let dc: DebugClient;

  beforeEach(async () => {
    dc = newClient();
    await dc.start();
  });
  afterEach(async () => {
    await dc.stop();
  });

  it('initialize advertises the capabilities and the exit filters from Vm.exitFilters()', async () => {
    const init = await dc.initializeRequest(INIT_ARGS);
    const caps = init.body!;
    assert.equal(caps.supportsConfigurationDoneRequest, true);
    assert.equal(caps.supportsDisassembleRequest, true);
    assert.equal(caps.supportsInstructionBreakpoints, true);
    assert.equal(caps.supportsSteppingGranularity, true);
    assert.equal(caps.supportsExceptionFilterOptions, true);
    assert.equal(caps.supportsExceptionInfoRequest, true);
    assert.equal(caps.supportsReadMemoryRequest, true);
    assert.equal(caps.supportsTerminateRequest, true);
    assert.equal(caps.supportsEvaluateForHovers, true); // issue 6: expressions (adapter/inspectScopes.ts)
    const filters = caps.exceptionBreakpointFilters ?? [];
    assert.ok(filters.length > 0, 'no exception breakpoint filters');
    for (const f of filters) {
      assert.equal(typeof f.filter, 'string');
      assert.equal(typeof f.label, 'string');
    }
  });

  it('launch with stopOnEntry stops with reason "entry" on vcpu0', async () => {
    const { stopped } = await launchToEntry(dc, 'hello');
    assert.equal(stopped.body.reason, 'entry');
    assert.equal(stopped.body.threadId, 1);
    assert.equal(stopped.body.allThreadsStopped, true);
    const threads = await dc.threadsRequest();
    assert.deepEqual(threads.body.threads.map((t) => [t.id, t.name]), [[1, 'vcpu0']]);
  });

  it('smp 2 launches and stops on entry on vcpu0 (the BSP; the APs wait for SIPI)', async () => {
    const { stopped } = await launchToEntry(dc, 'smp', { smp: 2 });
    assert.equal(stopped.body.reason, 'entry');
    assert.equal(stopped.body.threadId, 1);
  });

  it('stackTrace: the entry frame is named after the symbol and points at the ELF entry', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const frame = await guestFrame(dc);
    assert.equal(frame.name, '_start');
    assert.equal(frame.instructionPointerReference, hex8(info.entry));
    // hello.s is built with as -g: the frame has its source line.
    assert.ok(frame.source?.path?.endsWith('hello/hello.s'), `source ${frame.source?.path}`);
  });

  it('scopes contain Registers, VMCS and VM exits; eip equals the ELF entry', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const frame = await guestFrame(dc);
    const scopes = await dc.scopesRequest({ frameId: frame.id });
    const names = scopes.body.scopes.map((s) => s.name);
    for (const n of ['Registers', 'VMCS', 'VM exits']) assert.ok(names.includes(n), `missing scope ${n}: ${names.join(', ')}`);
    assert.equal(await register(dc, 'eip'), info.entry);
  });

  it('register bits are child variables (eflags / cr0)', async () => {
    await launchToEntry(dc, 'hello');
    const frame = await guestFrame(dc);
    const all = await groupedVariables(dc, await scopeRef(dc, frame.id, 'Registers'));
    const withBits = all.filter((x) => x.variable.variablesReference > 0);
    assert.ok(withBits.length > 0, 'no register has bit fields');
    const kids = await dc.variablesRequest({ variablesReference: withBits[0].variable.variablesReference });
    assert.ok(kids.body.variables.length > 0);
  });

  it('VMCS scope: SDM groups and GUEST_CR3 with encoding 0x6802', async () => {
    await launchToEntry(dc, 'hello');
    const frame = await guestFrame(dc);
    const ref = await scopeRef(dc, frame.id, 'VMCS');
    const groups = await dc.variablesRequest({ variablesReference: ref });
    const groupNames = groups.body.variables.map((g) => g.name.toLowerCase().replace(/[\s_]+/g, '-'));
    for (const want of ['guest-state', 'host-state', 'control', 'exit-info']) {
      assert.ok(groupNames.some((g) => g.includes(want)), `no VMCS group like "${want}" (got ${groupNames.join(', ')})`);
    }
    const all = await groupedVariables(dc, ref);
    const cr3 = all.find((x) => /^GUEST_CR3\b/.test(x.variable.name));
    assert.ok(cr3, 'no GUEST_CR3 field');
    assert.match(cr3.variable.name + ' ' + (cr3.variable.type ?? ''), /0x6802/i);
  });

  it('evaluate: register names and vmcs.FIELD; unknown names are an error response', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const frame = await guestFrame(dc);
    const eip = await dc.evaluateRequest({ expression: 'eip', frameId: frame.id, context: 'watch' });
    assert.match(eip.body.result, new RegExp(info.entry.toString(16), 'i'));
    const rip = await dc.evaluateRequest({ expression: 'vmcs.GUEST_CR3', frameId: frame.id, context: 'repl' });
    assert.ok(rip.body.result.length > 0);
    const msg = await expectError(dc.evaluateRequest({ expression: 'no_such_thing', frameId: frame.id, context: 'repl' }));
    assert.match(msg, /no_such_thing/);
  });

  it('VM exits scope lists exit counts after running', async () => {
    await launchToEntry(dc, 'hello');
    const frame = await guestFrame(dc);
    const ref = await scopeRef(dc, frame.id, 'VM exits');
    const rows = await dc.variablesRequest({ variablesReference: ref });
    assert.ok(Array.isArray(rows.body.variables));
  });

  it('a stale variables reference gets an error response and the session keeps answering', async () => {
    await launchToEntry(dc, 'hello');
    const msg = await expectError(dc.variablesRequest({ variablesReference: 987654 }));
    assert.match(msg, /987654/);
    const threads = await dc.threadsRequest();
    assert.equal(threads.body.threads.length, 1);
  });

  it('bad image path: launch fails with a message naming the file', async () => {
    await dc.initializeRequest(INIT_ARGS);
    const missing = '/nonexistent/dir/kernel-missing.elf';
    const msg = await expectError(dc.launchRequest({ image: missing } as never));
    assert.ok(msg.includes(missing), msg);
    assert.doesNotMatch(msg, /\n\s+at /, 'stack trace in the message');
  });

  it('mmu "bogus": launch fails naming mmu', async () => {
    await dc.initializeRequest(INIT_ARGS);
    const msg = await expectError(dc.launchRequest({ image: guest('hello').path, mmu: 'bogus' } as never));
    assert.equal(msg, 'launch.json: mmu must be "ept" or "shadow", got "bogus"');
  });

  it('not an ELF: the core\'s ImageError message comes back as the launch error', async () => {
    await dc.initializeRequest(INIT_ARGS);
    const msg = await expectError(dc.launchRequest({ image: guest('hello').path.replace(/hello\.elf$/, 'manifest.json') } as never));
    assert.ok(msg.length > 0);
    assert.doesNotMatch(msg, /\n\s+at /, 'stack trace in the message');
  });

  it('smp 0 and memory "lots" are rejected naming the attribute', async () => {
    await dc.initializeRequest(INIT_ARGS);
    assert.match(await expectError(dc.launchRequest({ image: guest('hello').path, smp: 0 } as never)), /launch\.json: smp/);
    assert.match(await expectError(dc.launchRequest({ image: guest('hello').path, memory: 'lots' } as never)), /launch\.json: memory/);
    assert.match(await expectError(dc.launchRequest({} as never)), /launch\.json: image is required/);
  });
});
