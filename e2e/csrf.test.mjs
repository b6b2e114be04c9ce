// CSRF: a state-changing POST without the form's csrf field is refused and changes nothing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { fetchInPage, launchBrowser, loginAs, newPage, startServer } from './helpers.mjs';

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

describe('CSRF', () => {
  test('POST /deconnexion without the csrf field: 403 and still signed in', async () => {
    const page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'member_buyer');
    assert.equal((await page.goto('/compte')).status(), 200, 'signed in: /compte is 200');

    const forged = await fetchInPage(page, '/deconnexion', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    assert.equal(forged.status, 403, 'POST /deconnexion without csrf');

    const wrong = await fetchInPage(page, '/deconnexion', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'csrf=0000000000000000000000000000000000000000000000000000000000000000',
    });
    assert.equal(wrong.status, 403, 'POST /deconnexion with a forged csrf');

    const res = await page.goto('/compte');
    assert.equal(res.status(), 200, 'still signed in: /compte is 200');
    assert.equal(new URL(page.url()).pathname, '/compte');
    await page.context().close();
  });
});
