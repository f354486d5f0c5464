// The exception-breakpoint filters the Breakpoints view lists: VM-exit reasons, guest exceptions,
// shutdown. Exit filters match on the exit's basic reason; guest-exception filters make the VMM set
// the exception bitmap bit for that vector, so the exception arrives as an exit (reason 0) and is
// re-injected after the stop (as KVM's guest debug does).
import type { ExitEvent, ExitFilterInfo, ExitFilterSetting } from './debugApi';
import { ExitReason } from '../hw/vmx/exitReasons';
import { compileCondition, CONDITION_FIELDS, type Condition } from './exitCondition';
import { compileInsnCondition, InsnStops, INSN_FILTER_PRIVILEGED, INSN_FILTER_SENSITIVE } from './insnStops';

interface FilterDef extends ExitFilterInfo { reasons?: number[]; vector?: number; entryFailure?: boolean; insn?: boolean; }

const exitFilter = (id: string, label: string, reason: number, description: string, def = false): FilterDef =>
  ({ id, label, description, default: def, supportsCondition: true, conditionDescription: CONDITION_HELP, reasons: [reason] });
const CONDITION_HELP = 'Expression over the exit, e.g. port == 0x3f8 && !in, qualification & 0x2, gpa >= 0xfee00000, leaf == 1, reason == EPT_VIOLATION';

const vectorFilter = (mn: string, vector: number, what: string, def = false): FilterDef => ({
  id: `guest.${mn}`, label: `Guest exception: #${mn}`, default: def, supportsCondition: true, conditionDescription: VECTOR_HELP, vector,
  description: `${what} (vector ${vector}), stopped at the instruction before it is delivered through the guest IDT; continue delivers it`,
});
const VECTOR_HELP = 'Expression over the exception, e.g. errorCode == 0x18, error_code & 1, gva == 0 (#PF address)';
const INSN_HELP = 'Expression over the instruction, e.g. mnemonic == popf || mnemonic == sgdt, cpl == 0, exits == 0, eax == 1';

export const FILTERS: FilterDef[] = [
  exitFilter('exit.CPUID', 'VM exit: CPUID', ExitReason.CPUID, 'Guest executed CPUID (always exits, reason 10)'),
  exitFilter('exit.HLT', 'VM exit: HLT', ExitReason.HLT, 'Guest executed HLT (HLT exiting, reason 12)'),
  exitFilter('exit.IO_INSTRUCTION', 'VM exit: I/O instruction', ExitReason.IO_INSTRUCTION, 'IN/OUT/INS/OUTS trapped by the I/O bitmaps (reason 30)'),
  exitFilter('exit.VMCALL', 'VM exit: VMCALL (hypercall)', ExitReason.VMCALL, 'Guest executed VMCALL (reason 18)'),
  exitFilter('exit.CR_ACCESS', 'VM exit: CR access', ExitReason.CR_ACCESS, 'MOV to/from CR0/CR3/CR4, CLTS, LMSW trapped (reason 28)'),
  exitFilter('exit.MSR', 'VM exit: RDMSR/WRMSR', ExitReason.MSR_READ, 'Guest read or wrote an MSR (reasons 31, 32)'),
  exitFilter('exit.MSR_READ', 'VM exit: MSR read', ExitReason.MSR_READ, 'Guest executed RDMSR (reason 31; condition: msr == 0x1b)'),
  exitFilter('exit.MSR_WRITE', 'VM exit: MSR write', ExitReason.MSR_WRITE, 'Guest executed WRMSR (reason 32; condition: msr == 0x174)'),
  exitFilter('exit.EPT_VIOLATION', 'VM exit: EPT violation', ExitReason.EPT_VIOLATION, 'Guest-physical access not allowed by the EPT (reason 48; first touch of each page)'),
  exitFilter('exit.EPT_MISCONFIG', 'VM exit: EPT misconfiguration', ExitReason.EPT_MISCONFIG, 'An EPT entry with a reserved or invalid combination of bits (reason 49): the MMIO fast path on the emulated APIC pages (marked write-only, as KVM marks MMIO), else a hypervisor bug'),
  exitFilter('exit.EXCEPTION_NMI', 'VM exit: exception or NMI', ExitReason.EXCEPTION_NMI, 'An exception selected by the exception bitmap, or an NMI (reason 0)'),
  exitFilter('exit.EXTERNAL_INTERRUPT', 'VM exit: external interrupt', ExitReason.EXTERNAL_INTERRUPT, 'A host interrupt arrived while the guest ran (reason 1; the VMM kicks the vCPU for device input)'),
  exitFilter('exit.INTERRUPT_WINDOW', 'VM exit: interrupt window', ExitReason.INTERRUPT_WINDOW, 'The guest became able to take an interrupt the VMM holds pending (reason 7)'),
  exitFilter('exit.INVLPG', 'VM exit: INVLPG', ExitReason.INVLPG, 'Guest executed INVLPG with INVLPG exiting (reason 14; shadow paging sets it)'),
  exitFilter('exit.RDTSC', 'VM exit: RDTSC', ExitReason.RDTSC, 'Guest executed RDTSC with RDTSC exiting (reason 16; this VMM leaves it clear: use the sensitive-instruction filter)'),
  exitFilter('exit.PREEMPTION_TIMER', 'VM exit: preemption timer', ExitReason.PREEMPTION_TIMER, 'The VMX-preemption timer counted down to zero (reason 52)'),
  exitFilter('exit.GDTR_IDTR', 'VM exit: GDTR/IDTR access', ExitReason.GDTR_IDTR, 'LGDT/LIDT/SGDT/SIDT with descriptor-table exiting (reason 46)'),
  exitFilter('exit.DR_ACCESS', 'VM exit: debug-register access', ExitReason.DR_ACCESS, 'MOV to/from DR0-DR7 with MOV-DR exiting (reason 29)'),
  exitFilter('exit.TRIPLE_FAULT', 'VM exit: triple fault', ExitReason.TRIPLE_FAULT, 'The guest triple-faulted (reason 2): the VM shuts down', true),
  { id: 'exit.any', label: 'Any VM exit', description: 'Stop on every VM exit (the condition can name any reason: reason == EPT_MISCONFIG)', default: false, supportsCondition: true, conditionDescription: CONDITION_HELP, reasons: [] },
  { id: 'entry.failure', label: 'VM-entry failure', description: 'VM entry failed its checks (SDM 26.3: invalid guest state, reason 33 with bit 31; or VMfail): the VM cannot run on', default: true, supportsCondition: false, entryFailure: true },
  {
    id: INSN_FILTER_PRIVILEGED, label: 'Privileged instruction executed', default: false, supportsCondition: true, conditionDescription: INSN_HELP, insn: true,
    description: 'Stops before an instruction that needs CPL 0 (MOV CR, LGDT, HLT, WRMSR, INVLPG...) or CPL <= IOPL (CLI, STI, IN, OUT); the stop says whether it will exit and why not',
  },
  {
    id: INSN_FILTER_SENSITIVE, label: 'Sensitive unprivileged instruction executed', default: false, supportsCondition: true, conditionDescription: INSN_HELP, insn: true,
    description: 'Stops before a sensitive but unprivileged instruction (PUSHF/POPF, SGDT/SIDT/SLDT/SMSW/STR, LAR/LSL/VERR/VERW, segment and far transfers, CPUID, RDTSC): under VT-x most of them do not exit',
  },
  vectorFilter('DE', 0, 'Divide error'),
  vectorFilter('DB', 1, 'Debug exception'),
  vectorFilter('BP', 3, 'Breakpoint (INT3)'),
  vectorFilter('OF', 4, 'Overflow (INTO)'),
  vectorFilter('BR', 5, 'BOUND range exceeded'),
  vectorFilter('UD', 6, 'Invalid opcode, including instructions this CPU does not implement'),
  vectorFilter('NM', 7, 'Device not available'),
  vectorFilter('DF', 8, 'Double fault'),
  vectorFilter('TS', 10, 'Invalid TSS'),
  vectorFilter('NP', 11, 'Segment not present'),
  vectorFilter('SS', 12, 'Stack-segment fault'),
  vectorFilter('GP', 13, 'General protection'),
  vectorFilter('PF', 14, 'Page fault'),
  vectorFilter('MF', 16, 'x87 floating-point error'),
  vectorFilter('AC', 17, 'Alignment check'),
];
FILTERS.find((f) => f.id === 'exit.MSR')!.reasons!.push(ExitReason.MSR_WRITE);

export function filterInfos(): ExitFilterInfo[] {
  return FILTERS.map(({ id, label, description, default: d, supportsCondition, conditionDescription }) => ({ id, label, description, default: d, supportsCondition, conditionDescription }));
}

type Hit = [string, Condition | undefined];

/** The active filter set, compiled for the run loop. */
export class ActiveFilters {
  private readonly byReason = new Map<number, Hit[]>();
  private any: Hit | undefined;
  private entryFailure: string | undefined;
  private readonly byVector = new Map<number, Hit>();
  /** Privileged / sensitive instruction filters (insnStops.ts): the Vm installs them as Cpu.insnStop. */
  readonly insn = new InsnStops();
  /**
   * Shadow paging: a #PF exit is the shadow MMU's business until it decides to reflect the fault to the
   * guest, so guest.PF is matched on the injection (injectedExceptions.ts), not on the exit.
   */
  deferPageFaults = false;

  /** Returns one error (or undefined) per setting. */
  set(settings: ExitFilterSetting[]): (string | undefined)[] {
    this.byReason.clear(); this.byVector.clear(); this.any = undefined; this.entryFailure = undefined;
    this.insn.privileged = null; this.insn.sensitive = null;
    return settings.map((s) => {
      const f = FILTERS.find((x) => x.id === s.id);
      if (!f) return `unknown exception filter "${s.id}"`;
      const src = s.condition?.trim() ? s.condition : undefined;
      if (src && !f.supportsCondition) return `filter "${f.label}" takes no condition`;
      if (f.insn) {
        let cond;
        if (src) { try { cond = compileInsnCondition(src); } catch (e) { return `condition "${src}": ${(e as Error).message}`; } }
        if (f.id === INSN_FILTER_PRIVILEGED) this.insn.privileged = { cond }; else this.insn.sensitive = { cond };
        return undefined;
      }
      let cond: Condition | undefined;
      if (src) {
        try { cond = compileCondition(src, CONDITION_FIELDS); } catch (e) { return `condition "${src}": ${(e as Error).message}`; }
      }
      if (f.entryFailure) this.entryFailure = f.id;
      else if (f.vector !== undefined) this.byVector.set(f.vector, [f.id, cond]);
      else if (f.reasons!.length === 0) this.any = [f.id, cond];
      else for (const r of f.reasons!) { const l = this.byReason.get(r) ?? []; l.push([f.id, cond]); this.byReason.set(r, l); }
      return undefined;
    });
  }

  /** The guest-exception filter for `vector` if it is checked and its condition holds for `fields`. */
  matchVector(vector: number, fields: Fields): string | undefined {
    const x = this.byVector.get(vector);
    if (!x) return undefined;
    return !x[1] || x[1](fields) ? x[0] : undefined;
  }

  /** Exception-bitmap bits the VMM must set so checked guest-exception filters see their vectors. */
  get exceptionBitmap(): number {
    let m = 0;
    for (const v of this.byVector.keys()) m |= 1 << v;
    return m;
  }

  match(e: ExitEvent): string | undefined {
    let fields: Fields | undefined;
    const test = (x: Hit | undefined): string | undefined => {
      if (!x) return undefined;
      if (!x[1]) return x[0];
      fields ??= conditionFields(e);
      return x[1](fields) ? x[0] : undefined;
    };
    if (e.fields.entryFailure === true) return this.entryFailure ?? test(this.any);
    if (e.reason === ExitReason.EXCEPTION_NMI) {
      const vec = typeof e.fields.vector === 'number' ? e.fields.vector : -1;
      const id = vec === 14 && this.deferPageFaults ? undefined : test(this.byVector.get(vec));
      if (id) return id;
    }
    for (const h of this.byReason.get(e.reason) ?? []) { const id = test(h); if (id) return id; }
    return test(this.any);
  }
}

type Fields = Record<string, number | boolean>;

/** The exit's fields plus the names conditions also accept (error_code, gva, rip). */
function conditionFields(e: ExitEvent): Fields {
  const f: Fields = { ...e.fields, reason: e.reason, qualification: e.qualification, rip: e.guestRip };
  if (f.errorCode !== undefined) f.error_code = f.errorCode;
  if (f.gla !== undefined) f.gva = f.gla;
  // #PF: the exit qualification is the faulting linear address (SDM 27.2.1).
  if (e.reason === ExitReason.EXCEPTION_NMI && f.vector === 14 && f.gva === undefined) f.gva = e.qualification;
  return f;
}

export { INSN_FILTER_PRIVILEGED, INSN_FILTER_SENSITIVE };
