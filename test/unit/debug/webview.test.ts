import { strict as assert } from 'node:assert';
import { translationHtml } from '../../../src/webview/translateHtml';
import { screenHtml } from '../../../src/webview/screenHtml';
import { translate, type TranslateSource } from '../../../src/core/debug/translate';

describe('webview HTML', () => {
  it('draws each guest level, the EPT walk and the result; escapes text', () => {
    const src: TranslateSource = { paging: { cr0: 0, cr3: 0, cr4: 0, efer: 0 }, eptp: null, hostRead32: () => 0, memslotHpa: (g) => (g < 0x1000 ? g + 0x5000 : -1) };
    const ok = translationHtml(translate(src, 0x123));
    assert.match(ok, /GVA 0x00000123 — no paging → HPA 0x00005123/);
    assert.doesNotMatch(ok, /<script/);
    const bad = translationHtml(translate(src, 0x2000));
    assert.match(bad, /no memslot covers/);
  });
  it('the guest screen is 25 rows of 80 columns, escaped', () => {
    const html = screenHtml(['<b>hi</b>'], 'running');
    assert.match(html, /&lt;b&gt;hi&lt;\/b&gt;/);
    const pre = /<pre>([\s\S]*)<\/pre>/.exec(html)![1];
    assert.equal(pre.split('\n').length, 25);
  });
});
