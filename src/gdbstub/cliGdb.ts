// `vmm-debug run IMAGE --gdb 127.0.0.1:PORT`: like QEMU's -s -S, the VM waits for gdb before its
// first instruction, then gdb drives it. History is recorded so reverse-stepi / reverse-continue work.
import type { Vm } from '../core/machine/vm';
import type { StopEvent } from '../core/debug/debugApi';
import { startGdbServer } from './server';

export interface GdbRunResult {
  /** The VM's final stop if it ended under gdb (exited / shutdown). */
  stop: StopEvent | null;
  /** gdb killed the target (k / vKill): the CLI ends. */
  killed: boolean;
}

export async function runUnderGdb(vm: Vm, port: number, log: (line: string) => void, flush: () => void): Promise<GdbRunResult> {
  vm.startRecording();
  const server = await startGdbServer(vm, { port });
  log(`vmm-debug: waiting for gdb on ${server.host}:${server.port} (in gdb: target remote ${server.host}:${server.port})`);
  const timer = setInterval(flush, 20);
  try {
    const end = await server.firstSession;
    return { stop: end.finalStop, killed: end.how === 'kill' };
  } finally {
    clearInterval(timer);
    flush();
    await server.close();
  }
}
