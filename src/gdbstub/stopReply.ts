// A VM stop as gdb's stop reply: T (signal + thread), W (exited with status), X (terminated).
import type { StopEvent } from '../core/debug/debugApi';

export const SIGINT = 2;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGFPE = 8;
export const SIGSEGV = 11;

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');
/** vCPU n is gdb thread n + 1 (thread 0 means "any" in the protocol). */
export const threadId = (vcpu: number): string => (vcpu + 1).toString(16);

/** Guest exception vector → the POSIX signal gdb shows. */
export function signalForVector(vector: number): number {
  switch (vector) {
    case 0: case 16: case 19: return SIGFPE; // #DE, #MF, #XM
    case 1: case 3: return SIGTRAP; // #DB, #BP
    case 6: return SIGILL; // #UD
    default: return SIGSEGV; // #GP, #PF, #SS, #NP, #DF, ...
  }
}

/** The reply packet, plus console text gdb should print first (an O packet). */
export function stopReply(s: StopEvent, extra = ''): { packet: string; console?: string } {
  const t = (sig: number): string => `T${hex2(sig)}thread:${threadId(s.vcpu)};${extra}`;
  switch (s.kind) {
    case 'exited': return { packet: `W${hex2(s.status)}` };
    case 'shutdown':
      // A vCPU halted for good ends the run like a clean exit (the CLI's status 0); a shutdown (triple fault) is a crash.
      return /halted/.test(s.text) ? { packet: 'W00', console: `vmm-debug: ${s.text}\n` } : { packet: `X${hex2(SIGSEGV)}`, console: `vmm-debug: ${s.text}\n` };
    case 'error': return { packet: t(SIGABRT), console: `vmm-debug: ${s.text}\n` };
    case 'pause': return { packet: t(SIGINT) };
    case 'exception': return { packet: t(signalForVector(s.vector)), console: `vmm-debug: ${s.text}\n` };
    case 'vmexit': return { packet: t(SIGTRAP), console: `vmm-debug: VM exit ${s.exit.reasonName} ${s.exit.detail}\n` };
    default: return { packet: t(SIGTRAP) };
  }
}
