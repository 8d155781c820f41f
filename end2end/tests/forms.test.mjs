// The contact form fits the data: a phone's label is chosen from phone labels (fax, pager…), an
// email's from email labels, with a label of one's own behind "Custom…"; one entry of each kind
// can be marked preferred; the birthday is a day, a month and a year that may stay empty. What
// is chosen is saved, shown, and comes back in the form; a vCard export carries the marks. At
// phone, tablet and desktop sizes, with screenshots in end2end/test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const env = useRolo([['flo', 'flo-password-1']]);
const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results');

async function options(page, label) {
  return page.getByLabel(label, { exact: true }).evaluate((s) => [...s.options].map((o) => o.value));
}

test('labels from lists that fit, preferred marks and a birthday without a year', async () => {
  mkdirSync(shots, { recursive: true });
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'flo', 'flo-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await page.goto(`${env.rolo.url}/contacts/new`);
  await hydrated(page);

  // Each field its own list.
  assert.deepEqual(await options(page, 'Phone 1 type'), ['mobile', 'work', 'home', 'main', 'fax', 'pager', 'other', '_custom']);
  assert.deepEqual(await options(page, 'Email 1 type'), ['work', 'home', 'other', '_custom']);
  assert.deepEqual(await options(page, 'Address 1 type'), ['home', 'work', 'other', '_custom']);

  await page.getByLabel('Given name').fill('Flora');
  await page.getByLabel('Family name').fill('Fax');
  await page.getByLabel('Phone', { exact: true }).first().fill('+1 555 0101');
  await page.getByLabel('Phone 1 type').selectOption('fax');
  await page.getByRole('button', { name: 'Add phone' }).click();
  await page.getByLabel('Phone', { exact: true }).nth(1).fill('+1 555 0102');
  // A label of one's own: the box appears for "Custom…".
  const custom = page.locator('#f-phones-1--label-custom');
  assert.equal(await custom.isVisible(), false);
  await page.getByLabel('Phone 2 type').selectOption('_custom');
  await custom.waitFor({ state: 'visible' });
  await custom.fill('Grandma <b>line</b>');
  await page.getByRole('radio', { name: 'Preferred Phone 2' }).check();
  await page.getByLabel('Email', { exact: true }).first().fill('flora@example.com');
  await page.getByLabel('Email 1 type').selectOption('home');
  await page.getByRole('radio', { name: 'Preferred Email 1' }).check();
  // The birthday: 29 February without a year is a day that exists.
  await page.getByLabel('Day').selectOption('29');
  await page.getByLabel('Month').selectOption({ label: 'February' });
  await page.screenshot({ path: path.join(shots, 'form-desktop.png'), fullPage: true });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Flora Fax' }).waitFor();
  const contactUrl = page.url();

  // Shown with its labels (one's own as text, not markup) and marks.
  await page.getByText('29 February', { exact: true }).waitFor();
  const terms = await page.locator('.contact-card dt').allTextContents();
  assert.ok(terms.includes('Fax'), terms.join(' | '));
  assert.ok(terms.includes('Grandma <b>line</b> · preferred'), terms.join(' | '));
  assert.ok(terms.includes('Home · preferred'), terms.join(' | '));
  assert.equal(await page.locator('.contact-card dt b').count(), 0);

  // The vCard export carries them: TYPE=fax, the Apple label, TYPE=pref on the right lines.
  const card = await page.evaluate(async () => (await fetch('/console/export?format=vcf3')).text());
  const lines = card.replace(/\r\n /g, '').split('\r\n');
  assert.ok(lines.some((l) => /^TEL;TYPE=fax:\+1 555 0101$/i.test(l)), card);
  const grandma = lines.find((l) => l.includes('+1 555 0102'));
  assert.match(grandma, /pref/i, card);
  assert.match(lines.find((l) => l.startsWith('EMAIL')), /home.*pref|pref.*home/i, card);
  assert.ok(lines.some((l) => /^BDAY.*(--0229|1604-02-29)/.test(l)), card);

  // Back in the form: every choice as it was.
  await page.goto(`${contactUrl}/edit`);
  await hydrated(page);
  assert.equal(await page.getByLabel('Phone 1 type').inputValue(), 'fax');
  assert.equal(await page.getByLabel('Phone 2 type').inputValue(), '_custom');
  assert.equal(await custom.inputValue(), 'Grandma <b>line</b>');
  assert.ok(await page.getByRole('radio', { name: 'Preferred Phone 2' }).isChecked());
  assert.ok(await page.getByRole('radio', { name: 'Preferred Email 1' }).isChecked());
  assert.equal(await page.getByLabel('Day').inputValue(), '29');
  assert.equal(await page.getByLabel('Month').inputValue(), '2');
  assert.equal(await page.getByLabel('Year (if known)').inputValue(), '');

  // A year that makes the day impossible: a message by the birthday, nothing typed lost.
  await page.getByLabel('Year (if known)').fill('2023');
  await page.getByLabel('Nickname').fill('Flo');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#f-birthday-error').filter({ hasText: 'That day does not exist.' }).waitFor();
  assert.equal(await page.getByLabel('Nickname').inputValue(), 'Flo');
  assert.equal(await custom.inputValue(), 'Grandma <b>line</b>');
  await page.getByLabel('Year (if known)').fill('2024');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('29 February 2024', { exact: true }).waitFor();
  assertNoErrors(page);
  await context.close();

  // The form at each size: nothing wider than the screen.
  for (const [name, width, height] of [['phone', 390, 844], ['tablet', 820, 1180], ['desktop', 1280, 800]]) {
    const ctx = await env.browser.newContext({ viewport: { width, height } });
    const p = await ctx.newPage();
    await signIn(p, env.rolo.url, 'flo', 'flo-password-1');
    await p.getByRole('heading', { name: 'Contacts' }).waitFor();
    await p.goto(`${contactUrl}/edit`);
    await hydrated(p);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: the form is ${overflow} px wider than the screen`);
    await p.screenshot({ path: path.join(shots, `form-${name}.png`), fullPage: true });
    await ctx.close();
  }
});
