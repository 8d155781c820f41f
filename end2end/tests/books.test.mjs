// Shared address books in Chromium: an admin makes a company directory, shares it with everyone
// read-only and imports into it from the Import page; a user reads it with no edit controls; an
// owner shares a book read-write, the grantee edits a contact in it, the owner's history names
// the grantee; the share is withdrawn and the book is gone from the grantee's console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useRolo, signIn, hydrated, assertNoErrors, openContact } from './harness.mjs';

const env = useRolo([
  ['root', 'root-password-1', true],
  ['uma', 'uma-password-12'],
  ['olga', 'olga-password-1'],
]);
const dir = mkdtempSync(path.join(tmpdir(), 'rolo-books-'));

async function page(user, password) {
  const p = await (await env.browser.newContext()).newPage();
  await signIn(p, env.rolo.url, user, password);
  await p.getByRole('heading', { name: 'Contacts' }).waitFor();
  return p;
}

async function switchTo(p, label) {
  const switcher = p.getByLabel('Address book', { exact: true });
  await hydrated(p);
  const option = switcher.locator('option', { hasText: label });
  await switcher.selectOption(await option.getAttribute('value'));
  await p.waitForURL(`${env.rolo.url}/`);
  await p.getByRole('heading', { name: 'Contacts' }).waitFor();
}

test('a directory read by everyone, a book shared read-write, then withdrawn', async () => {
  // The admin makes the directory and shares it with everyone, read-only.
  const root = await page('root', 'root-password-1');
  await root.getByRole('link', { name: 'Address books' }).click();
  await root.getByRole('heading', { name: 'Address books' }).waitFor();
  await hydrated(root);
  const newDir = root.getByRole('form', { name: 'New company directory' });
  await newDir.getByLabel('Name').fill('Company <b>& Co</b>');
  await newDir.getByRole('button', { name: 'Create directory' }).click();
  const card = root.locator('li.book', { hasText: 'Company <b>& Co</b>' });
  await card.waitFor();
  const share = card.getByRole('form', { name: 'Share Company <b>& Co</b>' });
  await share.getByLabel('Share with').selectOption('everyone');
  await share.getByLabel('Permission').selectOption('read');
  await share.getByRole('button', { name: 'Share' }).click();
  await card.locator('.grantee', { hasText: 'everyone' }).waitFor();

  // … and fills it from the Import page.
  await card.getByRole('button', { name: 'Open Company <b>& Co</b>' }).click();
  await root.waitForURL(`${env.rolo.url}/`);
  await root.getByRole('link', { name: 'Import' }).click();
  await root.getByRole('heading', { name: 'Import contacts' }).waitFor();
  await hydrated(root);
  const csv = path.join(dir, 'company.csv');
  writeFileSync(csv, 'Name,Phone,Email\nReception Desk,555 0100,desk@example.com\nIT Help,555 0199,it@example.com\n');
  await root.getByLabel('File (CSV, Excel or vCard)').setInputFiles(csv);
  await root.getByRole('button', { name: 'Preview' }).click();
  await root.getByRole('region', { name: 'Preview' }).getByRole('cell', { name: 'Reception Desk' }).waitFor();
  await root.getByRole('button', { name: 'Import' }).click();
  const job = root.getByRole('region', { name: 'Import progress' });
  await job.getByText('Imported 2 · Updated 0 · Skipped 0 · Failed 1').or(job.getByText('Imported 2 · Updated 0 · Skipped 0 · Failed 0')).waitFor();
  assertNoErrors(root);

  // A user reads the directory: its contacts, no control to change them.
  const uma = await page('uma', 'uma-password-12');
  await switchTo(uma, 'Company <b>& Co</b>');
  await uma.getByRole('link', { name: 'Reception Desk' }).waitFor();
  assert.equal(await uma.getByRole('link', { name: 'New contact' }).isVisible(), false);
  await uma.getByRole('link', { name: 'Reception Desk' }).click();
  await uma.getByRole('heading', { name: 'Reception Desk' }).waitFor();
  assert.equal(await uma.getByRole('link', { name: 'Edit' }).isVisible(), false);
  // The page never ran the markup in the book's name.
  assert.equal(await uma.locator('option b').count(), 0);
  assertNoErrors(uma);

  // An owner shares a book read-write with uma.
  const olga = await page('olga', 'olga-password-1');
  await olga.getByRole('link', { name: 'Address books' }).click();
  await hydrated(olga);
  const newBook = olga.getByRole('form', { name: 'New address book' });
  await newBook.getByLabel('Name').fill('Project X');
  await newBook.getByRole('button', { name: 'Create address book' }).click();
  const projectCard = olga.locator('li.book', { hasText: 'Project X' });
  await projectCard.waitFor();
  const shareX = projectCard.getByRole('form', { name: 'Share Project X' });
  await shareX.getByLabel('Username').fill('uma');
  await shareX.getByLabel('Permission').selectOption('write');
  await shareX.getByRole('button', { name: 'Share' }).click();
  await projectCard.locator('.grantee', { hasText: 'uma' }).waitFor();
  const projectCsv = path.join(dir, 'project.csv');
  writeFileSync(projectCsv, 'Name,Phone\nPat Partner,555 0142\n');
  env.rolo.cli(['import', '--account', 'olga', '--book', 'Project X', projectCsv]);

  // The grantee edits a contact of it.
  await uma.goto(`${env.rolo.url}/`);
  await switchTo(uma, 'Project X');
  await uma.getByRole('link', { name: 'Pat Partner' }).click();
  await uma.getByRole('link', { name: 'Edit' }).click();
  await hydrated(uma);
  await uma.getByLabel('Notes').fill('Met at the fair');
  await uma.getByRole('button', { name: 'Save' }).click();
  await uma.getByText('Met at the fair').waitFor();

  // The owner sees who changed it.
  await olga.goto(`${env.rolo.url}/`);
  await switchTo(olga, 'Project X');
  await openContact(olga, 'Pat Partner');
  await olga.locator('.history-list .by', { hasText: 'uma · Console' }).waitFor();

  // Withdrawn: the book is gone from uma's console at once.
  await olga.getByRole('link', { name: 'Address books' }).click();
  await hydrated(olga);
  await olga.locator('li.book', { hasText: 'Project X' }).getByRole('button', { name: 'Stop sharing with uma' }).click();
  await olga.locator('li.book', { hasText: 'Project X' }).getByText('Nobody yet.').waitFor();
  await uma.goto(`${env.rolo.url}/`);
  await uma.getByRole('heading', { name: 'Contacts' }).waitFor();
  assert.equal(await uma.getByLabel('Address book', { exact: true }).locator('option', { hasText: 'Project X' }).count(), 0);
  assert.equal(await uma.getByRole('link', { name: 'Pat Partner' }).count(), 0);
  for (const p of [root, uma, olga]) {
    assertNoErrors(p);
    await p.context().close();
  }
});

test('contacts move and copy between books', async () => {
  const csv = path.join(dir, 'mine.csv');
  writeFileSync(csv, 'Name,Phone\nMoving Mia,555 0110\nCopied Cy,555 0111\n');
  env.rolo.cli(['import', '--account', 'olga', csv]);
  const olga = await page('olga', 'olga-password-1');
  await hydrated(olga);
  await olga.getByRole('checkbox', { name: 'Select Moving Mia' }).check();
  const bar = olga.getByRole('form', { name: 'Selection' });
  await bar.getByLabel('Address book for the selection').selectOption({ label: 'Project X' });
  await bar.getByRole('button', { name: 'Move to book' }).click();
  // The list is loaded again without the contact moved.
  await olga.getByRole('link', { name: 'Copied Cy' }).waitFor();
  await olga.waitForFunction(() => !document.body.textContent.includes('Moving Mia'));
  await hydrated(olga);
  await olga.getByRole('checkbox', { name: 'Select Copied Cy' }).check();
  await bar.getByLabel('Address book for the selection').selectOption({ label: 'Project X' });
  await bar.getByRole('button', { name: 'Copy to book' }).click();
  await bar.getByText('1 copied').waitFor();
  assert.equal(await olga.getByRole('link', { name: 'Copied Cy' }).count(), 1);
  await switchTo(olga, 'Project X');
  await olga.getByRole('link', { name: 'Moving Mia' }).waitFor();
  await olga.getByRole('link', { name: 'Copied Cy' }).waitFor();
  assertNoErrors(olga);
  await olga.context().close();
});
