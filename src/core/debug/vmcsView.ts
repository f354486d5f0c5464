// The VMCS as the Variables view shows it: every field of VMCS_FIELDS, grouped as the SDM groups
// them (Vol. 3C 25.3-25.9), with hex of the field's width and decoded bits where the field has them.
import type { FieldView, GroupView } from './debugApi';
import type { Vmcs } from '../hw/vmx/vmcs';
import { fieldWidth, VMCS_FIELDS, type VmcsGroup } from '../hw/vmx/vmcsFields';
import { decodeFieldBits } from '../hw/vmx/vmxControls';

/** SDM order of the VMCS areas, with the names the SDM gives them. */
export const VMCS_GROUP_ORDER: readonly (readonly [VmcsGroup, string])[] = [
  ['guest', 'Guest-state area'],
  ['host', 'Host-state area'],
  ['execControl', 'VM-execution control fields'],
  ['exitControl', 'VM-exit control fields'],
  ['entryControl', 'VM-entry control fields'],
  ['exitInfo', 'VM-exit information fields'],
];

const hex = (v: number, digits: number): string => '0x' + (v >>> 0).toString(16).padStart(digits, '0');

/** One group per VMCS area, fields in Appendix B (encoding) order. */
export function vmcsView(vmcs: Vmcs): GroupView[] {
  const groups = new Map<VmcsGroup, GroupView>();
  for (const [g, name] of VMCS_GROUP_ORDER) groups.set(g, { name, fields: [] });
  for (const f of VMCS_FIELDS) {
    const w = fieldWidth(f.encoding);
    const value = vmcs.read(f.encoding) >>> 0;
    let text: string;
    if (w === 16) text = hex(value & 0xffff, 4);
    else if (w === 64) text = '0x' + vmcs.read64(f.encoding).toString(16).padStart(16, '0');
    else text = hex(value, 8);
    const widthWords = w === 'natural' ? 'natural width' : `${w}-bit`;
    const view: FieldView = {
      name: f.name,
      value,
      text,
      detail: `encoding 0x${f.encoding.toString(16).padStart(4, '0')}, ${widthWords}`,
    };
    const bits = decodeFieldBits(f.encoding, value);
    if (bits !== undefined) view.bits = bits.map((b) => (b.text === undefined ? { name: b.name, value: b.value } : { name: b.name, value: b.value, text: b.text }));
    groups.get(f.group)!.fields.push(view);
  }
  return VMCS_GROUP_ORDER.map(([g]) => groups.get(g)!);
}
