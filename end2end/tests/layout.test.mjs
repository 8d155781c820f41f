// The console at phone, tablet and desktop sizes: on a phone the list begins on the first
// screen under a compact top bar whose navigation folds behind Menu (keyboard included); on a
// desktop at least 15 contacts fit on the first screen, each on one line. Screenshots of each
// size go to end2end/test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRolo, signIn, hydrated } from './harness.mjs';

const env = useRolo([['lena', 'lena-password-1']]);
const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results');

/// Rows of the list wholly inside the first screen, and how many lines their cells take.
async function firstScreen(page) {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll('table.contacts tbody tr')];
    const h = window.innerHeight;
    const visible = rows.filter((r) => r.getBoundingClientRect().bottom <= h);
    const lineHeight = (el) => parseFloat(getComputedStyle(el).lineHeight) || 20;
    const wrapped = visible
      .flatMap((r) => [...r.querySelectorAll('td')])
      .filter((td) => td.offsetParent !== null && td.textContent.trim() !== '')
      .filter((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        return range.getBoundingClientRect().height > lineHeight(td) * 1.5;
      })
      .map((td) => td.textContent.trim());
    const first = rows[0]?.getBoundingClientRect().top ?? Infinity;
    return { visible: visible.length, wrapped, firstRowTop: first, height: h };
  });
}

test('the list fits phone, tablet and desktop screens', async () => {
  env.rolo.cli(['dev', 'seed', '--account', 'lena', '--contacts', '120']);
  mkdirSync(shots, { recursive: true });
  const figures = {};
  for (const [name, width, height] of [['phone', 390, 844], ['tablet', 820, 1180], ['desktop', 1280, 800]]) {
    const context = await env.browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    await signIn(page, env.rolo.url, 'lena', 'lena-password-1');
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await hydrated(page);
    const f = await firstScreen(page);
    figures[name] = f.visible;
    await page.screenshot({ path: path.join(shots, `list-${name}.png`) });
    assert.ok(f.firstRowTop < height, `${name}: the list begins on the first screen (${f.firstRowTop} px of ${height})`);
    // Every shown cell on one line, nothing wider than the screen.
    assert.deepEqual(f.wrapped, [], `${name}: every cell on one line`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: the page is ${overflow} px wider than the screen`);
    if (name === 'desktop') assert.ok(f.visible >= 15, `desktop: ${f.visible} contacts on the first screen`);
    if (name === 'tablet') assert.ok(f.visible >= 15, `tablet: ${f.visible} contacts on the first screen`);
    if (name === 'phone') {
      assert.ok(f.visible >= 10, `phone: ${f.visible} contacts on the first screen`);
      assert.ok(await page.locator('table.contacts tbody td.phone').first().isVisible(), 'phone: numbers shown');
    }
    const menu = page.getByRole('button', { name: 'Menu' });
    const devices = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' });
    if (name === 'phone') {
      // The navigation is folded; Menu (by keyboard) unfolds it, and it folds after a visit.
      assert.equal(await devices.isVisible(), false, 'phone: navigation folded');
      await menu.focus();
      await page.keyboard.press('Enter');
      assert.equal(await menu.getAttribute('aria-expanded'), 'true');
      await devices.waitFor({ state: 'visible' });
      await page.screenshot({ path: path.join(shots, `menu-${name}.png`) });
      await devices.click();
      await page.getByRole('heading', { name: 'Devices' }).waitFor();
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');
      assert.equal(await devices.isVisible(), false, 'phone: folded again after a visit');
    } else {
      assert.equal(await menu.isVisible(), false, `${name}: no Menu button`);
      assert.ok(await devices.isVisible(), `${name}: navigation in the top bar`);
    }
    await context.close();
  }
  console.log(`contacts on the first screen: phone ${figures.phone}, tablet ${figures.tablet}, desktop ${figures.desktop}`);
});

test('on a desktop a contact opens beside the list; on a phone, on its own page', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'lena', 'lena-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await hydrated(page);
  const link = page.locator('table.contacts td.name a').nth(3);
  const name = (await link.textContent()).trim();
  await link.click();
  const pane = page.locator('aside.contact-pane');
  await pane.getByRole('heading', { name }).waitFor();
  assert.match(page.url(), /[?&]open=[0-9a-f-]{36}/);
  // Beside the list, which stays on the screen with its numbers on one line.
  const paneBox = await pane.boundingBox();
  const listBox = await page.locator('table.contacts').boundingBox();
  assert.ok(paneBox.x >= listBox.x + listBox.width - 1, `pane at ${paneBox.x}, list ends at ${listBox.x + listBox.width}`);
  const f = await firstScreen(page);
  assert.deepEqual(f.wrapped, [], 'every cell on one line beside the pane');
  assert.ok(f.visible >= 15, `${f.visible} contacts on the first screen beside the pane`);
  await page.screenshot({ path: path.join(shots, 'list-pane-desktop.png') });
  // Another one replaces it; Back returns to the first; Close closes it.
  const other = (await page.locator('table.contacts td.name a').nth(5).textContent()).trim();
  await page.locator('table.contacts td.name a').nth(5).click();
  await pane.getByRole('heading', { name: other }).waitFor();
  await page.goBack();
  await pane.getByRole('heading', { name }).waitFor();
  await pane.getByRole('link', { name: 'Close' }).click();
  await pane.waitFor({ state: 'detached' });
  assert.doesNotMatch(page.url(), /open=/);
  await context.close();

  const phone = await env.browser.newContext({ viewport: { width: 390, height: 844 } });
  const p = await phone.newPage();
  await signIn(p, env.rolo.url, 'lena', 'lena-password-1');
  await p.getByRole('heading', { name: 'Contacts' }).waitFor();
  await hydrated(p);
  const first = p.locator('table.contacts td.name a').first();
  const firstName = (await first.textContent()).trim();
  await first.click();
  await p.getByRole('heading', { name: firstName, level: 1 }).waitFor();
  assert.match(p.url(), /\/contacts\/[0-9a-f-]{36}$/);
  assert.equal(await p.locator('aside.contact-pane').count(), 0);
  await phone.close();
});
