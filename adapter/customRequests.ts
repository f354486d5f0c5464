// Custom DAP requests for the extension's views (src/extension): the translation walk for the
// "Translate address" command and its webview, the CGA text screen, serial input from the terminal,
// and VM statistics for the status bar. Unknown commands are an error response.
import type { Vm } from '../src/core/machine/vm';
import { translate, translationText } from '../src/core/debug/translate';
import { translateSourceOf } from '../src/core/debug/vmTranslateSource';
import { evaluateVmExpression } from '../src/core/debug/vmExpression';
import { errorMessage } from './format';

export interface CustomHost {
  vm(): Vm;
  stoppedVm(): Vm;
  vcpu(): number;
}

class CustomRequestError extends Error {
  override name = 'RequestError';
}

const COM1 = 0x3f8;

export function customRequest(command: string, args: unknown, host: CustomHost): unknown {
  const a = (args ?? {}) as Record<string, unknown>;
  switch (command) {
    case 'vmm/translate': {
      const vm = host.stoppedVm();
      const vcpu = typeof a.vcpu === 'number' ? a.vcpu : host.vcpu();
      let gva: number;
      try { gva = evaluateVmExpression(vm, vcpu, String(a.address ?? '')) >>> 0; } catch (e) { throw new CustomRequestError(`translate: ${errorMessage(e)}`); }
      const t = translate(translateSourceOf(vm.vmm, vcpu), gva);
      return { translation: t, text: translationText(t) };
    }
    case 'vmm/textScreen': {
      const vm = host.vm();
      return { lines: textScreen(vm, host.vcpu()) };
    }
    case 'vmm/serialInput': {
      const vm = host.vm();
      const text = typeof a.text === 'string' ? a.text : '';
      if (!text) return { accepted: 0 };
      const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
      const message = vm.serialInput(COM1, bytes);
      return { accepted: bytes.length, message };
    }
    case 'vmm/stats': {
      const vm = host.vm();
      const exits = vm.exitStats().reduce((n, r) => n + r.count, 0);
      return { icount: vm.icount, exits };
    }
    default:
      throw new CustomRequestError(`unknown request "${command}"`);
  }
}

/** The 80x25 CGA text screen: Vm.textScreen() when the platform has one, else guest memory at 0xB8000. */
export function textScreen(vm: Vm, vcpu: number): string[] {
  const withScreen = vm as unknown as { textScreen?: () => string[] };
  if (typeof withScreen.textScreen === 'function') return withScreen.textScreen();
  const { data } = vm.readMemory(vcpu, 'gpa', 0xb8000, 80 * 25 * 2);
  const lines: string[] = [];
  for (let row = 0; row < 25; row++) {
    let s = '';
    for (let col = 0; col < 80; col++) {
      const c = data[(row * 80 + col) * 2] ?? 0x20;
      s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ' ';
    }
    lines.push(s.trimEnd());
  }
  return lines;
}
