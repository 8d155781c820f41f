// The console, end to end in Chromium: sign-in, the contact flow, hydration, isolation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const ALICE = ['alice', 'alice-password-1'];
const BOB = ['bob', 'bob-password-22'];
const env = useRolo([[...ALICE, true], BOB]);

async function newPage() {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  return page;
}

test('signed-out visitors are sent to the sign-in page', async () => {
  const page = await newPage();
  const res = await page.goto(`${env.rolo.url}/`);
  assert.match(page.url(), /\/login$/);
  assert.equal(res.status(), 200);
  assertNoErrors(page);
  await page.context().close();
});

test('a wrong password is refused with a clear message', async () => {
  const page = await newPage();
  await page.goto(`${env.rolo.url}/login`);
  await hydrated(page);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
  assert.match(page.url(), /\/login/);
  assertNoErrors(page);
  await page.context().close();
});

test('create, edit and delete a contact in the hydrated console', async () => {
  const page = await newPage();
  await signIn(page, env.rolo.url, ...ALICE);
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await hydrated(page);
  await page.getByText('No contacts yet').waitFor();

  // New contact, with a second phone row added by a button that only works once hydrated.
  await page.getByRole('link', { name: 'New contact' }).click();
  await page.getByLabel('Family name').fill('张');
  await page.getByLabel('Given name').fill('伟');
  await page.getByLabel('Phone', { exact: true }).first().fill('+86 138-0013-8000');
  await page.getByRole('button', { name: 'Add phone' }).click();
  const phones = page.getByLabel('Phone', { exact: true });
  assert.equal(await phones.count(), 2);
  await phones.nth(1).fill('010 6552 9999');
  await page.getByLabel('Phone 2 type').selectOption('work');
  await page.getByLabel('Email', { exact: true }).first().fill('zhang.wei@example.cn');

  // A bad birthday: the error appears next to the field and nothing typed is lost.
  await page.getByLabel('Day').selectOption('30');
  await page.getByLabel('Month').selectOption({ label: 'February' });
  await page.getByLabel('Year (if known)').fill('1990');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#f-birthday-error').filter({ hasText: /birthday|day/ }).waitFor();
  assert.equal(await page.getByLabel('Family name').inputValue(), '张');
  assert.equal(await phones.nth(1).inputValue(), '010 6552 9999');
  assert.equal(await page.getByLabel('Day').inputValue(), '30');
  await page.getByLabel('Day').selectOption('28');
  await page.getByRole('button', { name: 'Save' }).click();

  await page.getByRole('heading', { name: '张伟' }).waitFor();
  await page.getByRole('link', { name: '+86 138-0013-8000' }).waitFor();
  await page.getByRole('link', { name: '010 6552 9999' }).waitFor();
  await page.getByText('28 February 1990').waitFor();

  // Edit.
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.getByLabel('Organization').fill('Rolo Ltd');
  await page.getByLabel('Department').fill('Research; Lab 2');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Rolo Ltd').waitFor();
  await page.getByText('Research; Lab 2').waitFor();
  await page.locator('p.meta').filter({ hasText: 'Revision 2' }).waitFor();
  // The history names who changed what (the fields, not the card they are kept in).
  await page.getByRole('listitem').filter({ hasText: /Revision 2 · .* · Console · changed department, organization/ }).waitFor();
  await page.getByRole('listitem').filter({ hasText: /Revision 1 · .* · Console · created/ }).waitFor();
  // Restore the first revision: it comes back as revision 3, the edit stays in the history.
  await hydrated(page);
  await page.getByRole('button', { name: 'Restore revision 1' }).click();
  await page.locator('p.meta').filter({ hasText: 'Revision 3' }).waitFor();
  assert.equal(await page.getByText('Rolo Ltd').count(), 0);
  await page.getByRole('listitem').filter({ hasText: /Revision 3 · .* · Console · changed department, organization/ }).waitFor();
  // Edit again so the rest of the test finds the organization.
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.getByLabel('Organization').fill('Rolo Ltd');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('p.meta').filter({ hasText: 'Revision 4' }).waitFor();

  // A second contact, then the live filter (works only after hydration).
  await page.goto(`${env.rolo.url}/contacts/new`);
  await hydrated(page);
  await page.getByLabel('Given name').fill('Ada');
  await page.getByLabel('Family name').fill('Lovelace');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
  await page.getByRole('link', { name: 'Contacts' }).click();
  await page.getByText('2 contacts').waitFor();
  await hydrated(page);
  // "/" jumps to the filter.
  await page.keyboard.press('/');
  await page.keyboard.type('13800138');
  assert.equal(await page.getByLabel('Search contacts').inputValue(), '13800138');
  await page.getByText('1 of 2 contacts').waitFor();
  assert.equal(await page.getByRole('link', { name: 'Ada Lovelace' }).count(), 0);
  await page.getByLabel('Search contacts').fill('');
  await page.getByText('2 contacts').waitFor();

  // Delete through the confirmation dialog.
  // On a desktop the name opens the contact beside the list; Open shows its own page.
  await page.getByRole('link', { name: 'Ada Lovelace' }).click();
  await page.locator('aside.contact-pane').getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
  await page.locator('aside.contact-pane').getByRole('link', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'Ada Lovelace', level: 1 }).waitFor();
  await hydrated(page);
  await page.getByRole('link', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this contact?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Delete contact' }).click();
  await page.getByText('1 contact', { exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Ada Lovelace' }).count(), 0);
  await page.getByRole('link', { name: '张伟' }).waitFor();

  // Sign out ends the session.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.goto(`${env.rolo.url}/`);
  assert.match(page.url(), /\/login$/);
  assertNoErrors(page);
  await page.context().close();
});

test('another account sees none of these contacts, not even by URL', async () => {
  const a = await newPage();
  await signIn(a, env.rolo.url, ...ALICE);
  await a.getByRole('link', { name: '张伟' }).click();
  await a.getByRole('heading', { name: '张伟' }).waitFor();
  const aliceContactUrl = a.url();
  assertNoErrors(a);
  await a.context().close();

  const b = await newPage();
  await signIn(b, env.rolo.url, ...BOB);
  await b.getByText('No contacts yet').waitFor();
  await b.goto(aliceContactUrl);
  await b.getByText('Not found').waitFor();
  assert.equal(await b.getByRole('heading', { name: '张伟' }).count(), 0);
  assertNoErrors(b);
  await b.context().close();
});

test('without JavaScript the console still signs in and lists contacts', async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, env.rolo.url, ...ALICE);
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await page.getByRole('link', { name: '张伟' }).waitFor();
  // The contact form and the delete confirmation are plain HTML forms.
  await page.getByRole('link', { name: 'New contact' }).click();
  await page.getByLabel('Given name').fill('Plain');
  await page.getByLabel('Family name').fill('Form');
  await page.getByLabel('Email', { exact: true }).first().fill('plain@example.org');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Plain Form' }).waitFor();
  await page.getByRole('link', { name: 'plain@example.org' }).waitFor();
  await page.getByRole('link', { name: 'Delete…' }).click();
  await page.getByRole('heading', { name: 'Delete Plain Form?' }).waitFor();
  await page.getByRole('button', { name: 'Delete contact' }).click();
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Plain Form' }).count(), 0);
  assertNoErrors(page);
  await context.close();
});
