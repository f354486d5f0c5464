// Host services the pure core needs, passed in by whoever drives it (CLI, adapter, tests).
// The core never touches files, clocks or the console itself.
export interface HostServices {
  /** Bytes the guest wrote to a serial port (COM1 = 0). */
  serialOut(port: number, bytes: Uint8Array): void;
  /** Bytes written to the 0xE9 debug console. */
  debugConsoleOut?(bytes: Uint8Array): void;
}

export const nullHost: HostServices = { serialOut() { /* discard */ } };
