// GDB Remote Serial Protocol framing: `$payload#cs` with a modulo-256 checksum, `+`/`-` acks,
// `}` escapes (byte ^ 0x20) and the out-of-band interrupt byte 0x03. Pure: bytes in, events out.

/** What the byte stream from gdb turned into. */
export type RspEvent =
  | { kind: 'packet'; data: Buffer }
  | { kind: 'ack' }
  | { kind: 'nack' }
  | { kind: 'interrupt' }
  /** A packet whose checksum did not match, or that outgrew the size limit: gdb expects `-` (in ack mode). */
  | { kind: 'bad'; why: string };

/** Largest packet payload accepted (advertised to gdb as PacketSize). */
export const MAX_PACKET = 0x4000;

export function checksum(data: Buffer, start = 0, end = data.length): number {
  let s = 0;
  for (let k = start; k < end; k++) s = (s + data[k]) & 0xff;
  return s;
}

/** `$payload#cs`, escaping the bytes the protocol reserves (`$ # } *`). */
export function frame(payload: string | Buffer): Buffer {
  const raw = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const out: number[] = [0x24];
  for (const b of raw) {
    if (b === 0x24 || b === 0x23 || b === 0x7d || b === 0x2a) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  const body = Buffer.from(out);
  const cs = checksum(body, 1);
  return Buffer.concat([body, Buffer.from(`#${cs.toString(16).padStart(2, '0')}`, 'latin1')]);
}

/** Incremental parser: feed it socket chunks, get events. Bytes outside packets other than + - 0x03 are ignored. */
export class RspParser {
  private buf: number[] = [];
  private inPacket = false;
  private csLeft = -1;
  private cs = '';
  private overflow = false;

  feed(chunk: Uint8Array): RspEvent[] {
    const ev: RspEvent[] = [];
    for (const b of chunk) {
      if (this.csLeft > 0) {
        this.cs += String.fromCharCode(b);
        if (--this.csLeft === 0) ev.push(this.finish());
        continue;
      }
      if (this.inPacket) {
        if (b === 0x23) { this.csLeft = 2; this.cs = ''; continue; }
        if (b === 0x24) { this.buf = []; this.overflow = false; continue; } // a new start: gdb gave up on the old one
        if (this.buf.length >= 2 * MAX_PACKET) { this.overflow = true; continue; }
        this.buf.push(b);
        continue;
      }
      if (b === 0x24) { this.inPacket = true; this.buf = []; this.overflow = false; }
      else if (b === 0x2b) ev.push({ kind: 'ack' });
      else if (b === 0x2d) ev.push({ kind: 'nack' });
      else if (b === 0x03) ev.push({ kind: 'interrupt' });
    }
    return ev;
  }

  private finish(): RspEvent {
    this.inPacket = false;
    this.csLeft = -1;
    const body = Buffer.from(this.buf);
    this.buf = [];
    if (this.overflow) return { kind: 'bad', why: `packet longer than ${2 * MAX_PACKET} bytes` };
    const want = /^[0-9a-fA-F]{2}$/.test(this.cs) ? parseInt(this.cs, 16) : -1;
    const got = checksum(body);
    if (want !== got) return { kind: 'bad', why: `checksum ${JSON.stringify(this.cs)} does not match 0x${got.toString(16).padStart(2, '0')}` };
    return { kind: 'packet', data: unescape(body) };
  }
}

/** Undo `}` escapes (binary data in X packets and elsewhere). */
export function unescape(b: Buffer): Buffer {
  if (!b.includes(0x7d)) return b;
  const out: number[] = [];
  for (let k = 0; k < b.length; k++) {
    if (b[k] === 0x7d && k + 1 < b.length) out.push(b[++k] ^ 0x20);
    else out.push(b[k]);
  }
  return Buffer.from(out);
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const textToHex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
/** Little-endian hex of a 32-bit value, as g/p replies carry registers. */
export function le32Hex(v: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b.toString('hex');
}
export function parseLe32Hex(s: string): number | undefined {
  if (!/^[0-9a-fA-F]{8}$/.test(s)) return undefined;
  return Buffer.from(s, 'hex').readUInt32LE(0);
}
