// Guest console output: the HostServices the core writes to, buffered and flushed once per run slice
// (or after a step) as one DAP `output` event instead of one event per byte.
import { TextDecoder } from 'node:util';
import type { HostServices } from '../src/core/host';

export type OutputCategory = 'stdout' | 'console';
export type OutputSink = (text: string, category: OutputCategory) => void;

/** Upper bound on text held between flushes; beyond it the buffer is flushed early. */
const MAX_PENDING_CHARS = 64 * 1024;

export class GuestOutput implements HostServices {
  private readonly decoders = new Map<string, TextDecoder>();
  private pending: { category: OutputCategory; text: string }[] = [];
  private pendingChars = 0;

  constructor(private readonly sink: OutputSink) {}

  serialOut(port: number, bytes: Uint8Array): void {
    this.append(`com${port}`, 'stdout', bytes);
  }

  debugConsoleOut(bytes: Uint8Array): void {
    this.append('e9', 'console', bytes);
  }

  /** Sends what was buffered since the last flush, one event per category run. */
  flush(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    for (const p of pending) {
      if (p.text !== '') this.sink(p.text, p.category);
    }
  }

  private append(stream: string, category: OutputCategory, bytes: Uint8Array): void {
    let dec = this.decoders.get(stream);
    if (!dec) {
      dec = new TextDecoder('utf-8', { fatal: false });
      this.decoders.set(stream, dec);
    }
    // stream: true keeps a UTF-8 sequence split across two writes intact.
    const text = dec.decode(bytes, { stream: true });
    if (text === '') return;
    const last = this.pending[this.pending.length - 1];
    if (last && last.category === category) last.text += text;
    else this.pending.push({ category, text });
    this.pendingChars += text.length;
    if (this.pendingChars > MAX_PENDING_CHARS) this.flush();
  }
}
