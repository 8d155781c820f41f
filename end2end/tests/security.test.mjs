// Security in a real browser: a contact's name and notes that hold markup stay text (the
// stored XSS through the page title, and the edit form's textarea), under the pages' CSP; and
// two-step sign-in, set up from its QR code, asked at sign-in, required by an administrator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useRolo, signIn, hydrated, assertNoErrors, openContact } from './harness.mjs';

const env = useRolo([['alice', 'alice-password-1'], ['root', 'root-password-1', true], ['carol', 'carol-password-1']]);

const NAME = 'Mallory </title><script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
const NOTES = '</textarea><script>window.pwned=3</script>';

test('a contact name or note holding markup stays text, under a strict CSP', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rolo-xss-'));
  const file = path.join(dir, 'mallory.csv');
  const q = (s) => `"${s.replaceAll('"', '""')}"`;
  writeFileSync(file, `Name,Notes\n${q(NAME)},${q(NOTES)}\n`);
  env.rolo.cli(['import', '--account', 'alice', file]);
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) violations.push(m.text()); });
  page.on('dialog', (d) => { violations.push(`dialog: ${d.message()}`); d.dismiss(); });
  await signIn(page, env.rolo.url, 'alice', 'alice-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await hydrated(page);
  // Beside the list first (its heading text, nothing run), then on its own page.
  await openContact(page, NAME);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await hydrated(page);
  assert.equal(await page.title(), `${NAME} · Rolo`);
  // Loaded afresh (the server's HTML), the title is the same text.
  await page.reload();
  await hydrated(page);
  assert.equal(await page.title(), `${NAME} · Rolo`);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  const edit = page.url() + '/edit';
  await page.goto(edit);
  await hydrated(page);
  assert.equal(await page.getByLabel('Notes').inputValue(), NOTES);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  // The CSP is in force: an inline script without the page's nonce does not run.
  const csp = await page.evaluate(async () => (await fetch(location.href)).headers.get('content-security-policy'));
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'nonce-/);
  assert.deepEqual(violations, []);
  assertNoErrors(page);
  await context.close();
});

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

/// The code an authenticator app shows (RFC 6238: SHA-1, 6 digits, 30 s) at `seconds`.
function totp(secret, seconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

/// Sets up two-step sign-in on the signed-in page's Account page; returns the key and the
/// recovery codes.
async function enrol(page) {
  await page.getByRole('link', { name: 'Account' }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  const secret = (await page.locator('code.secret').textContent()).trim();
  await page.getByLabel('Code from the app').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByText('Two-step sign-in is on.', { exact: true }).waitFor();
  return { secret, codes: await page.locator('.recovery-codes li').allTextContents() };
}

test('two-step sign-in: set up from its QR code, asked at sign-in, required by an administrator', async () => {
  const page = await (await env.browser.newContext()).newPage();
  await signIn(page, env.rolo.url, 'alice', 'alice-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await page.getByRole('link', { name: 'Account' }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  const qr = page.getByRole('img', { name: 'QR code of your two-step sign-in key' });
  await qr.waitFor();
  assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  assert.ok((await qr.evaluate((img) => img.naturalWidth)) >= 200, 'the QR code is drawn');
  const secret = (await page.locator('code.secret').textContent()).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await page.getByLabel('Code from the app').fill('000000' === totp(secret) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByText(/That code is not right/).waitFor();
  await page.getByLabel('Code from the app').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByText('Two-step sign-in is on.', { exact: true }).waitFor();
  const codes = await page.locator('.recovery-codes li').allTextContents();
  assert.equal(codes.length, 10);
  assertNoErrors(page);

  // Signing in now asks for a code after the password.
  const other = await (await env.browser.newContext()).newPage();
  await signIn(other, env.rolo.url, 'alice', 'alice-password-1');
  await other.getByLabel('Code from your authenticator app').waitFor();
  await other.getByLabel('Code from your authenticator app').fill(totp(secret, Date.now() / 1000 + 30));
  await other.getByRole('button', { name: 'Sign in' }).click();
  await other.getByRole('heading', { name: 'Contacts' }).waitFor();
  assertNoErrors(other);
  // A recovery code works once.
  const lost = await (await env.browser.newContext()).newPage();
  await signIn(lost, env.rolo.url, 'alice', 'alice-password-1');
  await lost.getByLabel('Code from your authenticator app').fill(codes[0]);
  await lost.getByRole('button', { name: 'Sign in' }).click();
  await lost.getByRole('heading', { name: 'Contacts' }).waitFor();

  // An administrator requires it for everyone (after setting up their own): carol, who has
  // none, gets her Account page only.
  const root = await (await env.browser.newContext()).newPage();
  await signIn(root, env.rolo.url, 'root', 'root-password-1');
  await root.getByRole('heading', { name: 'Contacts' }).waitFor();
  await root.getByRole('link', { name: 'Admin' }).click();
  await hydrated(root);
  await root.getByRole('button', { name: 'Require two-step sign-in for every account' }).click();
  await root.getByText(/Set up two-step sign-in for your own account first/).waitFor();
  await enrol(root);
  await root.getByRole('link', { name: 'Admin' }).click();
  await hydrated(root);
  await root.getByRole('row', { name: /^alice user active on/ }).waitFor();
  await root.getByRole('button', { name: 'Require two-step sign-in for every account' }).click();
  await root.getByText('Every account must use two-step sign-in.').waitFor();
  const carol = await (await env.browser.newContext()).newPage();
  await signIn(carol, env.rolo.url, 'carol', 'carol-password-1');
  await carol.waitForURL(/\/account$/);
  await carol.getByText('Your administrator requires two-step sign-in. Set it up to use Rolo.').waitFor();
  await carol.goto(`${env.rolo.url}/devices`);
  await carol.waitForURL(/\/account$/);
  await root.getByRole('button', { name: 'Stop requiring two-step sign-in' }).click();
  await root.getByText('Two-step sign-in is each account\'s choice.').waitFor();
  // The administrator turns alice's off (a lost phone): her password alone signs in again.
  await root.getByRole('button', { name: 'Turn off two-step sign-in of alice' }).click();
  await root.getByRole('row', { name: /^alice user active off/ }).waitFor();
  assertNoErrors(root);
  const back = await (await env.browser.newContext()).newPage();
  await signIn(back, env.rolo.url, 'alice', 'alice-password-1');
  await back.getByRole('heading', { name: 'Contacts' }).waitFor();
});
