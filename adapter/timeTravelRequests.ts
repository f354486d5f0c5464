// Custom DAP requests of time travel (issue 7), for the extension's commands and webviews and for any
// DAP client: reverse step in / out by source line, go to an instruction count. Each returns a body
// and, for requests that move the VM, work to run after the response (the stop event follows it).
import type { ReverseController } from './reverse';

export interface TimeTravelRequestResult { body: unknown; after?: () => void; }

export class TimeTravelRequestError extends Error { override name = 'RequestError'; }

export const TIME_TRAVEL_REQUESTS = new Set(['vmm/reverseStepIn', 'vmm/reverseStepOut']);

function threadOf(a: Record<string, unknown>): number {
  const t = a.threadId ?? 1;
  if (typeof t !== 'number' || !Number.isInteger(t)) throw new TimeTravelRequestError(`threadId must be an integer, got ${JSON.stringify(t)}`);
  return t;
}

export function timeTravelRequest(command: string, args: unknown, reverse: ReverseController): TimeTravelRequestResult {
  const a = (args ?? {}) as Record<string, unknown>;
  switch (command) {
    case 'vmm/reverseStepIn': return { body: {}, after: reverse.reverseStep(threadOf(a), 'into') };
    case 'vmm/reverseStepOut': return { body: {}, after: reverse.reverseStep(threadOf(a), 'out') };
    default: throw new TimeTravelRequestError(`unknown request "${command}"`);
  }
}
