// DAP: the exception-breakpoint filters of issue 6 on the `sensitive` fixture (and `timer`, `ptchurn`):
// sensitive unprivileged and privileged instruction stops (before the instruction runs, with the
// would-it-exit explanation), guest exceptions by vector with conditions, exit filters per reason,
// "any VM exit" with a reason condition.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { collectOutput, findFilter, guest, INIT_ARGS, launch, launchToEntry, newClient, register, type GuestInfo } from './helpers';

let dc: DebugClient;

/** Launches `name` running (no entry stop) with the given filter options set before configurationDone. */
async function launchWith(name: string, options: DebugProtocol.ExceptionFilterOptions[], extra: Record<string, unknown> = {}): Promise<{ info: GuestInfo; caps: DebugProtocol.Capabilities; first: DebugProtocol.StoppedEvent; set: DebugProtocol.SetExceptionBreakpointsResponse }> {
  const info = guest(name);
  const stoppedP = dc.waitForEvent('stopped');
  let set: DebugProtocol.SetExceptionBreakpointsResponse | undefined;
  const caps = await launch(dc, { image: info.path, stopOnEntry: false, ...extra }, async () => {
    set = await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: options });
  });
  return { info, caps, first: (await stoppedP) as DebugProtocol.StoppedEvent, set: set! };
}

async function continueToStop(): Promise<DebugProtocol.StoppedEvent> {
  const p = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId: 1 });
  return (await p) as DebugProtocol.StoppedEvent;
}

async function continueToExit(info: GuestInfo, out: { stdout: () => string }): Promise<void> {
  const exited = dc.waitForEvent('exited');
  await dc.continueRequest({ threadId: 1 });
  assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, info.expectedStatus);
  assert.equal(out.stdout(), info.expectedSerial);
}

describe('DAP: exception filters (issue 6)', function () {
  this.timeout(120_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('initialize lists the instruction, vector, per-reason, any-exit and entry-failure filters with conditions', async () => {
    const init = await dc.initializeRequest(INIT_ARGS);
    const caps = init.body ?? {};
    assert.equal(caps.supportsExceptionFilterOptions, true);
    const ids = (caps.exceptionBreakpointFilters ?? []).map((f) => f.filter);
    for (const id of ['insn.privileged', 'insn.sensitive', 'guest.DE', 'guest.DB', 'guest.BP', 'guest.UD', 'guest.GP', 'guest.PF', 'guest.DF',
      'exit.CPUID', 'exit.HLT', 'exit.IO_INSTRUCTION', 'exit.CR_ACCESS', 'exit.MSR_READ', 'exit.MSR_WRITE', 'exit.EPT_VIOLATION',
      'exit.EPT_MISCONFIG', 'exit.EXCEPTION_NMI', 'exit.EXTERNAL_INTERRUPT', 'exit.INTERRUPT_WINDOW', 'exit.VMCALL', 'exit.INVLPG',
      'exit.RDTSC', 'exit.PREEMPTION_TIMER', 'exit.TRIPLE_FAULT', 'exit.any', 'entry.failure']) {
      assert.ok(ids.includes(id), `missing filter ${id}`);
    }
    const sens = findFilter(caps, /^insn\.sensitive$/);
    assert.equal(sens.supportsCondition, true);
    assert.match(sens.conditionDescription ?? '', /mnemonic/);
    assert.equal(findFilter(caps, /^guest\.GP$/).supportsCondition, true);
  });

  it('sensitive unprivileged filter stops before PUSHF, SGDT, SMSW, LAR, VERW (condition on mnemonic), says none exits', async () => {
    const out = collectOutput(dc);
    const { info, first, set } = await launchWith('sensitive', [
      { filterId: 'insn.sensitive', condition: 'mnemonic == pushf || mnemonic == sgdt || mnemonic == SMSW || mnemonic == lar || mnemonic == verw' },
    ]);
    assert.equal(set.body?.breakpoints?.[0]?.verified, true);
    const expect = ['pushf_insn', 'sgdt_insn', 'smsw_insn', 'lar_insn', 'verw_insn'];
    let stop = first;
    for (const [k, label] of expect.entries()) {
      if (k > 0) stop = await continueToStop();
      assert.equal(stop.body.reason, 'exception');
      assert.equal(await register(dc, 'eip'), info.symbols[label], `stop ${k} should be at ${label}: ${stop.body.text}`);
      assert.match(stop.body.text ?? '', /^Sensitive instruction .* \(not yet executed\): will not exit/);
      const ex = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.equal(ex.body.exceptionId, 'insn.sensitive');
      assert.match(ex.body.details?.stackTrace ?? '', /willExit = false/);
      if (label === 'pushf_insn') {
        // Nothing of PUSHF ran yet: one instruction step moves ESP down by 4.
        const esp = await register(dc, 'esp');
        const stepped = dc.waitForEvent('stopped');
        await dc.nextRequest({ threadId: 1, granularity: 'instruction' });
        await stepped;
        assert.equal(await register(dc, 'esp'), (esp - 4) >>> 0);
      }
      if (label === 'sgdt_insn') assert.match(stop.body.text ?? '', /sgdt/i);
    }
    await continueToExit(info, out);
  });

  it('privileged filter: MOV from/to CR0 do not exit (and say why), RDMSR will exit; INVLPG exits only under shadow paging', async () => {
    const cond = 'opcode == 0x0f20 || opcode == 0x0f22 || mnemonic == rdmsr || mnemonic == invlpg';
    const { info, first } = await launchWith('sensitive', [{ filterId: 'insn.privileged', condition: cond }]);
    assert.equal(await register(dc, 'eip'), info.symbols.movfromcr0_insn);
    assert.match(first.body.text ?? '', /^Privileged instruction mov eax, cr0 .*will not exit.*read shadow/i);
    let s = await continueToStop();
    assert.equal(await register(dc, 'eip'), info.symbols.movtocr0_insn);
    assert.match(s.body.text ?? '', /will not exit.*agrees with the CR0 read shadow/);
    s = await continueToStop();
    assert.equal(await register(dc, 'eip'), info.symbols.rdmsr_insn);
    assert.match(s.body.text ?? '', /will exit \(MSR_READ\)/);
    await continueToStop(); // mov eax, cr0 again, before the bad CR0 write
    s = await continueToStop();
    assert.equal(await register(dc, 'eip'), info.symbols.badcr0_insn);
    assert.match(s.body.text ?? '', /will exit \(CR_ACCESS\): the value 0x8\w+ differs from the CR0 read shadow in host-owned bits 0x20/);
    s = await continueToStop();
    assert.equal(await register(dc, 'eip'), info.symbols.invlpg_insn);
    assert.match(s.body.text ?? '', /will not exit.*"INVLPG exiting" is clear/);
    await dc.disconnectRequest({});

    dc = newClient(); await dc.start();
    const shadow = await launchWith('sensitive', [{ filterId: 'insn.privileged', condition: 'mnemonic == invlpg' }], { mmu: 'shadow' });
    assert.equal(await register(dc, 'eip'), info.symbols.invlpg_insn);
    assert.match(shadow.first.body.text ?? '', /will exit \(INVLPG\)/);
  });

  it('guest exception filters by vector: #BP at INT3, #DE at DIV, #GP with errorCode condition; continue delivers each to the guest IDT', async () => {
    const out = collectOutput(dc);
    const { info, first, set } = await launchWith('sensitive', [
      { filterId: 'guest.BP' }, { filterId: 'guest.DE' }, { filterId: 'guest.GP', condition: 'errorCode == 0x18 && error_code == 0x18' },
    ]);
    assert.deepEqual(set.body?.breakpoints?.map((b) => b.verified), [true, true, true]);
    assert.equal(await register(dc, 'eip'), info.symbols.int3_insn);
    assert.equal((await dc.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'guest.BP');
    assert.match(first.body.text ?? '', /vector = 3|#BP|EXCEPTION_NMI/);
    await continueToStop();
    assert.equal(await register(dc, 'eip'), info.symbols.div_insn);
    assert.equal((await dc.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'guest.DE');
    await continueToStop();
    assert.equal(await register(dc, 'eip'), info.symbols.gp_insn);
    const ex = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(ex.body.exceptionId, 'guest.GP');
    assert.match(ex.body.details?.stackTrace ?? '', /errorCode = 0x18/);
    await continueToExit(info, out); // "DE=1 BP=1 GP=1": each exception reached the guest exactly once
  });

  for (const mmu of ['ept', 'shadow']) {
    it(`guest.GP also stops at a #GP the VMM injects (CR0.PG without PE, after the CR_ACCESS exit), mmu ${mmu}`, async () => {
      const out = collectOutput(dc);
      const { info, first } = await launchWith('sensitive', [{ filterId: 'guest.GP', condition: 'errorCode == 0' }], { mmu });
      assert.equal(await register(dc, 'eip'), info.symbols.badcr0_insn);
      assert.match(first.body.text ?? '', /^Guest exception #GP\(0x0\): injected by the VMM while handling the CR_ACCESS exit/);
      const ex = await dc.exceptionInfoRequest({ threadId: 1 });
      assert.equal(ex.body.exceptionId, 'guest.GP');
      await continueToExit(info, out); // GP=2: the injected #GP reached the guest handler once
    });
  }

  for (const mmu of ['ept', 'shadow']) {
    it(`guest.PF stops only at the #PF the guest receives (not at shadow-MMU page faults), mmu ${mmu}`, async () => {
      const out = collectOutput(dc);
      const { info, first } = await launchWith('sensitive', [{ filterId: 'guest.PF', condition: 'gva == 0x800000 && error_code == 0' }], { mmu });
      assert.equal(await register(dc, 'eip'), info.symbols.pf_insn, first.body.text);
      if (mmu === 'shadow') assert.match(first.body.text ?? '', /^Guest exception #PF\(0x0\), CR2 0x00800000: injected by the VMM/);
      assert.equal((await dc.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'guest.PF');
      await continueToExit(info, out); // PF=1
    });
  }

  it('a guest-exception condition that is false does not stop; MSR_READ with msr condition stops at RDMSR', async () => {
    const out = collectOutput(dc);
    const { info, first } = await launchWith('sensitive', [
      { filterId: 'guest.GP', condition: 'errorCode == 0x20' }, { filterId: 'exit.MSR_READ', condition: 'msr == 0x277' },
    ]);
    const ex = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(ex.body.exceptionId, 'exit.MSR_READ');
    assert.match(first.body.text ?? '', /MSR_READ/);
    assert.equal(await register(dc, 'eip'), info.symbols.rdmsr_insn);
    await continueToExit(info, out);
  });

  it('"any VM exit" with `reason == MSR_READ` stops only there; exit.INVLPG fires under shadow paging', async () => {
    const { info, first } = await launchWith('sensitive', [{ filterId: 'exit.any', condition: 'reason == MSR_READ' }]);
    assert.match(first.body.text ?? '', /VM exit: MSR_READ/);
    assert.equal((await dc.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'exit.any');
    await dc.disconnectRequest({});
    dc = newClient(); await dc.start();
    const sh = await launchWith('sensitive', [{ filterId: 'exit.INVLPG' }], { mmu: 'shadow' });
    assert.match(sh.first.body.text ?? '', /VM exit: INVLPG/);
    assert.equal(await register(dc, 'eip'), info.symbols.invlpg_insn);
  });

  it('HLT and PREEMPTION_TIMER exit filters stop on the timer fixture', async () => {
    const { first } = await launchWith('timer', [{ filterId: 'exit.HLT' }]);
    assert.match(first.body.text ?? '', /VM exit: HLT/);
    await dc.disconnectRequest({});
    dc = newClient(); await dc.start();
    const t = await launchWith('timer', [{ filterId: 'exit.PREEMPTION_TIMER' }]);
    assert.match(t.first.body.text ?? '', /VM exit: PREEMPTION_TIMER/);
  });

  it('bad instruction-filter conditions are refused with a message naming the problem', async () => {
    await launchToEntry(dc, 'hello');
    const set = await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [
      { filterId: 'insn.sensitive', condition: 'mnemonic == nosuchinsn' },
      { filterId: 'entry.failure', condition: 'reason == 33' },
    ] });
    const bps = set?.body?.breakpoints ?? [];
    assert.equal(bps[0]?.verified, false);
    assert.match(bps[0]?.message ?? '', /unknown name "nosuchinsn"/);
    assert.equal(bps[1]?.verified, false);
    assert.match(bps[1]?.message ?? '', /takes no condition/);
  });
});
