// The exit-handler table, keyed by basic exit reason (KVM: kvm_vmx_exit_handlers[]). A reason with
// no handler stops the VM with a VMCS dump: never a crash.
import type { ExitHandler } from './exitHandler';
import { ExitReason } from '../hw/vmx/exitReasons';
import { handleCpuid } from './handlers/handleCpuid';
import { handleIo } from './handlers/handleIo';
import { handleExternalInterrupt, handleInterruptWindow, handleNmiWindow, handlePreemptionTimer } from './handlers/handleInterruptWindow';
import {
  handleCrAccess, handleEptMisconfig, handleEptViolation, handleException, handleHlt, handleMsr, handleTripleFault, handleVmcall,
} from './handlers/handleSimple';
import { withShadowEfer, withShadowPageFaults } from './handlers/handleShadowPageFault';
import { withShadowCrAccess } from './handlers/handleCr3';
import { handleInvlpg } from './handlers/handleInvlpg';
import { handleInitSignal, handleSipi } from './handlers/handleInitSipi';
import { withRealModeHandoff } from './realModeHandoff';
import { handleTaskSwitch } from './handlers/handleTaskSwitch';
import { withIdtVectoring } from './handlers/handleVectoring';
import { withIoBreakpoints } from './handlers/handleIoBreakpoint';
import { handleVmxInstruction } from './handlers/handleVmxInstruction';
import { handleDrAccess } from './handlers/handleDrAccess';
import { handleNopInstruction, handleRdpmc, handleRdtsc } from './handlers/handleMiscInstructions';
import { handleDescriptorTable } from './handlers/handleDescriptorTable';
import { handleApicAccess } from './handlers/handleApicAccess';

export const EXIT_HANDLERS: (ExitHandler | undefined)[] = [];
// Shadow paging (vmm.shadow): #PF exits, CR3 / CR0 / CR4 accesses and INVLPG go to the shadow MMU first.
EXIT_HANDLERS[ExitReason.EXCEPTION_NMI] = withShadowPageFaults(handleException);
EXIT_HANDLERS[ExitReason.TRIPLE_FAULT] = handleTripleFault;
EXIT_HANDLERS[ExitReason.CPUID] = handleCpuid;
EXIT_HANDLERS[ExitReason.HLT] = handleHlt;
EXIT_HANDLERS[ExitReason.VMCALL] = handleVmcall;
EXIT_HANDLERS[ExitReason.CR_ACCESS] = withRealModeHandoff(withShadowCrAccess(handleCrAccess));
EXIT_HANDLERS[ExitReason.INVLPG] = handleInvlpg;
EXIT_HANDLERS[ExitReason.IO_INSTRUCTION] = withIoBreakpoints(handleIo);
EXIT_HANDLERS[ExitReason.MSR_READ] = handleMsr;
EXIT_HANDLERS[ExitReason.MSR_WRITE] = withShadowEfer(handleMsr);
EXIT_HANDLERS[ExitReason.EPT_VIOLATION] = withIdtVectoring(handleEptViolation);
EXIT_HANDLERS[ExitReason.EPT_MISCONFIG] = handleEptMisconfig;
EXIT_HANDLERS[ExitReason.EXTERNAL_INTERRUPT] = handleExternalInterrupt;
EXIT_HANDLERS[ExitReason.INTERRUPT_WINDOW] = handleInterruptWindow;
EXIT_HANDLERS[ExitReason.NMI_WINDOW] = handleNmiWindow;
EXIT_HANDLERS[ExitReason.PREEMPTION_TIMER] = handlePreemptionTimer;
EXIT_HANDLERS[ExitReason.INIT_SIGNAL] = handleInitSignal;
EXIT_HANDLERS[ExitReason.SIPI] = handleSipi;
EXIT_HANDLERS[ExitReason.TASK_SWITCH] = handleTaskSwitch;
for (const r of [ExitReason.VMCLEAR, ExitReason.VMLAUNCH, ExitReason.VMPTRLD, ExitReason.VMPTRST, ExitReason.VMREAD, ExitReason.VMRESUME,
  ExitReason.VMWRITE, ExitReason.VMXOFF, ExitReason.VMXON, ExitReason.INVEPT, ExitReason.INVVPID]) EXIT_HANDLERS[r] = handleVmxInstruction;
// Exits of the VMM's exit policy (exitPolicy.ts).
EXIT_HANDLERS[ExitReason.DR_ACCESS] = handleDrAccess;
for (const r of [ExitReason.INVD, ExitReason.WBINVD, ExitReason.MWAIT_INSTRUCTION, ExitReason.MONITOR_INSTRUCTION, ExitReason.PAUSE_INSTRUCTION]) EXIT_HANDLERS[r] = handleNopInstruction;
EXIT_HANDLERS[ExitReason.RDPMC] = handleRdpmc;
EXIT_HANDLERS[ExitReason.RDTSC] = handleRdtsc;
EXIT_HANDLERS[ExitReason.GDTR_IDTR] = handleDescriptorTable;
EXIT_HANDLERS[ExitReason.LDTR_TR] = handleDescriptorTable;
EXIT_HANDLERS[ExitReason.APIC_ACCESS] = handleApicAccess;
