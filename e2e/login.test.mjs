// The login page /connexion: demo notice, one generic error message, accessibility.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  assertNoAxeViolations,
  assertSingleH1,
  launchBrowser,
  login,
  newPage,
  normalise,
  startServer,
} from './helpers.mjs';

const BAD_CREDENTIALS = 'Adresse électronique ou mot de passe incorrect.';
// Statuses a refused sign-in may answer with while staying on the login page.
const REFUSED_STATUSES = [200, 401, 422];

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

async function refusedLogin(email, password) {
  const page = await newPage(browser, server.baseUrl);
  const response = await login(page, server.baseUrl, email, password);
  const url = new URL(page.url());
  assert.equal(url.pathname, '/connexion', `a refused sign-in stays on the login page (now on ${page.url()})`);
  assert.ok(
    REFUSED_STATUSES.includes(response?.status()),
    `a refused sign-in answers one of ${REFUSED_STATUSES.join('/')}, got ${response?.status()}`,
  );
  const alerts = (await page.locator('[role="alert"]').allInnerTexts()).map(normalise);
  assert.equal(alerts.length, 1, `one element with role="alert" (found ${JSON.stringify(alerts)})`);
  assert.ok(
    alerts[0].includes(BAD_CREDENTIALS),
    `the alert says ${JSON.stringify(BAD_CREDENTIALS)}; it says ${JSON.stringify(alerts[0])}`,
  );
  assert.equal(await page.locator('#password').inputValue(), '', 'the password is not sent back to the browser');
  return { page, alert: alerts[0] };
}

describe('login page /connexion', () => {
  test('h1 "Connexion" and the demonstration notice', async () => {
    const page = await newPage(browser, server.baseUrl);
    const res = await page.goto('/connexion');
    assert.equal(res.status(), 200);
    await assertSingleH1(page, 'Connexion', '/connexion');
    const main = normalise(await page.locator('main').innerText()).toLocaleLowerCase('fr');
    assert.ok(main.includes('démonstration'), 'in demo mode the page says it is a démonstration');
    assert.equal(await page.locator('#email').count(), 1, 'input #email');
    assert.equal(await page.locator('#password').getAttribute('type'), 'password', 'input #password is a password field');
    await page.context().close();
  });

  test('a wrong password and an unknown email get the same generic message; the error page is accessible', async () => {
    const { email } = server.account('member_buyer');
    const wrong = await refusedLogin(email, 'pas-le-bon-mot-de-passe');
    await assertNoAxeViolations(wrong.page, '/connexion with the error message');
    await wrong.page.context().close();

    const unknown = await refusedLogin('personne.inconnue@demo.mutualis.test', 'pas-le-bon-mot-de-passe');
    assert.equal(unknown.alert, wrong.alert, 'no account enumeration: the same message for an unknown email');
    await unknown.page.context().close();
  });

  test('the right password signs in and leaves the login page', async () => {
    const { email, password } = server.account('member_buyer');
    const page = await newPage(browser, server.baseUrl);
    const response = await login(page, server.baseUrl, email, password);
    assert.equal(response?.status(), 200);
    assert.notEqual(new URL(page.url()).pathname, '/connexion');
    await page.context().close();
  });
});
