import type { ExitHandler } from '../exitHandler';
import { skipInstruction } from '../exitHandler';
import { cpuidPolicy } from '../cpuidPolicy';

/** Exit reason 10 (CPUID, always exits): answer from the virtual CPU model. */
export const handleCpuid: ExitHandler = (_vmm, vcpu) => {
  const r = vcpu.regs;
  const [a, b, c, d] = cpuidPolicy(r[0], r[1], vcpu.id);
  r[0] = a; r[3] = b; r[1] = c; r[2] = d;
  skipInstruction(vcpu);
  return undefined;
};
