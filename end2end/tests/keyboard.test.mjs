// The console by keyboard alone: "/" searches, "j"/"k" walk the list and Enter opens a contact,
// "e" edits it, Ctrl+S saves the form (while typing in it), "n" starts a new contact; none of
// these letters fires while the user types in a field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const env = useRolo([['kim', 'kim-password-123']]);

test('shortcuts for search, next and previous, open, edit, save and new', async () => {
  env.rolo.cli(['dev', 'seed', '--account', 'kim', '--contacts', '20']);
  const page = await (await env.browser.newContext()).newPage();
  await signIn(page, env.rolo.url, 'kim', 'kim-password-123');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await hydrated(page);
  const names = page.locator('table.contacts td.name a');
  const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');

  await page.keyboard.press('j');
  assert.equal(await focused(), (await names.nth(0).textContent()).trim());
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  assert.equal(await focused(), (await names.nth(2).textContent()).trim());
  await page.keyboard.press('k');
  const second = (await names.nth(1).textContent()).trim();
  assert.equal(await focused(), second);

  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: second }).waitFor();
  await page.keyboard.press('e');
  await page.getByLabel('Organization').waitFor();
  await page.getByLabel('Organization').fill('Keyboard Works');
  // Typing "e", "n" or "j" into a field is text, not a shortcut.
  assert.equal(await page.getByLabel('Organization').inputValue(), 'Keyboard Works');
  assert.match(page.url(), /\/edit$/);
  await page.keyboard.press('Control+s');
  await page.getByText('Keyboard Works').waitFor();
  assert.doesNotMatch(page.url(), /\/edit$/);

  await page.goto(`${env.rolo.url}/`);
  await hydrated(page);
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'search');
  await page.keyboard.type('n');
  assert.equal(await page.locator('input[type=search]').inputValue(), 'n', 'typed, not a shortcut');
  await page.locator('input[type=search]').fill('');
  await page.locator('h1').first().click();
  await page.keyboard.press('n');
  await page.getByLabel('Given name').waitFor();
  assert.match(page.url(), /\/contacts\/new$/);
  assertNoErrors(page);
});
