// Every console page checked by axe-core (WCAG 2 A and AA rules) in Chromium, signed out and
// in, as a user and as an administrator: no finding at all (serious and critical ones listed
// apart in the failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { useRolo, signIn, hydrated } from './harness.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const env = useRolo([['ada', 'ada-password-12', true]]);

async function audit(page, label) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help, target: v.nodes[0]?.target?.join(' ') }));
  });
  for (const v of result) console.log(`${label}: ${v.impact} ${v.id} (${v.nodes}×, e.g. ${v.target}): ${v.help}`);
  return result;
}

test('no accessibility finding on any page', async () => {
  env.rolo.cli(['dev', 'seed', '--account', 'ada', '--contacts', '30']);
  // axe is added to the page as a script: the test's browser lets it past the page's CSP.
  const context = await env.browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  const serious = [];
  const any = [];
  const check = async (label) => {
    await hydrated(page);
    for (const v of await audit(page, label)) {
      any.push(`${label}: ${v.impact} ${v.id}`);
      if (v.impact === 'serious' || v.impact === 'critical') serious.push(`${label}: ${v.impact} ${v.id} ${v.target} — ${v.help}`);
    }
  };
  await page.goto(`${env.rolo.url}/login`);
  await check('sign-in');
  await signIn(page, env.rolo.url, 'ada', 'ada-password-12');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await check('list');
  const first = page.locator('table.contacts tbody tr a').first();
  const href = await first.getAttribute('href');
  for (const [label, path] of [
    ['contact', href],
    ['list with a contact beside it', `/?open=${href.split('/').pop()}`],
    ['contact form', `${href}/edit`],
    ['new contact', '/contacts/new'],
    ['address books', '/books'],
    ['import', '/import'],
    ['devices', '/devices'],
    ['trash', '/trash'],
    ['undo', '/undo'],
    ['account', '/account'],
    ['admin', '/admin'],
    ['duplicates', '/duplicates'],
  ]) {
    await page.goto(`${env.rolo.url}${path}`);
    await page.locator('main h1').first().waitFor();
    await check(label);
  }
  await context.close();
  assert.deepEqual(serious, [], 'serious or critical findings');
  assert.deepEqual(any, [], 'findings of any impact');
});
