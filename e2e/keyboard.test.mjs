// Keyboard only: sign in and reach /organisations with Tab, typing and Enter, with a visible
// focus indicator on the way.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { focused, launchBrowser, newPage, startServer, tabTo } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('keyboard only', () => {
  test('the member buyer signs in and opens "Organisations" with the keyboard alone', async () => {
    const { email, password } = server.account('member_buyer');
    const page = await newPage(browser, server.baseUrl);
    const res = await page.goto('/connexion');
    assert.equal(res.status(), 200);

    const emailField = await tabTo(page, 'the field #email', (f) => f.id === 'email');
    assert.equal(emailField.focusVisible, true, '#email matches :focus-visible');
    assert.notEqual(emailField.outlineStyle, 'none', 'the focused #email shows an outline');
    await page.keyboard.type(email);
    await tabTo(page, 'the field #password', (f) => f.id === 'password');
    await page.keyboard.type(password);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.notEqual(new URL(page.url()).pathname, '/connexion', `signed in with Enter (now on ${page.url()})`);

    const link = await tabTo(
      page,
      'the main navigation link "Organisations"',
      (f) => f.tag === 'a' && f.inMainNav && f.text === 'Organisations',
    );
    assert.equal(link.focusVisible, true, 'the link matches :focus-visible after Tab');
    assert.notEqual(
      link.outlineStyle,
      'none',
      `visible focus indicator on the nav link (outline-style ${link.outlineStyle}, width ${link.outlineWidth})`,
    );
    assert.notEqual(link.outlineWidth, '0px', 'the focus outline has a width');

    const [response] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, '/organisations');
    assert.equal(response?.status(), 200);
    await page.context().close();
  });
});
