// The console's WASM comes in parts (scripts/assets.sh cuts them): the contact list, which most
// sessions only use, needs the main part alone; a page used now and then loads its own part when
// it is first shown, whether by a link or opened directly. The main part stays within 400 KB
// gzip (the budget of issue #16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'site', 'pkg');
const env = useRolo([['lena', 'lena-password-1', true]]);
const MAIN_BUDGET_GZIP = 400 * 1024;

test('the list needs only the main part; other pages load theirs on demand', async () => {
  env.rolo.cli(['dev', 'seed', '--account', 'lena', '--contacts', '5']);
  const url = env.rolo.url;
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const fetched = [];
  page.on('request', (r) => {
    const p = new URL(r.url()).pathname;
    if (p.endsWith('.wasm')) fetched.push(p.split('/').pop());
  });
  const parts = () => fetched.filter((n) => !n.startsWith('rolo.'));

  await signIn(page, url, 'lena', 'lena-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  fetched.length = 0;
  await page.goto(`${url}/`);
  await hydrated(page);
  const main = fetched.filter((n) => n.startsWith('rolo.'));
  assert.equal(main.length, 1, `the list loads the main part: ${fetched}`);
  assert.deepEqual(parts(), [], 'the list loads no other part');
  const gzip = statSync(path.join(pkg, `${main[0]}.gz`)).size;
  const all = statSync(path.join(pkg, main[0])).size;
  console.log(`main part: ${all} bytes, ${gzip} gzip`);
  assert.ok(gzip <= MAIN_BUDGET_GZIP, `the main part is ${gzip} bytes gzip, over its budget of ${MAIN_BUDGET_GZIP}`);

  // Followed by a link: the page's part is fetched then, and the page works.
  fetched.length = 0;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).click();
  await page.getByRole('heading', { name: 'Import contacts' }).waitFor();
  assert.ok(parts().some((n) => n.startsWith('split_book_tools_part')), `the import page's part: ${fetched}`);
  assert.ok(!fetched.some((n) => n.startsWith('rolo.')), 'the main part is not fetched again');
  assertNoErrors(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();

  // Opened directly: the page's part is fetched with the main one, and the page hydrates once it
  // is in. (The server also names the part's files in the page for the browser to preload, but
  // Leptos registers that while the page renders, and on a page inside the signed-in frame it
  // is not always registered in time: an optimisation, not asserted.)
  fetched.length = 0;
  await page.goto(`${url}/admin`);
  await hydrated(page);
  await page.getByRole('heading', { name: 'Accounts' }).waitFor();
  assert.ok(fetched.some((n) => n.startsWith('rolo.')), `the main part: ${fetched}`);
  assert.ok(fetched.some((n) => n.startsWith('split_settings_part')), `the admin page's part: ${fetched}`);
  // Hydrated means interactive: the menu button of a narrow screen opens the menu. The devices
  // page is in the admin page's part, loaded already.
  fetched.length = 0;
  await page.setViewportSize({ width: 400, height: 800 });
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
  await page.getByRole('heading', { name: 'Devices' }).first().waitFor();
  assert.deepEqual(fetched, [], 'the devices page is in a part already loaded');
  assertNoErrors(page);
  await context.close();
});
