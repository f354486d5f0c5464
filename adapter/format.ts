// Small formatting and parsing helpers shared by the adapter's request handlers.

/** "0x%08x" of a 32-bit address. */
export function hex8(address: number): string {
  return '0x' + (address >>> 0).toString(16).padStart(8, '0');
}

/** Short hex ("0x1a"). */
export function hex(value: number): string {
  return '0x' + (value >>> 0).toString(16);
}

/**
 * Parses an address string: "0x00100000", "100000h", or decimal. Returns undefined when malformed.
 * Addresses are 32-bit guest linear addresses.
 */
export function parseAddress(text: unknown): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 && text <= 0xffffffff ? text : undefined;
  if (typeof text !== 'string') return undefined;
  const s = text.trim();
  let v: number;
  if (/^0x[0-9a-f]{1,8}$/i.test(s)) v = parseInt(s.slice(2), 16);
  else if (/^[0-9a-f]{1,8}h$/i.test(s)) v = parseInt(s.slice(0, -1), 16);
  else if (/^[0-9]{1,10}$/.test(s)) v = parseInt(s, 10);
  else return undefined;
  return v <= 0xffffffff ? v : undefined;
}

/** Message of a thrown value, without a stack trace. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
