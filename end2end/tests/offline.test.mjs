// Offline use in Chromium, at phone, tablet and desktop sizes: the console's service worker keeps
// the list and the contacts opened; with the connection gone (the browser offline and the server
// stopped) they stay readable, a contact edited and one made are queued with a visible count, and
// when the server is back they are sent through the sync API as this browser's device — an edit
// that met a phone's edit of the same contact keeps both. Sign-out deletes what the browser kept,
// and offline use can be turned off. A deletion made offline is sent the same way; a change the
// server refuses (here: too large for its size limit) stays, marked, until it is discarded.
// Screenshots go to end2end/test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRolo, signIn, hydrated, assertNoErrors, openContact, deviceApi, downloadAll } from './harness.mjs';

// A small size limit, so that a contact with long notes is refused by the server (the browser
// does not know the limit).
const env = useRolo([['olive', 'olive-password-1']], { ROLO_MAX_CONTACT_KB: '8' });
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

test('a deletion made offline is sent; a change the server refuses waits until it is discarded', async () => {
  const token = env.rolo.cli(['device', 'create', '--account', 'olive', '--name', 'Tablet', '--kind', 'phone']).trim();
  const dora = '0190f5a4-3c1e-7cc2-9d1e-0000000d0001';
  const ed = '0190f5a4-3c1e-7cc2-9d1e-0000000d0002';
  const { results } = await api(token, 'POST', '/sync/upload', {
    changes: [
      { id: dora, op: 'upsert', data: { name: { given: 'Dora', family: 'D' } } },
      { id: ed, op: 'upsert', data: { name: { given: 'Ed', family: 'E' } } },
    ],
  });
  assert.ok(results.every((r) => r.status === 'created'), JSON.stringify(results));

  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'allow' });
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'olive', 'olive-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await hydrated(page);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await hydrated(page);
  for (const name of ['Dora D', 'Ed E']) {
    await openContact(page, name);
    await page.goto(`${env.rolo.url}/`);
    await hydrated(page);
  }

  await context.setOffline(true);
  await env.rolo.pause();
  await page.reload();
  await hydrated(page);
  await page.getByText('You are offline.').waitFor();

  // Dora is deleted offline: queued, and gone from the list this browser shows.
  await openContact(page, 'Dora D');
  await page.getByRole('link', { name: 'Delete…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete contact' }).click();
  await page.waitForURL(`${env.rolo.url}/`);
  await page.getByText('1 change waiting to be sent').waitFor();
  // The list (read from the kept answers) is drawn: the others stay listed, Dora does not.
  await page.locator('table.contacts td.name a', { hasText: 'Ed E' }).waitFor();
  await page.locator('table.contacts tr', { hasText: 'Dora D' }).waitFor({ state: 'hidden' });
  assert.ok(await page.locator('table.contacts td.name a', { hasText: 'Ed E' }).isVisible(), 'the others stay listed');

  // Fay, made offline and deleted offline, leaves nothing to send.
  await page.locator('[data-key="n"]:visible').first().click();
  await page.getByLabel('Given name').fill('Fay');
  await page.getByLabel('Family name').fill('F');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Fay F', level: 1 }).waitFor();
  await page.getByText('Not sent yet: it was saved on this browser while offline.').waitFor();
  assert.equal(await page.getByText(/^Revision/).count(), 0, 'a contact made offline has no revision yet');
  await page.getByText('2 changes waiting to be sent').waitFor();
  await page.getByRole('link', { name: 'Delete…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete contact' }).click();
  await page.waitForURL(`${env.rolo.url}/`);
  await page.getByText('1 change waiting to be sent').waitFor();

  // Ed gets notes longer than the server takes.
  await openContact(page, 'Ed E');
  await page.locator('[data-key="e"]:visible').first().click();
  await page.getByLabel('Notes').fill('Met at the fair. '.repeat(600));
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Ed E', level: 1 }).waitFor();
  await page.getByText('2 changes waiting to be sent').waitFor();
  await page.locator('.pending summary').click();
  assert.deepEqual(
    (await page.locator('.pending li').allTextContents()).map((t) => t.trim()),
    ['Dora D (deleted)', 'Ed E (changed)'],
  );

  // Back online: the deletion is sent; Ed is refused, stays in the queue with the reason.
  await env.rolo.resume();
  await context.setOffline(false);
  await page.getByText('1 change made offline was sent.').waitFor({ timeout: 20000 });
  await hydrated(page);
  await page.getByText('1 change waiting to be sent').waitFor();
  await page.locator('.pending summary').click();
  const refused = page.locator('.pending li', { hasText: 'Ed E' });
  assert.match(await refused.textContent(), /Not accepted: .*too large/);
  await page.screenshot({ path: path.join(shots, 'offline-refused-desktop.png'), fullPage: true });
  const all = await everything(token);
  assert.equal(all[dora].op, 'delete', 'Dora is deleted on the server');
  assert.ok(!all[ed].data.notes, 'Ed has no notes on the server');
  assert.ok(!Object.values(all).some((c) => c.op === 'upsert' && c.data.display_name === 'Fay F'), 'Fay never reached the server');

  // Discarded: the queue is empty, in the page and in the browser's storage.
  await refused.getByRole('button', { name: 'Discard' }).click();
  await page.getByText('change waiting to be sent').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => localStorage.getItem('rolo.pending.olive')), null);
  await page.reload();
  await hydrated(page);
  assert.equal(await page.locator('.pending').count(), 0, 'nothing waits after a reload');
  assertNoErrors(page);
  await context.close();
});
