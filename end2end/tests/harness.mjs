// Starts a real Rolo server on a free loopback port with a fresh data directory, and a
// Chromium driven by playwright-core. Everything started here is stopped by its own handle.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const bin = process.env.ROLO_BIN || path.join(root, 'bin', 'rolo');

export async function startRolo(settings = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rolo-e2e-'));
  const env = {
    ...process.env,
    ...settings,
    ROLO_LISTEN: '127.0.0.1:0',
    ROLO_DATA_DIR: dataDir,
    ROLO_SITE_ROOT: path.join(root, 'site'),
    ROLO_LOG: 'warn',
  };
  delete env.ROLO_DATABASE_URL;
  delete env.ROLO_MASTER_KEY;
  delete env.ROLO_MASTER_KEY_FILE;
  const cli = (args, input) => {
    const r = spawnSync(bin, args, { env, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`rolo ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  // Starts `rolo serve` listening on `listen`; resolves to the process and its address.
  const launch = async (listen) => {
    const proc = spawn(bin, ['serve'], { env: { ...env, ROLO_LISTEN: listen }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`rolo did not start:\n${log}`)), 30000);
      proc.stderr.on('data', (d) => {
        log += d;
        const m = /serving on (http:\/\/[^\s]+) \(/.exec(log);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`rolo exited (${code}):\n${log}`)); });
    });
    return { proc, url, log: () => log };
  };
  const halt = async (proc) => {
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
  };
  let running = await launch('127.0.0.1:0');
  const url = running.url;
  return {
    url,
    get pid() { return running.proc.pid; },
    cli,
    log: () => running.log(),
    /// Stops the server, keeping its data: the browser finds nobody at its address.
    async pause() { await halt(running.proc); },
    /// Starts it again at the same address on the same data.
    async resume() { running = await launch(url.replace(/^http:\/\//, '')); },
    async stop() {
      if (running.proc.exitCode === null) await halt(running.proc);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/// Records uncaught errors and console errors (hydration panics among them) on the page.
function watch(page) {
  if (page.__errors) return;
  page.__errors = [];
  page.on('pageerror', (e) => page.__errors.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.__errors.push(`console: ${m.text()}`); });
}

/// Fails if the page has reported an error so far.
export function assertNoErrors(page) {
  const errors = page.__errors || [];
  if (errors.length) throw new Error(`the page reported errors:\n${errors.join('\n')}`);
}

export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Every page of every context is watched for errors.
  const newContext = browser.newContext.bind(browser);
  // Service workers are blocked unless a test allows them (the offline test): elsewhere they
  // would answer requests in the page's stead.
  browser.newContext = async (options = {}) => {
    const context = await newContext({ serviceWorkers: 'block', ...options });
    context.on('page', watch);
    return context;
  };
  return browser;
}

export async function signIn(page, url, username, password) {
  await page.goto(`${url}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/// Waits until the WASM has taken over the page, and checks nothing failed on the way.
export async function hydrated(page) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 20000 });
  await page.waitForTimeout(100);
  assertNoErrors(page);
}

/// Registers before/after hooks for a test file: a fresh server with these accounts
/// ([name, password, admin?]) and settings (environment variables), and a browser. The returned
/// object is filled in before the tests.
export function useRolo(accounts, settings = {}) {
  const env = {};
  before(async () => {
    env.rolo = await startRolo(settings);
    for (const [name, password, admin] of accounts) {
      env.rolo.cli(['account', 'create', name, ...(admin ? ['--admin'] : [])], `${password}\n`);
    }
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.rolo?.stop();
  });
  return env;
}

/// Opens a contact's own page from the list by its name: on a wide screen the name opens it
/// beside the list, whose Open link leads to its page.
export async function openContact(page, name) {
  await page.locator('table.contacts td.name a', { hasText: name }).first().click();
  const pane = page.locator('aside.contact-pane');
  const own = page.getByRole('heading', { name, level: 1 });
  await Promise.race([pane.waitFor(), own.waitFor()]);
  if (await pane.count()) await pane.getByRole('link', { name: 'Open' }).click();
  await own.waitFor();
}

/// Calls `rolo`'s device sync API (`/api/v1…`) with a device token; the answer must be 200.
export async function deviceApi(rolo, token, method, url, body) {
  const res = await fetch(`${rolo.url}/api/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/// Everything the device downloads after `cursor` (every page), and the cursor after it.
export async function downloadAll(rolo, token, cursor) {
  const changes = [];
  for (;;) {
    const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    const page = await deviceApi(rolo, token, 'GET', `/sync/changes${q}`);
    changes.push(...page.changes);
    cursor = page.cursor;
    if (!page.more) return { changes, cursor };
  }
}
