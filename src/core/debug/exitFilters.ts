// The exception-breakpoint filters the Breakpoints view lists: VM-exit reasons, guest exceptions,
// shutdown. Exit filters match on the exit's basic reason; guest-exception filters make the VMM set
// the exception bitmap bit for that vector, so the exception arrives as an exit (reason 0) and is
// re-injected after the stop (as KVM's guest debug does).
import type { ExitEvent, ExitFilterInfo, ExitFilterSetting } from './debugApi';
import { ExitReason } from '../hw/vmx/exitReasons';
import { compileCondition, CONDITION_FIELDS, type Condition } from './exitCondition';

interface FilterDef extends ExitFilterInfo { reasons?: number[]; vector?: number; }

const exitFilter = (id: string, label: string, reason: number, description: string, def = false): FilterDef =>
  ({ id, label, description, default: def, supportsCondition: true, conditionDescription: CONDITION_HELP, reasons: [reason] });
const CONDITION_HELP = 'Expression over the exit, e.g. port == 0x3f8 && !in, qualification & 0x2, gpa >= 0xfee00000, leaf == 1, reason == EPT_VIOLATION';

export const FILTERS: FilterDef[] = [
  exitFilter('exit.CPUID', 'VM exit: CPUID', ExitReason.CPUID, 'Guest executed CPUID (always exits, reason 10)'),
  exitFilter('exit.HLT', 'VM exit: HLT', ExitReason.HLT, 'Guest executed HLT (HLT exiting, reason 12)'),
  exitFilter('exit.IO_INSTRUCTION', 'VM exit: I/O instruction', ExitReason.IO_INSTRUCTION, 'IN/OUT/INS/OUTS trapped by the I/O bitmaps (reason 30)'),
  exitFilter('exit.VMCALL', 'VM exit: VMCALL (hypercall)', ExitReason.VMCALL, 'Guest executed VMCALL (reason 18)'),
  exitFilter('exit.CR_ACCESS', 'VM exit: CR access', ExitReason.CR_ACCESS, 'MOV to/from CR0/CR3/CR4, CLTS, LMSW trapped (reason 28)'),
  exitFilter('exit.MSR', 'VM exit: RDMSR/WRMSR', ExitReason.MSR_READ, 'Guest read or wrote an MSR (reasons 31, 32)'),
  exitFilter('exit.EPT_VIOLATION', 'VM exit: EPT violation', ExitReason.EPT_VIOLATION, 'Guest-physical access not allowed by the EPT (reason 48; first touch of each page)'),
  exitFilter('exit.EXCEPTION_NMI', 'VM exit: exception or NMI', ExitReason.EXCEPTION_NMI, 'An exception selected by the exception bitmap (reason 0)'),
  exitFilter('exit.TRIPLE_FAULT', 'VM exit: triple fault', ExitReason.TRIPLE_FAULT, 'The guest triple-faulted (reason 2): the VM shuts down', true),
  { id: 'exit.any', label: 'Any VM exit', description: 'Stop on every VM exit (the condition can name any reason: reason == EPT_MISCONFIG)', default: false, supportsCondition: true, conditionDescription: CONDITION_HELP, reasons: [] },
  { id: 'guest.UD', label: 'Guest exception: #UD', description: 'Invalid opcode (vector 6), including instructions this CPU does not implement', default: false, supportsCondition: false, vector: 6 },
  { id: 'guest.GP', label: 'Guest exception: #GP', description: 'General protection (vector 13)', default: false, supportsCondition: false, vector: 13 },
  { id: 'guest.PF', label: 'Guest exception: #PF', description: 'Page fault (vector 14)', default: false, supportsCondition: false, vector: 14 },
  { id: 'guest.DF', label: 'Guest exception: #DF', description: 'Double fault (vector 8)', default: false, supportsCondition: false, vector: 8 },
];
FILTERS.find((f) => f.id === 'exit.MSR')!.reasons!.push(ExitReason.MSR_WRITE);

export function filterInfos(): ExitFilterInfo[] {
  return FILTERS.map(({ id, label, description, default: d, supportsCondition, conditionDescription }) => ({ id, label, description, default: d, supportsCondition, conditionDescription }));
}

/** The active filter set, compiled for the run loop. */
export class ActiveFilters {
  private readonly byReason = new Map<number, [string, Condition | undefined]>();
  private any: [string, Condition | undefined] | undefined;
  private readonly byVector = new Map<number, string>();

  /** Returns one error (or undefined) per setting. Conditions arrive with issue 6. */
  set(settings: ExitFilterSetting[]): (string | undefined)[] {
    this.byReason.clear(); this.byVector.clear(); this.any = undefined;
    return settings.map((s) => {
      const f = FILTERS.find((x) => x.id === s.id);
      if (!f) return `unknown exception filter "${s.id}"`;
      let cond: Condition | undefined;
      if (s.condition && s.condition.trim()) {
        if (!f.supportsCondition) return `filter "${f.label}" takes no condition`;
        try { cond = compileCondition(s.condition, CONDITION_FIELDS); } catch (e) { return `condition "${s.condition}": ${(e as Error).message}`; }
      }
      if (f.vector !== undefined) this.byVector.set(f.vector, f.id);
      else if (f.reasons!.length === 0) this.any = [f.id, cond];
      else for (const r of f.reasons!) this.byReason.set(r, [f.id, cond]);
      return undefined;
    });
  }

  /** Exception-bitmap bits the VMM must set so checked guest-exception filters see their vectors. */
  get exceptionBitmap(): number {
    let m = 0;
    for (const v of this.byVector.keys()) m |= 1 << v;
    return m;
  }

  match(e: ExitEvent): string | undefined {
    if (e.reason === ExitReason.EXCEPTION_NMI) {
      const vec = typeof e.fields.vector === 'number' ? e.fields.vector : -1;
      const id = this.byVector.get(vec);
      if (id) return id;
    }
    const hit = (x: [string, Condition | undefined] | undefined): string | undefined => {
      if (!x) return undefined;
      const fields = { ...e.fields, reason: e.reason, qualification: e.qualification };
      return !x[1] || x[1](fields) ? x[0] : undefined;
    };
    return hit(this.byReason.get(e.reason)) ?? hit(this.any);
  }
}
