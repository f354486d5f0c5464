// launch.json `rtcStart`: the MC146818 RTC's start time as Unix seconds or a UTC date-time string
// ("2024-01-01T00:00:00Z"), checked here with a message naming the attribute; the range (up to 2099)
// is checked by the core (Vm.validateOptions) like the CLI's --rtc-start.
import { LaunchConfigError, describe } from './launchConfig';

export function parseRtcStartAttribute(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?$/.test(v)) {
    const ms = Date.parse(/T/.test(v) && !v.endsWith('Z') ? `${v}Z` : v);
    if (Number.isFinite(ms) && ms >= 0) return Math.floor(ms / 1000);
  }
  throw new LaunchConfigError(`launch.json: rtcStart must be Unix seconds or a UTC date-time such as "2024-01-01T00:00:00Z", got ${describe(v)}`);
}
