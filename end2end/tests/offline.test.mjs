// Offline use in Chromium, at phone, tablet and desktop sizes: the console's service worker keeps
// the list and the contacts opened; with the connection gone (the browser offline and the server
// stopped) they stay readable, a contact edited and one made are queued with a visible count, and
// when the server is back they are sent through the sync API as this browser's device — an edit
// that met a phone's edit of the same contact keeps both. Sign-out deletes what the browser kept,
// and offline use can be turned off. Screenshots go to end2end/test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRolo, signIn, hydrated, assertNoErrors, openContact, deviceApi, downloadAll } from './harness.mjs';

const env = useRolo([['olive', 'olive-password-1']]);
const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results');

const api = (token, method, url, body) => deviceApi(env.rolo, token, method, url, body);

/// The latest change of every contact the device can download.
async function everything(token) {
  const { changes } = await downloadAll(env.rolo, token, null);
  return Object.fromEntries(changes.map((c) => [c.id, c]));
}

const sizes = [['phone', 390, 844], ['tablet', 820, 1180], ['desktop', 1280, 800]];
const annId = (i) => `0190f5a4-3c1e-7cc2-9d1e-0000000b000${i}`;

test('the console reads offline, queues edits, and sends them when the connection returns', async () => {
  const token = env.rolo.cli(['device', 'create', '--account', 'olive', '--name', 'Phone', '--kind', 'phone']).trim();
  const { results } = await api(token, 'POST', '/sync/upload', {
    changes: sizes.map(([name], i) => ({ id: annId(i), op: 'upsert', data: { name: { given: 'Ann', family: `A-${name}` } } })),
  });
  assert.ok(results.every((r) => r.status === 'created'), JSON.stringify(results));
  mkdirSync(shots, { recursive: true });

  for (const [i, [name, width, height]] of sizes.entries()) {
    const ann = `Ann A-${name}`;
    const context = await env.browser.newContext({ viewport: { width, height }, serviceWorkers: 'allow' });
    const page = await context.newPage();
    await signIn(page, env.rolo.url, 'olive', 'olive-password-1');
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await hydrated(page);
    // The worker is installed; the page loaded again is in its charge, the list loaded through
    // it (and kept).
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.reload();
    await hydrated(page);
    assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the worker answers for the page');
    await openContact(page, ann);
    await page.goto(`${env.rolo.url}/`);
    await hydrated(page);

    // Meanwhile the phone adds an email to Ann (revision 2; the browser saw revision 1).
    const phoneEdit = await api(token, 'POST', '/sync/upload', {
      changes: [{ id: annId(i), op: 'upsert', base_revision: 1, data: { name: { given: 'Ann', family: `A-${name}` }, emails: [{ label: 'work', value: `ann.${name}@example.com` }] } }],
    });
    assert.equal(phoneEdit.results[0].status, 'updated');

    // The connection goes: the browser is offline and nobody answers at the server's address.
    await context.setOffline(true);
    await env.rolo.pause();
    await page.reload();
    await hydrated(page);
    await page.getByText('You are offline.').waitFor();
    await page.locator('table.contacts td.name a', { hasText: ann }).waitFor();

    // An edit: Ann, opened before, opens from what was kept; the nickname is saved in the queue.
    await openContact(page, ann);
    await page.locator('[data-key="e"]:visible').first().click();
    await page.getByLabel('Nickname').fill(`Offline ${name}`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: ann, level: 1 }).waitFor();
    await page.getByText(`Offline ${name}`).waitFor();
    await page.getByText('1 change waiting to be sent').waitFor();

    // A new contact, made offline: it exists in the queue only. (The list, reached inside the
    // page, reads its kept answer.)
    await page.locator('a.brand').first().click();
    await page.locator('table.contacts td.name a', { hasText: ann }).waitFor();
    await page.locator('[data-key="n"]:visible').first().click();
    await page.getByLabel('Given name').fill('Nora');
    await page.getByLabel('Family name').fill(`N-${name}`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: `Nora N-${name}`, level: 1 }).waitFor();
    await page.getByText('2 changes waiting to be sent').waitFor();
    await page.locator('.pending summary').click();
    assert.deepEqual(
      (await page.locator('.pending li').allTextContents()).map((t) => t.trim()),
      [`${ann} (changed)`, `Nora N-${name} (new)`],
    );
    await page.screenshot({ path: path.join(shots, `offline-pending-${name}.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: nothing is wider than the screen (${overflow} px)`);
    // The queue survives loading the console afresh (kept in this browser's storage).
    await page.goto(`${env.rolo.url}/`);
    await hydrated(page);
    await page.getByText('2 changes waiting to be sent').waitFor();

    // The connection returns: the queue is sent, the page shows the server's contacts again.
    await env.rolo.resume();
    await context.setOffline(false);
    await page.getByText('2 changes made offline were sent.').waitFor({ timeout: 20000 });
    await hydrated(page);
    assert.equal(await page.getByText('changes waiting to be sent').count(), 0);
    await page.screenshot({ path: path.join(shots, `offline-sent-${name}.png`), fullPage: true });

    // The server has both: the phone's email and the browser's nickname on Ann, and Nora.
    const all = await everything(token);
    const annNow = all[annId(i)].data;
    assert.equal(annNow.nickname, `Offline ${name}`);
    assert.deepEqual(annNow.emails.map((e) => e.value), [`ann.${name}@example.com`]);
    assert.ok(Object.values(all).some((c) => c.op === 'upsert' && c.data.display_name === `Nora N-${name}`), 'Nora reached the server');
    // Sent as this browser's device: its history says so.
    await page.goto(`${env.rolo.url}/`);
    await hydrated(page);
    await openContact(page, ann);
    await page.getByRole('listitem').filter({ hasText: 'Web browser (offline changes)' }).first().waitFor();
    assertNoErrors(page);

    if (name === 'desktop') {
      // Turned off: the worker and the kept pages go, and the choice is remembered.
      await page.goto(`${env.rolo.url}/account`);
      await hydrated(page);
      const box = page.getByLabel('Keep contacts on this browser for offline use');
      assert.equal(await box.isChecked(), true);
      await box.uncheck();
      await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistrations()).length === 0);
      await page.waitForFunction(async () => !(await caches.has('rolo-pages')));
      assert.equal(await page.evaluate(() => localStorage.getItem('rolo.offline')), 'off');
      await page.reload();
      await hydrated(page);
      assert.equal(await box.isChecked(), false);
      await box.check();
      await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistrations()).length === 1);
    }

    // Signing out deletes what this browser kept of the account (once the worker, registered
    // again on the desktop, is in charge and has kept the list).
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.goto(`${env.rolo.url}/`);
    await hydrated(page);
    await page.waitForFunction(async () => caches.has('rolo-pages'), null, { timeout: 20000 });
    await page.locator('form.sign-out').evaluate((f) => f.requestSubmit());
    await page.waitForURL(/\/login/);
    await page.waitForFunction(async () => !(await caches.has('rolo-pages')));
    const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => /^rolo\.(pending|device|account)/.test(k)));
    assert.deepEqual(kept, []);
    await context.close();
  }
});
