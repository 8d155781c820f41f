// Import and export in Chromium: upload a CSV, map a column, preview, import into a new group
// with a per-row report; export the group as Excel and read the file back through the importer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'rolo-import-'));
const env = useRolo([['alice', 'alice-password-1']]);

test('import a CSV into a new group, export it as Excel, read it back', async () => {
  const csv = path.join(dir, '通讯录.csv');
  writeFileSync(csv, '姓名,手机,邮箱,公司,星座\n张伟,13800138000,zw@example.cn,华为,天秤\n李娜,13900139000,lina@example.com,,\n王五,12,nobody,,\n');
  const context = await env.browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, env.rolo.url, 'alice', 'alice-password-1');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  await page.getByRole('link', { name: 'Import' }).click();
  await page.getByRole('heading', { name: 'Import contacts' }).waitFor();
  await hydrated(page);

  await page.getByLabel('File (CSV, Excel or vCard)').setInputFiles(csv);
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await preview.getByText(/Detected: CSV, UTF-8, Chinese columns — 3 rows/).waitFor();
  await preview.getByRole('cell', { name: '张伟' }).waitFor();
  await preview.getByRole('cell', { name: /^4$/ }).waitFor();
  // The unknown column becomes the nickname.
  await preview.getByLabel('Column 星座').selectOption('nickname');
  await page.getByLabel('Put the contacts in').selectOption('new');
  await page.getByLabel('New group name').fill('导入');
  await page.getByRole('button', { name: 'Import' }).click();

  const job = page.getByRole('region', { name: 'Import progress' });
  await job.getByRole('heading', { name: 'Import finished' }).waitFor();
  assert.match(page.url(), /\/import\?job=/);
  await job.getByText('Imported 2 · Updated 0 · Skipped 0 · Failed 1').waitFor();
  await job.getByText(/^Line 4: /).waitFor();
  const reportHref = await job.getByRole('link', { name: 'Download the report (CSV)' }).getAttribute('href');
  const report = await (await page.request.get(`${env.rolo.url}${reportHref}`)).text();
  assert.match(report, /4,failed,/);
  // The job survives a reload.
  await page.reload();
  await page.getByText('Imported 2 · Updated 0 · Skipped 0 · Failed 1').waitFor();

  // The contacts are in the new group, with the mapped column.
  await page.getByRole('link', { name: 'Go to the contacts' }).click();
  const groups = page.getByRole('complementary', { name: 'Groups' });
  const group = groups.getByRole('link', { name: /导入/ });
  await group.waitFor();
  assert.match(await group.textContent(), /导入\s*2/);
  await page.getByRole('link', { name: '张伟' }).click();
  await page.getByText('天秤').waitFor();

  // Export the group as Excel, then read the file back through the importer's preview.
  await page.goto(`${env.rolo.url}/`);
  await hydrated(page);
  await groups.getByRole('link', { name: /导入/ }).click();
  await page.getByRole('heading', { name: 'Group: 导入' }).waitFor();
  await page.getByText('Export', { exact: true }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Excel', exact: true }).click()]);
  assert.match(download.suggestedFilename(), /\.xlsx$/);
  const xlsx = path.join(dir, 'export.xlsx');
  await download.saveAs(xlsx);

  await page.goto(`${env.rolo.url}/import`);
  await hydrated(page);
  await page.getByLabel('File (CSV, Excel or vCard)').setInputFiles(xlsx);
  await page.getByRole('button', { name: 'Preview' }).click();
  await preview.getByText(/Detected: EXCEL, Rolo columns — 2 rows/).waitFor();
  await preview.getByRole('cell', { name: '张伟' }).waitFor();
  await preview.getByRole('cell', { name: '+86 138 0013 8000' }).or(preview.getByRole('cell', { name: '13800138000' })).first().waitFor();
  await preview.getByRole('cell', { name: '导入' }).first().waitFor();

  // Export a selection: only the ticked contact is in the file.
  await page.goto(`${env.rolo.url}/`);
  await hydrated(page);
  await page.getByRole('checkbox', { name: 'Select 张伟' }).check();
  const bar = page.getByRole('form', { name: 'Selection' });
  await bar.getByText('1 selected').waitFor();
  await bar.getByLabel('Format').selectOption('vcf');
  const [vcf] = await Promise.all([page.waitForEvent('download'), bar.getByRole('button', { name: 'Export selected' }).click()]);
  const vcfPath = path.join(dir, 'selection.vcf');
  await vcf.saveAs(vcfPath);
  const text = readFileSync(vcfPath, 'utf8');
  // One contact card; the groups it is in come as group cards naming only it.
  const cards = text.split('END:VCARD').filter((c) => c.includes('BEGIN:VCARD'));
  const isGroup = (c) => /\r\nKIND:group\r\n/.test(c);
  assert.equal(cards.filter((c) => !isGroup(c)).length, 1);
  for (const g of cards.filter(isGroup)) assert.equal((g.match(/\r\nMEMBER:/g) || []).length, 1);
  assert.match(text, /FN:张伟/);
  assertNoErrors(page);
  await context.close();
});
