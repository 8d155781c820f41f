// The release archive (`make dist`): unpacked in an empty folder and started with a bare
// environment (no Rust, no build tree, no project files), it serves a console that a browser
// signs in to, with the console's files hashed, precompressed and cached for good.
// The test packs the debug build (ROLO_DIST_PROFILE=release packs the optimised one) to spare
// the test run a second build; the packing is the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, signIn, hydrated } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the release archive runs on its own', async () => {
  const packed = spawnSync(path.join(root, 'scripts', 'dist.sh'), [], {
    env: { ...process.env, ROLO_PROFILE: process.env.ROLO_DIST_PROFILE || 'debug' },
    encoding: 'utf8',
  });
  assert.equal(packed.status, 0, `make dist failed:\n${packed.stderr}`);
  const archive = packed.stdout.trim().split('\n').pop();
  assert.match(path.basename(archive), /^rolo-\d+\.\d+\.\d+-[a-z0-9_]+-linux\.tar\.gz$/);

  const place = mkdtempSync(path.join(tmpdir(), 'rolo-dist-'));
  let proc;
  let browser;
  try {
    const untar = spawnSync('tar', ['-xzf', archive, '-C', place], { encoding: 'utf8' });
    assert.equal(untar.status, 0, untar.stderr);
    const [top] = readdirSync(place);
    const home = path.join(place, top);
    for (const f of ['bin/rolo', 'bin/rolo-sync', 'README.md', 'DEPLOY.md', 'rolo.service', 'site/pkg/hash.txt']) {
      assert.ok(existsSync(path.join(home, f)), `${f} is in the archive`);
    }
    for (const f of ['bin/rolo', 'bin/rolo-sync']) {
      assert.ok(!lstatSync(path.join(home, f)).isSymbolicLink(), `${f} is the program, not a link`);
    }
    assert.match(readFileSync(path.join(home, 'rolo.service'), 'utf8'), /ExecStart=\/opt\/rolo\/bin\/rolo serve/);
    // Only system libraries: nothing from a Rust toolchain or the build tree.
    const ldd = spawnSync('ldd', [path.join(home, 'bin', 'rolo')], { encoding: 'utf8' });
    for (const line of ldd.stdout.split('\n').filter((l) => l.includes('=>'))) {
      assert.match(line, /=> \/(usr\/)?lib/, `a system library: ${line}`);
    }

    // A bare environment: the archive's own folder, a fresh data folder, a PATH without cargo.
    const env = {
      PATH: '/usr/bin:/bin',
      HOME: place,
      ROLO_LISTEN: '127.0.0.1:0',
      ROLO_DATA_DIR: path.join(place, 'data'),
      ROLO_LOG: 'warn',
    };
    const rolo = path.join(home, 'bin', 'rolo');
    const made = spawnSync(rolo, ['account', 'create', 'dana', '--admin'], { cwd: home, env, input: 'dana-password-1\n', encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    proc = spawn(rolo, ['serve'], { cwd: home, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the archive's rolo did not start:\n${log}`)), 30000);
      proc.stderr.on('data', (d) => {
        log += d;
        const m = /serving on (http:\/\/[^\s]+) \(/.exec(log);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`rolo exited (${code}):\n${log}`)); });
    });
    assert.doesNotMatch(log, /not built/, log);

    // The page names the hashed files; they come compressed and are kept for good.
    const html = await (await fetch(`${url}/login`)).text();
    const wasm = /\/pkg\/rolo\.[0-9a-f]{16}\.wasm/.exec(html);
    assert.ok(wasm, html);
    const r = await fetch(`${url}${wasm[0]}`, { headers: { 'accept-encoding': 'br' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-encoding'), 'br');
    assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');

    browser = await launchBrowser();
    const page = await (await browser.newContext()).newPage();
    await signIn(page, url, 'dana', 'dana-password-1');
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await hydrated(page);
  } finally {
    await browser?.close();
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
    }
    rmSync(place, { recursive: true, force: true });
  }
});
