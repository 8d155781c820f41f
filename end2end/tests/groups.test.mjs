// Groups in the console: create, assign in the contact form, filter with counts, rename, delete
// (the contacts stay).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const env = useRolo([['alice', 'alice-password-1']]);

test('groups: create, assign, filter, rename, delete', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'alice', 'alice-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await hydrated(page);

  const groups = page.getByRole('complementary', { name: 'Groups' });
  await groups.getByLabel('New group').fill('Family');
  await groups.getByRole('button', { name: 'Create' }).click();
  await groups.getByRole('link', { name: /Family/ }).waitFor();

  // A contact in the group, one outside it.
  await page.getByRole('link', { name: 'New contact' }).click();
  await hydrated(page);
  await page.getByLabel('Given name').fill('Ann');
  await page.getByLabel('Family name').fill('Able');
  await page.getByRole('checkbox', { name: 'Family' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Ann Able' }).waitFor();
  await page.getByRole('region', { name: 'Groups' }).getByRole('link', { name: 'Family' }).waitFor();
  await page.goto(`${env.rolo.url}/contacts/new`);
  await hydrated(page);
  await page.getByLabel('Given name').fill('Bob');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Bob' }).waitFor();

  // Counts and filtering.
  await page.getByRole('link', { name: 'Contacts', exact: true }).click();
  await page.getByText('2 contacts').waitFor();
  await hydrated(page);
  const family = groups.getByRole('link', { name: /Family/ });
  assert.match(await family.textContent(), /Family\s*1/);
  await family.click();
  await page.getByRole('heading', { name: 'Group: Family' }).waitFor();
  await page.getByText('1 contact', { exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Bob' }).count(), 0);
  await page.getByRole('link', { name: 'Ann Able' }).waitFor();

  // Rename.
  await page.getByLabel('Group name').fill('家人');
  await page.getByRole('button', { name: 'Rename' }).click();
  await groups.getByRole('link', { name: /家人/ }).waitFor();

  // Bulk: put Bob in the group through the selection.
  await page.getByRole('link', { name: 'All contacts' }).click();
  await page.getByText('2 contacts').waitFor();
  await page.getByRole('checkbox', { name: 'Select Bob' }).check();
  const bar = page.getByRole('form', { name: 'Selection' });
  await bar.getByLabel('Group for the selection').selectOption({ label: '家人' });
  await bar.getByRole('button', { name: 'Add to group' }).click();
  await page.waitForFunction(() => /家人\s*2/.test(document.querySelector('aside')?.textContent ?? ''));
  await groups.getByRole('link', { name: /家人/ }).click();
  await page.getByRole('heading', { name: 'Group: 家人' }).waitFor();
  await page.getByText('2 contacts').waitFor();

  // Delete: the contacts stay.
  await page.getByRole('button', { name: 'Delete group…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete group' }).click();
  await groups.getByRole('link', { name: /家人/ }).waitFor({ state: 'detached' });
  await page.getByText('2 contacts').waitFor();
  await page.getByRole('link', { name: 'Ann Able' }).click();
  await page.getByRole('heading', { name: 'Ann Able' }).waitFor();
  assert.equal(await page.getByRole('region', { name: 'Groups' }).count(), 0);

  // Bulk delete, with confirmation.
  await page.getByRole('link', { name: 'Contacts', exact: true }).click();
  await page.getByText('2 contacts').waitFor();
  await page.getByRole('checkbox', { name: 'Select all shown' }).check();
  await page.getByRole('form', { name: 'Selection' }).getByText('2 selected').waitFor();
  await page.getByRole('button', { name: 'Delete selected…' }).click();
  await page.getByRole('button', { name: 'Confirm: delete 2' }).click();
  await page.getByText('No contacts yet').waitFor();
  assertNoErrors(page);
  await context.close();
});
