// Undo changes in Chromium: contacts made, a time noted, then some edited, deleted and added;
// the Undo page previews what comes back, what is changed back and what is removed (screenshots
// at phone, tablet and desktop sizes go to end2end/test-results/), restores it, the list shows
// the book as it was, and a device's next download receives the undo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRolo, signIn, hydrated, assertNoErrors, openContact, deviceApi, downloadAll } from './harness.mjs';

const env = useRolo([['uma', 'uma-password-12']]);
const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results');

const ids = {
  ann: '0190f5a4-3c1e-7cc2-9d1e-00000000a001',
  ben: '0190f5a4-3c1e-7cc2-9d1e-00000000a002',
  cat: '0190f5a4-3c1e-7cc2-9d1e-00000000a003',
  dan: '0190f5a4-3c1e-7cc2-9d1e-00000000a004',
  eve: '0190f5a4-3c1e-7cc2-9d1e-00000000a005',
  fay: '0190f5a4-3c1e-7cc2-9d1e-00000000a006',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// A `datetime-local` value (with seconds) of `d` in this machine's time zone, which the
/// browser shares.
function localValue(d) {
  const p = (n) => String(n).padStart(2, '0');
  // Chromium writes a whole minute without its seconds (and Playwright's fill compares the value
  // the input then holds with the one given).
  const seconds = d.getSeconds() ? `:${p(d.getSeconds())}` : '';
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}${seconds}`;
}

const api = (token, method, url, body) => deviceApi(env.rolo, token, method, url, body);

async function upload(token, changes) {
  const { results } = await api(token, 'POST', '/sync/upload', { changes });
  for (const r of results) assert.ok(['created', 'updated', 'deleted'].includes(r.status), JSON.stringify(r));
}

const download = (token, cursor) => downloadAll(env.rolo, token, cursor);

const person = (id, given, family) => ({ id, op: 'upsert', data: { name: { given, family } } });

/// Opens the Undo page, sets the time, previews; returns the page.
async function preview(context, at) {
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'uma', 'uma-password-12');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await page.goto(`${env.rolo.url}/undo`);
  await page.getByRole('heading', { name: 'Undo changes' }).waitFor();
  await hydrated(page);
  // The time defaults to an hour ago.
  const shown = await page.getByLabel('Back to (your local time)').inputValue();
  const hourAgo = Date.now() - 3600_000;
  assert.ok(Math.abs(new Date(shown).getTime() - hourAgo) < 120_000, `default time ${shown}`);
  await page.getByLabel('Back to (your local time)').fill(localValue(at));
  await page.getByLabel('Contacts', { exact: true }).selectOption({ label: 'The whole address book' });
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByRole('heading', { name: /^Preview: back to / }).waitFor();
  return page;
}

const listed = (page, key) => page.locator(`section[data-list="${key}"] li`).allTextContents();

test('undo previews and restores the book as it was, and devices receive it', async () => {
  const token = env.rolo.cli(['device', 'create', '--account', 'uma', '--name', 'Phone', '--kind', 'phone']).trim();
  await upload(token, [
    person(ids.ann, 'Ann', 'Able'),
    person(ids.ben, 'Ben', 'Baker'),
    person(ids.cat, 'Cat', 'Clark'),
    person(ids.dan, 'Dan', 'Dole'),
  ]);
  // Times are chosen to the second: leave a second on each side of the one noted.
  await sleep(1100);
  const at = new Date();
  await sleep(1100);

  // Ann is edited, Ben and Cat deleted, Eve and Fay added — the device syncs all of it.
  await upload(token, [
    { ...person(ids.ann, 'Ann', 'Changed'), base_revision: 1 },
    { id: ids.ben, op: 'delete', base_revision: 1 },
    { id: ids.cat, op: 'delete', base_revision: 1 },
    person(ids.eve, 'Eve', 'Early'),
    person(ids.fay, 'Fay', 'Fresh'),
  ]);
  const synced = await download(token, null);

  mkdirSync(shots, { recursive: true });
  for (const [name, width, height] of [['phone', 390, 844], ['tablet', 820, 1180], ['desktop', 1280, 800]]) {
    const context = await env.browser.newContext({ viewport: { width, height } });
    const page = await preview(context, at);
    await page.screenshot({ path: path.join(shots, `undo-preview-${name}.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: nothing is wider than the screen (${overflow} px)`);
    if (name !== 'desktop') {
      await context.close();
      continue;
    }
    // The three lists, with their counts.
    await page.getByRole('heading', { name: 'Restored (2)' }).waitFor();
    await page.getByRole('heading', { name: 'Changed back (1)' }).waitFor();
    await page.getByRole('heading', { name: 'Removed (2)' }).waitFor();
    assert.deepEqual(await listed(page, 'restored'), ['Ben Baker', 'Cat Clark']);
    assert.deepEqual(await listed(page, 'changed'), ['Ann Able (now: Ann Changed)']);
    assert.deepEqual(await listed(page, 'removed'), ['Eve Early', 'Fay Fresh']);

    // Restored, reported, and the list is as it was.
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('status').filter({ hasText: 'Undone: 2 restored, 1 changed back, 2 removed.' }).waitFor();
    await page.goto(`${env.rolo.url}/`);
    await hydrated(page);
    const names = await page.locator('table.contacts td.name a').allTextContents();
    assert.deepEqual(names.map((n) => n.trim()), ['Ann Able', 'Ben Baker', 'Cat Clark', 'Dan Dole']);
    // One step in Ann's history, named as the undo.
    await openContact(page, 'Ann Able');
    await page.getByRole('listitem').filter({ hasText: /Revision 3 · .* · Undo changes \(back to / }).waitFor();
    // Nothing is left to undo.
    await page.goto(`${env.rolo.url}/undo`);
    await hydrated(page);
    await page.getByLabel('Back to (your local time)').fill(localValue(at));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByText('Nothing changed since then.').waitFor();
    assertNoErrors(page);
    await context.close();
  }

  // The device's next download brings the undo: Ann, Ben and Cat as they were, Eve and Fay gone.
  const { changes } = await download(token, synced.cursor);
  const got = Object.fromEntries(changes.map((c) => [c.id, c.op === 'upsert' ? c.data.display_name : 'deleted']));
  assert.deepEqual(got, {
    [ids.ann]: 'Ann Able',
    [ids.ben]: 'Ben Baker',
    [ids.cat]: 'Cat Clark',
    [ids.eve]: 'deleted',
    [ids.fay]: 'deleted',
  });
});
