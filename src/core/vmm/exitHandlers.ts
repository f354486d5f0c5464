// The exit-handler table, keyed by basic exit reason (KVM: kvm_vmx_exit_handlers[]). A reason with
// no handler stops the VM with a VMCS dump: never a crash.
import type { ExitHandler } from './exitHandler';
import { ExitReason } from '../hw/vmx/exitReasons';
import { handleCpuid } from './handlers/handleCpuid';
import { handleIo } from './handlers/handleIo';
import {
  handleCrAccess, handleEptMisconfig, handleEptViolation, handleException, handleHlt, handleMsr, handleTripleFault, handleVmcall,
} from './handlers/handleSimple';

export const EXIT_HANDLERS: (ExitHandler | undefined)[] = [];
EXIT_HANDLERS[ExitReason.EXCEPTION_NMI] = handleException;
EXIT_HANDLERS[ExitReason.TRIPLE_FAULT] = handleTripleFault;
EXIT_HANDLERS[ExitReason.CPUID] = handleCpuid;
EXIT_HANDLERS[ExitReason.HLT] = handleHlt;
EXIT_HANDLERS[ExitReason.VMCALL] = handleVmcall;
EXIT_HANDLERS[ExitReason.CR_ACCESS] = handleCrAccess;
EXIT_HANDLERS[ExitReason.IO_INSTRUCTION] = handleIo;
EXIT_HANDLERS[ExitReason.MSR_READ] = handleMsr;
EXIT_HANDLERS[ExitReason.MSR_WRITE] = handleMsr;
EXIT_HANDLERS[ExitReason.EPT_VIOLATION] = handleEptViolation;
EXIT_HANDLERS[ExitReason.EPT_MISCONFIG] = handleEptMisconfig;
