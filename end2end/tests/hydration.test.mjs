// Every page the server renders carries the same data on every request, and comes alive in the
// browser on every load.
//
// The browser takes the data the server put in a page by the order the page's resources are
// made. A resource made inside a Suspense's view is made again each time the server walks that
// view, a different number of times from one request to the next (it depends on which answer came
// first); the browser, which makes it once, then reads another resource's answer (once, an error
// answer of a discarded copy) and the page fails to hydrate, now and then. The console makes every
// resource of a page before its Suspenses; this test holds it to that on the pages that read most.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useRolo, signIn, hydrated } from './harness.mjs';

const env = useRolo([['hana', 'hana-password-1', true], ['ivo', 'ivo-password-1']]);

/// The data the server put in the page: each resource's number and the start of its answer.
function dataOf(html) {
  return [...html.matchAll(/__RESOLVED_RESOURCES\[(\d+)\] = "(.{0,10})/g)]
    .map((m) => `${m[1]}:${m[2].replaceAll('\\"', '')}`)
    .join(' ');
}

test('every page sends the same data on every request, and hydrates on every load', async () => {
  const cli = env.rolo.cli;
  cli(['dev', 'seed', '--account', 'hana', '--contacts', '30', '--photos', '10']);
  const dir = mkdtempSync(path.join(tmpdir(), 'rolo-hydration-'));
  const file = path.join(dir, 'family.csv');
  writeFileSync(file, 'Name,Phone 1 - Value\nGrace Family,+44 20 7946 0001\nHenry Family,+44 20 7946 0002\n');
  cli(['import', '--account', 'hana', '--group', 'Family', file]);
  cli(['team', 'create', 'Sales']);
  cli(['team', 'add', 'Sales', 'ivo']);
  cli(['book', 'create', '--account', 'hana', 'Work']);
  cli(['book', 'share', '--account', 'hana', 'Work', '--with', 'ivo']);
  cli(['book', 'share', '--account', 'hana', 'Contacts', '--team', 'Sales', '--write']);

  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'hana', 'hana-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await hydrated(page);
  const hrefOf = (name) => page.locator('table.contacts td.name a', { hasText: name }).first().getAttribute('href');
  const grace = await hrefOf('Grace Family');
  const withPhoto = await page.locator('table.contacts tr:has(img) td.name a').first().getAttribute('href');
  assert.ok(grace && withPhoto, 'the list links its contacts');
  const pages = [
    '/', grace, withPhoto, `${grace}/edit`, `${grace}/delete`, `/?open=${grace.split('/').pop()}`,
    '/contacts/new', '/books', '/account', '/admin', '/devices', '/import', '/duplicates', '/trash', '/undo',
  ];
  for (const url of pages) {
    const seen = new Map();
    for (let i = 0; i < 12; i++) {
      const html = await page.evaluate(async (u) => (await fetch(u)).text(), url);
      const data = dataOf(html);
      assert.ok(data.startsWith('0:{Ok:'), `${url}: the page carries the signed-in account's data (${data})`);
      seen.set(data, (seen.get(data) ?? 0) + 1);
    }
    assert.equal(seen.size, 1, `${url}: the data differ between requests: ${JSON.stringify([...seen])}`);
  }
  // Loaded in full, again and again, each page comes alive with no error.
  for (const url of [grace, withPhoto, `${grace}/edit`, '/books']) {
    await page.goto(env.rolo.url + url);
    await hydrated(page);
    for (let i = 0; i < 4; i++) {
      await page.reload();
      await hydrated(page);
    }
  }
  await context.close();
});
