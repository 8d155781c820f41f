// More fields from a catalogue, kept in the order the user sets: the form's "Add field"
// control adds a website, an instant messaging address, a related person and an anniversary
// (day and month, year optional), each with labels that fit it; phones move up and down with
// buttons the keyboard reaches; everything is saved, shown (user text as text, websites as
// safe links) and comes back in the form and in the vCard export in the order set. At phone,
// tablet and desktop sizes, with screenshots in end2end/test-results/, and no axe finding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const env = useRolo([['cat', 'cat-password-12']]);
const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

async function axe(page, label) {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
    return r.violations.map((v) => `${v.impact} ${v.id} (${v.nodes[0]?.target?.join(' ')}): ${v.help}`);
  });
  assert.deepEqual(found, [], `${label}: ${found.join('\n')}`);
}

async function addField(page, what) {
  await page.locator('#f-add-field').selectOption(what);
  await page.getByRole('button', { name: 'Add field', exact: true }).click();
}

async function vcard(page, format = 'vcf3') {
  const text = await page.evaluate(async (f) => (await fetch(`/console/export?format=${f}`)).text(), format);
  return text.replace(/\r\n /g, '').split('\r\n');
}

const phoneValues = (page) => page.locator('input[name^="contact[phones]"][name$="[value]"]').evaluateAll((els) => els.map((e) => [e.name, e.value]));

test('catalogue fields added, reordered, saved, shown and exported', async () => {
  mkdirSync(shots, { recursive: true });
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'cat', 'cat-password-12');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await page.goto(`${env.rolo.url}/contacts/new`);
  await hydrated(page);

  // The catalogue offers every field; the new kinds are not on the form until added.
  const offered = await page.locator('#f-add-field').evaluate((s) => [...s.options].map((o) => o.value));
  assert.deepEqual(offered, ['phone', 'email', 'address', 'website', 'im', 'related', 'anniversary', 'other']);
  assert.equal(await page.getByRole('group', { name: 'Websites' }).count(), 0);

  await page.getByLabel('Given name').fill('Cat');
  await page.getByLabel('Family name').fill('Alogue');
  for (const [i, n] of ['0001', '0002', '0003'].entries()) {
    if (i > 0) await addField(page, 'phone');
    await page.locator(`#f-phones-${i}--value`).fill(`+1 555 ${n}`);
  }
  await page.getByLabel('Phone 2 type').selectOption('work');

  await addField(page, 'website');
  // The new row's value has the focus.
  await page.waitForFunction(() => document.activeElement?.id === 'f-websites-0--value');
  assert.deepEqual(await page.getByLabel('Website 1 type').evaluate((s) => [...s.options].map((o) => o.value)), ['home', 'work', 'other', '_custom']);
  await page.keyboard.type('example.com/<b>cat</b>');
  await page.getByLabel('Website 1 type').selectOption('work');
  await page.getByRole('button', { name: 'Add website' }).click();
  await page.locator('#f-websites-1--value').fill('javascript:alert(1)');

  await addField(page, 'im');
  await page.locator('#f-ims-0--value').fill('xmpp:cat@example.com');
  await page.getByLabel('Instant messaging address 1 type').selectOption('home');

  await addField(page, 'related');
  assert.deepEqual(await page.getByLabel('Related person 1 relation').evaluate((s) => [...s.options].map((o) => o.value)),
    ['spouse', 'partner', 'parent', 'child', 'sibling', 'friend', 'assistant', 'manager', 'other', '_custom']);
  await page.getByLabel('Related person 1 relation').selectOption('spouse');
  await page.locator('#f-related-0--value').fill('Bo <i>Lee</i>');

  await addField(page, 'anniversary');
  await page.waitForFunction(() => document.activeElement?.id === 'f-anniversary-day');
  await page.locator('#f-anniversary-day').selectOption('15');
  await page.locator('#f-anniversary-month').selectOption({ label: 'August' });

  // Phone 3 moves up with the keyboard alone; the button keeps the focus as its row moves.
  await page.getByRole('button', { name: 'Move Phone 3 up' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Move Phone 2 up');
  assert.deepEqual(await phoneValues(page), [
    ['contact[phones][0][value]', '+1 555 0001'],
    ['contact[phones][1][value]', '+1 555 0003'],
    ['contact[phones][2][value]', '+1 555 0002'],
  ]);
  // What was chosen moved with the row.
  assert.equal(await page.getByLabel('Phone 3 type').inputValue(), 'work');
  // At the top, "up" says it cannot move, and does nothing.
  const topUp = page.getByRole('button', { name: 'Move Phone 1 up' });
  assert.equal(await topUp.getAttribute('aria-disabled'), 'true');
  await topUp.focus();
  await page.keyboard.press('Enter');
  assert.equal((await phoneValues(page))[0][1], '+1 555 0001');
  await page.screenshot({ path: path.join(shots, 'catalogue-form-desktop.png'), fullPage: true });

  // A website that is not one: its message by its field, nothing typed lost.
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#f-websites-1--value-error').filter({ hasText: 'http:// or https://' }).waitFor();
  assert.equal(await page.locator('#f-related-0--value').inputValue(), 'Bo <i>Lee</i>');
  await page.locator('#f-websites-1--value').fill('https://cat.example.org/');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Cat Alogue', exact: true, level: 1 }).waitFor();
  const contactUrl = page.url();

  // Shown: user text as text, websites as links that are always http(s) and safe.
  const card = page.locator('.contact-card');
  await card.getByText('15 August', { exact: true }).waitFor();
  await card.getByText('Bo <i>Lee</i>', { exact: true }).waitFor();
  assert.equal(await card.locator('dd i, dd b, dt i, dt b').count(), 0);
  const links = await card.locator('a[rel]').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('rel'), a.textContent]));
  assert.deepEqual(links, [
    ['https://example.com/<b>cat</b>', 'noopener noreferrer nofollow', 'example.com/<b>cat</b>'],
    ['https://cat.example.org/', 'noopener noreferrer nofollow', 'https://cat.example.org/'],
  ]);
  const terms = await card.locator('dt').allTextContents();
  for (const t of ['Work', 'XMPP · Home', 'Spouse', 'Anniversary']) assert.ok(terms.includes(t), terms.join(' | '));
  await axe(page, 'contact with catalogue fields');

  // The vCard: every field on its line, the phones in the order set.
  let lines = await vcard(page);
  assert.deepEqual(lines.filter((l) => l.startsWith('TEL')), ['TEL:+1 555 0001', 'TEL:+1 555 0003', 'TEL;TYPE=work:+1 555 0002']);
  assert.ok(lines.includes('URL;TYPE=work:example.com/<b>cat</b>'), lines.join('\n'));
  assert.ok(lines.includes('URL:https://cat.example.org/'), lines.join('\n'));
  assert.ok(lines.includes('IMPP;TYPE=home:xmpp:cat@example.com'), lines.join('\n'));
  assert.ok(lines.some((l) => /^item\d+\.X-ABRELATEDNAMES:Bo <i>Lee<\/i>$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^item\d+\.X-ABLabel:_\$!<Spouse>!\$_$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^item\d+\.X-ABDATE;X-APPLE-OMIT-YEAR=1604:1604-08-15$/.test(l)), lines.join('\n'));

  // Back in the form: every field and the order as saved; move phone 3 to the top and save.
  await page.goto(`${contactUrl}/edit`);
  await hydrated(page);
  assert.deepEqual((await phoneValues(page)).map(([, v]) => v), ['+1 555 0001', '+1 555 0003', '+1 555 0002', '']);
  assert.equal(await page.locator('#f-websites-0--value').inputValue(), 'example.com/<b>cat</b>');
  assert.equal(await page.getByLabel('Related person 1 relation').inputValue(), 'spouse');
  assert.equal(await page.locator('#f-anniversary-day').inputValue(), '15');
  assert.equal(await page.locator('#f-anniversary-month').inputValue(), '8');
  assert.equal(await page.locator('#f-anniversary-year').inputValue(), '');
  await axe(page, 'form with catalogue fields');
  await page.getByRole('button', { name: 'Move Phone 3 up' }).click();
  await page.getByRole('button', { name: 'Move Phone 2 up' }).click();
  await page.getByRole('button', { name: 'Move Website 2 up' }).click();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Cat Alogue', exact: true, level: 1 }).waitFor();
  lines = await vcard(page);
  assert.deepEqual(lines.filter((l) => l.startsWith('TEL')), ['TEL;TYPE=work:+1 555 0002', 'TEL:+1 555 0001', 'TEL:+1 555 0003']);
  assert.deepEqual(lines.filter((l) => l.startsWith('URL')), ['URL:https://cat.example.org/', 'URL;TYPE=work:example.com/<b>cat</b>']);
  const shown = await page.locator('.contact-card a[href^="tel:"]').allTextContents();
  assert.deepEqual(shown, ['+1 555 0002', '+1 555 0001', '+1 555 0003']);
  // The anniversary removed from the form is gone from the card, and only it.
  await page.goto(`${contactUrl}/edit`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Remove the anniversary' }).click();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Cat Alogue', exact: true, level: 1 }).waitFor();
  const after = await vcard(page);
  assert.ok(!after.some((l) => l.includes('X-ABDATE') || l.includes('Anniversary')), after.join('\n'));
  assert.equal(after.length, lines.length - 2, after.join('\n'));
  assertNoErrors(page);
  await context.close();

  // The form and the contact at each size: nothing wider than the screen.
  for (const [name, width, height] of [['phone', 390, 844], ['tablet', 820, 1180], ['desktop', 1280, 800]]) {
    const ctx = await env.browser.newContext({ viewport: { width, height } });
    const p = await ctx.newPage();
    await signIn(p, env.rolo.url, 'cat', 'cat-password-12');
    await p.getByRole('heading', { name: 'Contacts' }).waitFor();
    for (const [what, url] of [['form', `${contactUrl}/edit`], ['contact', contactUrl]]) {
      await p.goto(url);
      await hydrated(p);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} ${what}: ${overflow} px wider than the screen`);
      await p.screenshot({ path: path.join(shots, `catalogue-${what}-${name}.png`), fullPage: true });
    }
    await ctx.close();
  }
});
