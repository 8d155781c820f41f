// Devices page in Chromium: add a device, use its token against the sync API, see the sync
// recorded, revoke it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRolo, signIn, hydrated, assertNoErrors, openContact } from './harness.mjs';

const env = useRolo([['alice', 'alice-password-1']]);

test('a device added in the console syncs with its token and can be revoked', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'alice', 'alice-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await page.getByRole('link', { name: 'Devices' }).click();
  await page.getByRole('heading', { name: 'Devices' }).waitFor();
  await hydrated(page);
  await page.getByText('No devices yet.').waitFor();

  await page.getByLabel('Device name').fill('Work laptop');
  await page.getByLabel('Kind').selectOption('pc');
  await page.getByRole('button', { name: 'Add device' }).click();
  const box = page.getByRole('status', { name: 'New device token' });
  await box.waitFor();
  const token = (await box.getByTestId('device-token').textContent()).trim();
  assert.match(token, /^rolo_[A-Za-z0-9_-]{40,}$/);
  await page.getByRole('cell', { name: 'never' }).waitFor();

  // The device uploads a contact with its token.
  const id = '0190f5a4-3c1e-7cc2-9d1e-1b2c3d4e5f77';
  const res = await fetch(`${env.rolo.url}/api/v1/sync/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ changes: [{ id, op: 'upsert', data: { name: { given: 'From', family: 'Laptop' } } }] }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).results[0].status, 'created');

  // The console shows the contact and the device's sync.
  await page.reload();
  await hydrated(page);
  await page.getByRole('cell', { name: /from 127\.0\.0\.1/ }).waitFor();
  await page.getByRole('cell', { name: '0 / 1' }).waitFor();
  await page.getByRole('link', { name: 'Contacts' }).click();
  await openContact(page, 'From Laptop');
  await page.getByRole('listitem').filter({ hasText: /Revision 1 · .* · Work laptop \(pc\) · created/ }).waitFor();

  // Revoke: the token stops working.
  await page.getByRole('link', { name: 'Devices' }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Revoke Work laptop' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke Work laptop?' });
  await dialog.getByRole('button', { name: 'Revoke device' }).click();
  await page.getByRole('cell', { name: /^revoked/ }).waitFor();
  const after = await fetch(`${env.rolo.url}/api/v1/sync/status`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(after.status, 401);
  assertNoErrors(page);
  await context.close();
});
