// A 50,000-contact account in Chromium: the list pages from the server (the page never holds
// the whole book), search answers as you type. Prints the figures (time to the first list, to
// search results, DOM rows, page heap, server memory); asserts behaviour, not timings. One contact
// in five has a photo: the list loads small thumbnails of the rows shown, never the photos.
// ROLO_E2E_CONTACTS and ROLO_E2E_PHOTOS change the sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const N = Number(process.env.ROLO_E2E_CONTACTS || 50000);
const PHOTOS = Number(process.env.ROLO_E2E_PHOTOS ?? Math.floor(N / 5));
const env = useRolo([['big', 'big-password-123']]);

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

test(`a ${N}-contact book stays fast in the browser`, async () => {
  let t = Date.now();
  env.rolo.cli(['dev', 'seed', '--account', 'big', '--contacts', String(N), '--photos', String(PHOTOS)]);
  console.log(`seed: ${N} contacts (${PHOTOS} with a photo) in ${((Date.now() - t) / 1000).toFixed(1)} s; server RSS ${rssMb(env.rolo.pid)} MB`);

  const page = await (await env.browser.newContext()).newPage();
  // Every photo the page loads: its address and size.
  const images = [];
  page.on('response', async (r) => {
    if (/\/console\/photos\//.test(r.url())) {
      // Chromium may drop a response's body before it is read (an image the list drew again):
      // its declared length tells the size then (neither: 0 bytes, which fails the check below).
      // After the test, with the page closed, neither can be read: nothing is counted then.
      const body = await r.body().catch(() => null);
      const headers = body ? {} : await r.allHeaders().catch(() => ({}));
      const bytes = body ? body.length : Number(headers['content-length'] || 0);
      images.push({ url: r.url(), bytes, status: r.status() });
    }
  });
  await signIn(page, env.rolo.url, 'big', 'big-password-123');
  t = Date.now();
  await page.waitForURL(`${env.rolo.url}/`);
  await page.getByText(`${N.toLocaleString('en-US').replace(/,/g, '')} contacts`).waitFor({ timeout: 60000 });
  const firstList = Date.now() - t;
  const rows = await page.locator('table.contacts tbody tr').count();
  assert.ok(rows > 0 && rows <= 100, `the page shows one page of rows, not the book (${rows})`);
  console.log(`first list after sign-in (index load included): ${firstList} ms, ${rows} rows in the DOM; server RSS ${rssMb(env.rolo.pid)} MB`);
  // The thumbnails of the rows on screen arrive; no full photo is asked for.
  const shownThumbs = await page.locator('table.contacts img.avatar').count();
  if (PHOTOS > 0) {
    assert.ok(shownThumbs > 0, 'some rows show a photo');
    await page.waitForFunction(() => [...document.querySelectorAll('table.contacts img.avatar')]
      .filter((i) => i.getBoundingClientRect().top < innerHeight).every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 30000 });
    console.log(`first list with the thumbnails on screen: ${Date.now() - t} ms`);
  }
  const thumbs = images.filter((i) => /\/thumb$/.test(i.url));
  assert.equal(images.filter((i) => !/\/thumb$/.test(i.url)).length, 0, 'the list loads no full photo');
  assert.ok(thumbs.length <= shownThumbs, `only the rows of the page ask for a thumbnail (${thumbs.length} of ${shownThumbs})`);
  assert.ok(thumbs.every((i) => i.status === 200 && i.bytes > 0 && i.bytes < 8192), `thumbnails are small: ${thumbs.map((i) => i.bytes)}`);
  if (thumbs.length) {
    console.log(`thumbnails loaded: ${thumbs.length} of ${shownThumbs} rows with a photo, ${Math.round(thumbs.reduce((a, i) => a + i.bytes, 0) / thumbs.length)} bytes each on average`);
  }

  // A reload once the index is warm: the thumbnails come from the browser's cache.
  t = Date.now();
  await page.reload();
  await page.locator('table.contacts tbody tr').first().waitFor();
  console.log(`list page load, warm: ${Date.now() - t} ms`);
  if (PHOTOS > 0) {
    await page.waitForFunction(() => [...document.querySelectorAll('table.contacts img.avatar')]
      .filter((i) => i.getBoundingClientRect().top < innerHeight).every((i) => i.complete && i.naturalWidth > 0));
    // Those loaded before come from the browser's cache: nothing transferred for them.
    const seen = thumbs.map((i) => i.url);
    const sent = await page.evaluate((seen) => performance.getEntriesByType('resource')
      .filter((e) => seen.includes(e.name)).map((e) => e.transferSize), seen);
    assert.ok(sent.length > 0 && sent.every((n) => n === 0), `thumbnails come from the cache on a reload (bytes transferred: ${sent})`);
  }
  await hydrated(page);

  const search = page.getByLabel('Search contacts');
  for (const q of ['zw', 'zhangwei', '+86 13', 'lovelace']) {
    t = Date.now();
    await search.fill(q);
    // The count says which search it answers.
    await page.waitForFunction((q) => document.querySelector('.count')?.dataset.for === q, q);
    const shown = await page.locator('.count').textContent();
    console.log(`search "${q}": results in ${Date.now() - t} ms (${shown})`);
  }
  await search.fill('zhangwei');
  await page.waitForFunction(() => document.querySelector('.count')?.dataset.for === 'zhangwei');
  const names = await page.locator('table.contacts tbody td:nth-child(2)').allTextContents();
  assert.ok(names.length > 0 && names.every((n) => n.startsWith('张')), `"zhangwei" finds 张… names: ${names.slice(0, 5)}`);

  // Jump with the letter index.
  await search.fill('');
  await page.getByText(`${N} contacts`).waitFor();
  t = Date.now();
  await page.getByRole('navigation', { name: 'Letter index' }).getByRole('link', { name: 'Jump to Z' }).click();
  await page.waitForURL(/at=\d+/);
  await page.locator('tr[id="letter-Z"]').waitFor();
  console.log(`letter index jump to Z: ${Date.now() - t} ms`);
  const heap = await page.evaluate(() => (performance.memory ? Math.round(performance.memory.usedJSHeapSize / 1048576) : null));
  console.log(`page JS heap: ${heap} MB; DOM nodes: ${await page.evaluate(() => document.getElementsByTagName('*').length)}; server RSS ${rssMb(env.rolo.pid)} MB`);
  assertNoErrors(page);
  await page.context().close();
});
