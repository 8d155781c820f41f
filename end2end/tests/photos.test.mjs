// Photos in the console: one added from a file is cropped (zoom, position) and made small in the
// browser, saved with the contact, shown on its page and as a thumbnail in the list (never the
// full photo there), replaced or removed; contacts without one show initials on a colour; a
// file that is not an image gets a clear message. At phone, tablet and desktop sizes, with
// screenshots in end2end/test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const env = useRolo([['pia', 'pia-password-1']]);
const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results');
const sizes = [['phone', 390, 844], ['tablet', 820, 1180], ['desktop', 1280, 800]];

/// A 1200×800 PNG drawn by the browser: a red left half and a blue right half with a circle.
async function pictureFile(page) {
  const url = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 1200; c.height = 800;
    const g = c.getContext('2d');
    g.fillStyle = '#d22'; g.fillRect(0, 0, 600, 800);
    g.fillStyle = '#22d'; g.fillRect(600, 0, 600, 800);
    g.fillStyle = '#fd0'; g.beginPath(); g.arc(600, 400, 250, 0, 7); g.fill();
    return c.toDataURL('image/png');
  });
  return { name: 'me.png', mimeType: 'image/png', buffer: Buffer.from(url.split(',')[1], 'base64') };
}

async function imageLoaded(locator) {
  return locator.evaluate((img) => img.complete && img.naturalWidth > 0 ? img.naturalWidth : 0);
}

test('a photo is added, cropped, shown in the list and on the contact, and removed', async () => {
  env.rolo.cli(['dev', 'seed', '--account', 'pia', '--contacts', '40']);
  mkdirSync(shots, { recursive: true });
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'pia', 'pia-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await page.goto(`${env.rolo.url}/contacts/new`);
  await hydrated(page);
  await page.getByLabel('Given name').fill('Zoe');
  await page.getByLabel('Family name').fill('Aardvark');

  // Not an image: a message, nothing chosen.
  await page.getByLabel('Add a photo').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
  await page.getByText('That file is not an image this browser can open.').waitFor();
  assert.equal(await page.locator('canvas.portrait').isVisible(), false);

  await page.getByLabel('Add a photo').setInputFiles(await pictureFile(page));
  const canvas = page.locator('canvas.portrait');
  await canvas.waitFor({ state: 'visible' });
  const photo = page.locator('input[name="contact[photo]"]');
  const first = await photo.inputValue();
  assert.match(first, /^data:image\/jpeg;base64,/);
  // Cropped to the middle square: its left edge is red, its right edge blue.
  const edges = async () => canvas.evaluate((c) => {
    const g = c.getContext('2d');
    const at = (x) => [...g.getImageData(x, c.height / 2, 1, 1).data].slice(0, 3);
    return { left: at(2), right: at(c.width - 3), width: c.width };
  });
  let e = await edges();
  assert.equal(e.width, 384);
  assert.ok(e.left[0] > 180 && e.left[2] < 80, `left edge red: ${e.left}`);
  assert.ok(e.right[2] > 180 && e.right[0] < 80, `right edge blue: ${e.right}`);
  // Zoomed in by keyboard and moved to the far left: all red.
  const zoom = page.getByLabel('Zoom');
  await zoom.focus();
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
  const across = page.getByLabel('Left to right');
  await across.focus();
  await page.keyboard.press('Home');
  e = await edges();
  assert.ok(e.left[0] > 180 && e.right[0] > 180 && e.right[2] < 80, `zoomed on the left half: ${JSON.stringify(e)}`);
  const cropped = await photo.inputValue();
  assert.notEqual(cropped, first);
  assert.ok(cropped.length < 120 * 1024, `the photo sent is ${cropped.length} characters`);
  await page.screenshot({ path: path.join(shots, 'form-photo-desktop.png'), fullPage: true });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: /Zoe/ }).waitFor();
  const portrait = page.locator('img.portrait');
  await portrait.waitFor();
  await page.waitForFunction(() => document.querySelector('img.portrait')?.naturalWidth > 0);
  assert.equal(await imageLoaded(portrait), 384);
  assert.match(await portrait.getAttribute('alt'), /Photo of Zoe/);
  const contactUrl = page.url();

  // The list: thumbnails only, kept by the browser; initials for the others.
  const photoRequests = [];
  page.on('response', (r) => { if (r.url().includes('/console/photos/')) photoRequests.push(r); });
  await page.goto(`${env.rolo.url}/`);
  await hydrated(page);
  const avatar = page.locator('table.contacts img.avatar').first();
  await avatar.waitFor();
  await page.waitForFunction(() => document.querySelector('table.contacts img.avatar')?.naturalWidth > 0);
  assert.equal(await imageLoaded(avatar), 96);
  assert.ok(photoRequests.length >= 1, 'the thumbnail was asked for');
  for (const r of photoRequests) {
    assert.match(r.url(), /\/thumb$/, `the list asks for thumbnails only: ${r.url()}`);
    assert.match(r.headers()['cache-control'], /immutable/);
    assert.ok((await r.body()).length < 8 * 1024, 'a thumbnail of a few KB');
  }
  const initials = page.locator('table.contacts .avatar.initials');
  assert.ok(await initials.count() >= 30, 'the others show initials');
  const sample = await initials.first().getAttribute('data-initials');
  assert.match(sample, /^\p{L}{1,2}$/u);
  assertNoErrors(page);
  await context.close();

  // Each size: the list, the contact with its photo, the form showing it.
  for (const [name, width, height] of sizes) {
    const ctx = await env.browser.newContext({ viewport: { width, height } });
    const p = await ctx.newPage();
    await signIn(p, env.rolo.url, 'pia', 'pia-password-1');
    await p.getByRole('heading', { name: 'Contacts' }).waitFor();
    await p.waitForFunction(() => document.querySelector('table.contacts img.avatar')?.naturalWidth > 0);
    // Each page is left only once it is hydrated: one left while it still loads can be
    // hydrated half-read.
    await hydrated(p);
    await p.screenshot({ path: path.join(shots, `list-photos-${name}.png`) });
    await p.goto(contactUrl);
    await p.waitForFunction(() => document.querySelector('img.portrait')?.naturalWidth > 0);
    await hydrated(p);
    const box = await p.locator('img.portrait').boundingBox();
    assert.ok(box.width >= 50 && box.x + box.width <= width, `${name}: the photo fits (${JSON.stringify(box)})`);
    await p.screenshot({ path: path.join(shots, `contact-photo-${name}.png`) });
    await p.goto(`${contactUrl}/edit`);
    await hydrated(p);
    await p.waitForFunction(() => document.querySelector('.photo-field img.portrait')?.naturalWidth > 0);
    assert.equal(await p.locator('input[name="contact[photo]"]').inputValue(), 'keep');
    await p.screenshot({ path: path.join(shots, `form-photo-${name}.png`) });
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: the form is ${overflow} px wider than the screen`);
    assertNoErrors(p);
    await ctx.close();
  }

  // Saved without touching the photo, it stays; removed, initials take its place.
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await ctx.newPage();
  await signIn(p, env.rolo.url, 'pia', 'pia-password-1');
  await p.getByRole('heading', { name: 'Contacts' }).waitFor();
  await p.goto(`${contactUrl}/edit`);
  await hydrated(p);
  await p.getByLabel('Nickname').fill('Zed');
  await p.getByRole('button', { name: 'Save' }).click();
  await p.getByRole('heading', { name: /Zoe/ }).waitFor();
  await p.getByText('Zed').waitFor();
  await p.waitForFunction(() => document.querySelector('img.portrait')?.naturalWidth === 384);
  await p.goto(`${contactUrl}/edit`);
  await hydrated(p);
  await p.getByRole('button', { name: 'Remove the photo' }).click();
  assert.equal(await p.locator('input[name="contact[photo]"]').inputValue(), '');
  await p.getByRole('button', { name: 'Save' }).click();
  await p.getByRole('heading', { name: /Zoe/ }).waitFor();
  await p.locator('.portrait.initials').waitFor();
  assert.equal(await p.locator('img.portrait').count(), 0);
  assert.equal(await p.locator('.portrait.initials').getAttribute('data-initials'), 'ZA');
  assertNoErrors(p);
  await ctx.close();
});
