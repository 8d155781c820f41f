// Page-load figures of the console in Chromium: `node bench/pageload.mjs` (from end2end/, after
// `make run` or `make dist` built the release server; ROLO_BIN picks another binary).
//
// A fresh server with one account of CONTACTS generated contacts (default 5,000). For the
// sign-in page and the contact list: a cold load (an empty browser cache) and a warm one (the
// same browser, the page opened again), each timed from navigation to the moment the WASM has
// hydrated the page, with the bytes that crossed the network. Once on loopback, and once over
// an emulated link (20 Mbit/s down, 5 up, 40 ms before each answer) where compression and caching show.
// Prints figures; asserts nothing but that the pages work.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
process.env.ROLO_BIN ||= path.resolve(here, '..', '..', 'bin', 'rolo');
const { startRolo, launchBrowser } = await import('../tests/harness.mjs');

const contacts = Number(process.env.CONTACTS || 5000);
const runs = Number(process.env.RUNS || 3);
const rolo = await startRolo();
const browser = await launchBrowser();
try {
  rolo.cli(['account', 'create', 'bench'], 'bench-password-1\n');
  rolo.cli(['dev', 'seed', '--account', 'bench', '--contacts', String(contacts)]);
  console.log(`${process.env.ROLO_BIN}, ${contacts} contacts, median of ${runs} runs`);

  for (const link of [null, { latency: 40, downloadThroughput: 20e6 / 8, uploadThroughput: 5e6 / 8 }]) {
    const rows = { login: { cold: [], warm: [] }, list: { cold: [], warm: [] } };
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      if (link) await cdp.send('Network.emulateNetworkConditions', { offline: false, ...link });
      let bytes = 0;
      cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
      const load = async (url) => {
        bytes = 0;
        const t0 = Date.now();
        await page.goto(url);
        await page.waitForSelector('body[data-hydrated="true"]', { timeout: 60000 });
        const ms = Date.now() - t0;
        await page.waitForTimeout(200);
        return { ms, kb: bytes / 1024 };
      };
      rows.login.cold.push(await load(`${rolo.url}/login`));
      rows.login.warm.push(await load(`${rolo.url}/login`));
      await page.getByLabel('Username').fill('bench');
      await page.getByLabel('Password').fill('bench-password-1');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Contacts' }).waitFor();
      // The list with an empty cache: a new context with the session cookie only.
      const cookies = await context.cookies();
      const fresh = await browser.newContext();
      await fresh.addCookies(cookies);
      const freshPage = await fresh.newPage();
      const freshCdp = await fresh.newCDPSession(freshPage);
      await freshCdp.send('Network.enable');
      if (link) await freshCdp.send('Network.emulateNetworkConditions', { offline: false, ...link });
      let freshBytes = 0;
      freshCdp.on('Network.loadingFinished', (e) => { freshBytes += e.encodedDataLength; });
      const t0 = Date.now();
      await freshPage.goto(`${rolo.url}/`);
      await freshPage.waitForSelector('body[data-hydrated="true"]', { timeout: 60000 });
      rows.list.cold.push({ ms: Date.now() - t0, kb: freshBytes / 1024 });
      await freshPage.waitForTimeout(200);
      freshBytes = 0;
      const t1 = Date.now();
      await freshPage.goto(`${rolo.url}/`);
      await freshPage.waitForSelector('body[data-hydrated="true"]', { timeout: 60000 });
      rows.list.warm.push({ ms: Date.now() - t1, kb: freshBytes / 1024 });
      await fresh.close();
      await context.close();
    }
    const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(link ? 'emulated link (20 Mbit/s down, 5 up, 40 ms before each answer):' : 'loopback:');
    for (const [name, r] of Object.entries(rows)) {
      for (const kind of ['cold', 'warm']) {
        const ms = median(r[kind].map((x) => x.ms));
        const kb = median(r[kind].map((x) => x.kb));
        console.log(`  ${name === 'login' ? 'sign-in page' : 'contact list'}, ${kind}: ${ms} ms to hydrated, ${kb.toFixed(0)} KB transferred`);
      }
    }
  }
} finally {
  await browser.close();
  await rolo.stop();
}
