// DAP threads are vCPUs: thread id n+1 is vcpu n, named "vcpuN". The one place that maps threads,
// stack-frame ids and the selected vCPU to the VM's vCPUs, so SMP (Vm.vcpuCount > 1) needs no change
// elsewhere: the stopped event names the vCPU that hit the event (StopEvent.vcpu), and Registers /
// VMCS scopes follow the frame's vCPU (frame ids encode it: sourceDebugging.ts guestFrameId).
import { Thread } from '@vscode/debugadapter';
import type { Vm } from '../src/core/machine/vm';
import { threadIdOf } from './stops';
import { vcpuOfFrameId } from './sourceDebugging';

export class ThreadError extends Error { override name = 'RequestError'; }

export class VcpuThreads {
  /** The vCPU of the last stop: the default for requests without a thread or frame (memory, disassembly). */
  private selected = 0;

  constructor(private readonly vm: () => Vm | undefined) {}

  /** vCPUs of the VM (0 before launch). */
  get count(): number { return this.vm()?.vcpuCount ?? 0; }

  threads(): Thread[] {
    return Array.from({ length: this.count }, (_, i) => new Thread(threadIdOf(i), `vcpu${i}`));
  }

  threadOf(vcpu: number): number { return threadIdOf(vcpu); }

  vcpuOfThread(threadId: number): number {
    const vcpu = threadId - 1;
    const n = this.count;
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= n) {
      throw new ThreadError(`no thread ${threadId} (threads are vcpu0..vcpu${n - 1}, ids 1..${n})`);
    }
    return vcpu;
  }

  vcpuOfFrame(frameId: number): number {
    const vcpu = vcpuOfFrameId(frameId);
    if (!Number.isInteger(frameId) || frameId < 1 || vcpu >= this.count) throw new ThreadError(`no stack frame ${frameId}`);
    return vcpu;
  }

  /** A stop on `vcpu` selects it. */
  select(vcpu: number): void { this.selected = vcpu; }

  get current(): number { return this.selected < this.count ? this.selected : 0; }
}
