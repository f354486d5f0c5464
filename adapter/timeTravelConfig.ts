// launch.json attributes of time travel (issue 7): `recording` (default true in a debug session) and
// `historyBudgetMiB`, the memory history may hold before older checkpoints are thinned (merged, so
// older history gets coarser but stays reachable), and `snapshot`, a snapshot file to start from
// (the VM boots the image, then takes the snapshot's state). Validated with messages naming the attribute.
import * as path from 'node:path';
import type { RecordingOptions } from '../src/core/time/timeline';
import { DEFAULT_HISTORY_BUDGET } from '../src/core/time/timeline';
import { LaunchConfigError } from './launchConfig';

export interface TimeTravelConfig { recording: boolean; options: RecordingOptions; /** A snapshot file to start from (resume, clone). */ snapshot?: string; }

export const MIN_HISTORY_BUDGET_MIB = 8;
export const MAX_HISTORY_BUDGET_MIB = 16384;

export function parseTimeTravelArguments(args: Record<string, unknown>, defaultCwd = process.cwd()): TimeTravelConfig {
  let recording = true;
  if (args.recording !== undefined) {
    if (typeof args.recording !== 'boolean') throw new LaunchConfigError(`launch.json: recording must be true or false, got ${JSON.stringify(args.recording)}`);
    recording = args.recording;
  }
  let budgetBytes = DEFAULT_HISTORY_BUDGET;
  const b = args.historyBudgetMiB;
  if (b !== undefined) {
    if (typeof b !== 'number' || !Number.isInteger(b) || b < MIN_HISTORY_BUDGET_MIB || b > MAX_HISTORY_BUDGET_MIB) {
      throw new LaunchConfigError(`launch.json: historyBudgetMiB must be an integer from ${MIN_HISTORY_BUDGET_MIB} to ${MAX_HISTORY_BUDGET_MIB} (MiB of time-travel history), got ${JSON.stringify(b)}`);
    }
    budgetBytes = b * 1024 * 1024;
  }
  let snapshot: string | undefined;
  if (args.snapshot !== undefined) {
    if (typeof args.snapshot !== 'string' || args.snapshot === '') throw new LaunchConfigError(`launch.json: snapshot must be the path of a snapshot file, got ${JSON.stringify(args.snapshot)}`);
    snapshot = path.resolve(typeof args.cwd === 'string' && args.cwd ? path.resolve(defaultCwd, args.cwd) : defaultCwd, args.snapshot);
  }
  return { recording, options: { budgetBytes }, snapshot };
}
