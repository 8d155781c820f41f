// Administration and one's own account in Chromium: create, reset, disable accounts; change a
// password; see and end sessions; non-administrators are kept out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRolo, signIn, hydrated, assertNoErrors } from './harness.mjs';

const env = useRolo([['alice', 'alice-password-1', true], ['bob', 'bob-password-22']]);

test('an administrator manages accounts; a user manages their password and sessions', async () => {
  const admin = await (await env.browser.newContext()).newPage();
  await signIn(admin, env.rolo.url, 'alice', 'alice-password-1');
  await admin.getByRole('link', { name: 'Admin' }).click();
  await admin.getByRole('heading', { name: 'Accounts' }).waitFor();
  await hydrated(admin);
  await admin.getByRole('row', { name: /^bob user active off 0 never/ }).waitFor();

  // Create carol, reset bob's password, disable carol.
  const create = admin.getByRole('form', { name: 'Create an account' });
  await create.getByLabel('Username').fill('carol');
  await create.getByLabel('Password').fill('carol-password-1');
  await create.getByRole('button', { name: 'Create account' }).click();
  await admin.getByRole('row', { name: /^carol user active/ }).waitFor();
  await admin.getByLabel('New password for bob').fill('bob-new-password-1');
  await admin.getByRole('row', { name: /^bob/ }).getByRole('button', { name: 'Reset password' }).click();
  await admin.getByText(/Password reset/).waitFor();
  await admin.getByLabel('Disable carol…').click();
  await admin.getByRole('button', { name: 'Confirm: disable carol' }).click();
  await admin.getByRole('row', { name: /^carol user disabled/ }).waitFor();
  assertNoErrors(admin);

  // carol cannot sign in.
  const carol = await (await env.browser.newContext()).newPage();
  await signIn(carol, env.rolo.url, 'carol', 'carol-password-1');
  await carol.getByText('Wrong username or password.').waitFor();

  // bob signs in with the new password on two devices; no Admin for him.
  const bob1 = await (await env.browser.newContext()).newPage();
  await signIn(bob1, env.rolo.url, 'bob', 'bob-new-password-1');
  await bob1.getByRole('heading', { name: 'Contacts' }).waitFor();
  assert.equal(await bob1.getByRole('link', { name: 'Admin' }).count(), 0);
  await bob1.goto(`${env.rolo.url}/admin`);
  await bob1.getByText('You are not allowed to do that.').waitFor();
  const bob2 = await (await env.browser.newContext()).newPage();
  await signIn(bob2, env.rolo.url, 'bob', 'bob-new-password-1');
  await bob2.getByRole('heading', { name: 'Contacts' }).waitFor();

  // bob sees both sessions and signs the other one out.
  await bob1.goto(`${env.rolo.url}/account`);
  await hydrated(bob1);
  await bob1.getByText('this session').waitFor();
  const signOut = bob1.getByRole('button', { name: /^Sign out the session of/ });
  assert.equal(await signOut.count(), 1);
  await signOut.click();
  await bob1.getByRole('button', { name: /^Sign out the session of/ }).waitFor({ state: 'detached' });
  await bob2.goto(`${env.rolo.url}/`);
  assert.match(bob2.url(), /\/login$/);

  // A wrong current password is refused next to the field; then the change works.
  const form = bob1.getByRole('form', { name: 'Change password' });
  await form.getByLabel('Current password').fill('not-it');
  await form.getByLabel('New password', { exact: true }).fill('bob-third-password');
  await form.getByLabel('New password again').fill('bob-third-password');
  await form.getByRole('button', { name: 'Change password' }).click();
  await form.getByText('That is not your current password.').waitFor();
  await form.getByLabel('Current password').fill('bob-new-password-1');
  await form.getByRole('button', { name: 'Change password' }).click();
  await form.getByText(/Your password was changed/).waitFor();
  await bob1.goto(`${env.rolo.url}/`);
  await bob1.getByRole('heading', { name: 'Contacts' }).waitFor();
  assertNoErrors(bob1);
  const again = await (await env.browser.newContext()).newPage();
  await signIn(again, env.rolo.url, 'bob', 'bob-third-password');
  await again.getByRole('heading', { name: 'Contacts' }).waitFor();
});
