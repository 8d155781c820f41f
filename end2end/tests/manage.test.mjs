// Managing a book in the console: pinyin sort and letter index, search by pinyin initials and by
// a phone number written another way, bulk delete with Undo, the trash (restore, empty),
// duplicates and the merge dialog, and the Chinese UI remembered in the browser and the account.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const env = useRolo([['carol', 'carol-password-1'], ['dave', 'dave-password-12']]);

function importCsv(account, rows, extra = [], header = 'Name,Phone,Email,Organization') {
  const dir = mkdtempSync(path.join(tmpdir(), 'rolo-csv-'));
  const file = path.join(dir, 'book.csv');
  writeFileSync(file, [header, ...rows.map((r) => r.join(','))].join('\n') + '\n');
  env.rolo.cli(['import', '--account', account, ...extra, file]);
}

async function names(page) {
  return page.locator('table.contacts tbody td:nth-child(2)').allTextContents();
}

// The list as it settles: a search answered with as many contacts as the one before shows the
// same count at once, so wait for the names themselves (at most 5 s).
async function namesBecome(page, expected, message) {
  const deadline = Date.now() + 5000;
  let got = await names(page);
  while (JSON.stringify(got) !== JSON.stringify(expected) && Date.now() < deadline) {
    await page.waitForTimeout(50);
    got = await names(page);
  }
  assert.deepEqual(got, expected, message);
}

test('sort by pinyin, letter index, search by initials and by phone in another format', async () => {
  importCsv('carol', [
    ['张伟', '+86 138-0013-8000', 'zhang.wei@example.cn', '华为'],
    ['David', '555 0100', 'david@example.org', ''],
    ['陈静', '13912345678', '', ''],
    ['Bob', '', 'bob@example.org', ''],
    ['阿明', '', '', ''],
  ]);
  const page = await (await env.browser.newContext()).newPage();
  await signIn(page, env.rolo.url, 'carol', 'carol-password-1');
  await page.getByText('5 contacts').waitFor();
  assert.deepEqual(await names(page), ['阿明', 'Bob', '陈静', 'David', '张伟']);
  const index = page.getByRole('navigation', { name: 'Letter index' });
  for (const l of ['A', 'B', 'C', 'D', 'Z']) await index.getByRole('link', { name: `Jump to ${l}` }).waitFor();
  assert.equal(await index.getByRole('link', { name: 'Jump to E' }).count(), 0);
  await hydrated(page);

  const search = page.getByLabel('Search contacts');
  for (const [q, expected] of [['zw', ['张伟']], ['zhangwei', ['张伟']], ['13800138000', ['张伟']], ['138 0013 8000', ['张伟']], ['cj', ['陈静']], ['example.org', ['Bob', 'David']]]) {
    await search.fill(q);
    await page.getByText(`${expected.length} of 5 contacts`).waitFor();
    await namesBecome(page, expected, `search ${q}`);
  }
  // Enter opens the first match.
  await search.fill('zw');
  await page.getByText('1 of 5 contacts').waitFor();
  await search.press('Enter');
  await page.getByRole('heading', { name: '张伟' }).waitFor();

  // Recently changed first.
  await page.goto(`${env.rolo.url}/?sort=recent`);
  await page.getByText('5 contacts').waitFor();
  assert.equal((await names(page)).length, 5);
  assertNoErrors(page);
  await page.context().close();
});

test('bulk delete with Undo, restore from the trash, empty the trash', async () => {
  const page = await (await env.browser.newContext()).newPage();
  await signIn(page, env.rolo.url, 'carol', 'carol-password-1');
  await page.getByText('5 contacts').waitFor();
  await hydrated(page);

  // Select everything matching "example" (two contacts) and delete, then Undo.
  await page.getByLabel('Search contacts').fill('example.org');
  await page.getByText('2 of 5 contacts').waitFor();
  await page.getByRole('checkbox', { name: 'Select all shown' }).check();
  const bar = page.getByRole('form', { name: 'Selection' });
  await bar.getByText('2 selected').waitFor();
  await bar.getByRole('button', { name: 'Delete selected…' }).click();
  await bar.getByRole('button', { name: 'Confirm: delete 2' }).click();
  const toast = page.getByRole('status').filter({ hasText: 'Moved to the trash' });
  await toast.waitFor();
  await page.getByText('0 of 3 contacts').waitFor();
  await toast.getByRole('button', { name: 'Undo' }).click();
  await page.getByText('2 of 5 contacts').waitFor();

  // Delete one for real; it is in the trash with who deleted it, and comes back from there.
  await page.getByRole('checkbox', { name: 'Select Bob' }).check();
  await bar.getByRole('button', { name: 'Delete selected…' }).click();
  await bar.getByRole('button', { name: 'Confirm: delete 1' }).click();
  await page.getByText('1 of 4 contacts').waitFor();
  await page.getByRole('complementary', { name: 'Groups' }).getByRole('link', { name: 'Trash' }).click();
  await page.getByRole('heading', { name: 'Trash' }).waitFor();
  await hydrated(page);
  await page.getByText('Deleted contacts stay here for 30 days').waitFor();
  const row = page.getByRole('row').filter({ hasText: 'Bob' });
  await row.getByText('browser').waitFor();
  await page.getByRole('button', { name: 'Restore Bob' }).click();
  await page.getByText('Restored 1 contact.').waitFor();
  await page.getByText('The trash is empty.').waitFor();
  await page.goto(`${env.rolo.url}/`);
  await page.getByRole('link', { name: 'Bob' }).waitFor();
  await page.getByText('5 contacts').waitFor();

  // Delete a contact from its page, then empty the trash (confirmed): it is gone for good.
  await page.getByRole('link', { name: 'David' }).click();
  await page.locator('aside.contact-pane').getByRole('link', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'David', level: 1 }).waitFor();
  await hydrated(page);
  await page.getByRole('link', { name: 'Delete…' }).click();
  await page.getByRole('dialog', { name: 'Delete this contact?' }).getByRole('button', { name: 'Delete contact' }).click();
  await page.getByText('4 contacts').waitFor();
  await page.goto(`${env.rolo.url}/trash`);
  await hydrated(page);
  await page.getByRole('row').filter({ hasText: 'David' }).waitFor();
  await page.getByRole('button', { name: 'Empty trash…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Empty the trash?' });
  await dialog.getByRole('button', { name: 'Empty trash' }).click();
  await page.getByText('The trash is empty.').waitFor();
  assertNoErrors(page);
  await page.context().close();
});

test('possible duplicates are merged field by field without losing a phone or email', async () => {
  importCsv('dave', [
    ['Wei Zhang', '+86 138 0013 8000', 'wei@example.cn', '', '2001-06-02'],
    ['张伟', '13800138000', 'zw@example.org', '华为', '2003-09-14'],
    ['Someone Else', '555 0199', 'else@example.org', '', ''],
  ], ['--duplicates', 'create'], 'Name,Phone,Email,Organization,Anniversary');
  const page = await (await env.browser.newContext()).newPage();
  await signIn(page, env.rolo.url, 'dave', 'dave-password-12');
  await page.getByText('3 contacts').waitFor();
  await page.goto(`${env.rolo.url}/duplicates`);
  await page.getByRole('heading', { name: 'Possible duplicates' }).waitFor();
  await hydrated(page);
  const set = page.getByRole('listitem').filter({ hasText: 'Same phone' });
  await set.getByRole('link', { name: 'Wei Zhang' }).waitFor();
  await set.getByRole('link', { name: '张伟' }).waitFor();
  await set.getByRole('button', { name: /Merge/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Merge contacts' });
  await dialog.getByRole('group', { name: 'Display name' }).getByLabel('张伟').check();
  // The anniversary is asked too (the first contact's by default).
  const anniversary = dialog.getByRole('group', { name: 'Anniversary' });
  assert.ok(await anniversary.getByLabel('2001-06-02').isChecked());
  await anniversary.getByLabel('2003-09-14').check();
  await dialog.getByText('wei@example.cn, zw@example.org').waitFor();
  await dialog.getByRole('button', { name: 'Merge', exact: true }).click();
  await page.getByRole('heading', { name: '张伟' }).waitFor();
  await page.getByRole('link', { name: 'wei@example.cn' }).waitFor();
  await page.getByRole('link', { name: 'zw@example.org' }).waitFor();
  await page.getByText('华为').waitFor();
  await page.getByText('14 September 2003').waitFor();
  assert.equal(await page.getByText('2 June 2001').count(), 0);
  await page.goto(`${env.rolo.url}/`);
  await page.getByText('2 contacts').waitFor();
  await page.goto(`${env.rolo.url}/duplicates`);
  await page.getByText('No possible duplicates.').waitFor();
  assertNoErrors(page);
  await page.context().close();
});

test('the UI speaks Chinese when chosen; the choice is kept in the browser and the account', async () => {
  // A browser that prefers Chinese gets the sign-in page in Chinese.
  const zhContext = await env.browser.newContext({ locale: 'zh-CN', extraHTTPHeaders: { 'Accept-Language': 'zh-CN,zh;q=0.9' } });
  const zh = await zhContext.newPage();
  await zh.goto(`${env.rolo.url}/login`);
  await zh.getByRole('button', { name: '登录' }).waitFor();
  await zhContext.close();

  // Choose Chinese in the top bar.
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'carol', 'carol-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await hydrated(page);
  await page.getByLabel('Language').selectOption('zh');
  await page.getByRole('heading', { name: '联系人' }).waitFor();
  await hydrated(page);
  // gloo-storage keeps values as JSON.
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('rolo.lang'))), 'zh');
  await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '回收站' }).waitFor();
  await page.getByLabel('搜索联系人').fill('zw');
  await page.getByText('1 / 4 位联系人').waitFor();
  // The contact form too.
  await page.getByRole('link', { name: '新建联系人' }).click();
  await page.getByLabel('姓', { exact: true }).waitFor();
  await page.getByRole('button', { name: '添加电话' }).waitFor();
  await page.getByRole('button', { name: '保存' }).waitFor();
  // And the other pages.
  for (const [href, heading] of [['/devices', '设备'], ['/import', '导入联系人'], ['/account', '你的账户'], ['/trash', '回收站'], ['/duplicates', '可能重复的联系人']]) {
    await page.goto(`${env.rolo.url}${href}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
  }
  await hydrated(page);
  assertNoErrors(page);
  await context.close();

  // Another browser, English by default: signing in restores the account's choice.
  const other = await (await env.browser.newContext()).newPage();
  await signIn(other, env.rolo.url, 'carol', 'carol-password-1');
  await other.getByRole('heading', { name: '联系人' }).waitFor();
  // Back to English.
  await hydrated(other);
  await other.getByLabel('语言').selectOption('en');
  await other.getByRole('heading', { name: 'Contacts' }).waitFor();
  assertNoErrors(other);
  await other.context().close();
});
