// Isolation between organisations, in the browser: a member sees only its own organisation and
// gets a 404 (not a 403, which would confirm the id exists) for any other one.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  assertSingleH1,
  launchBrowser,
  loginAs,
  newPage,
  organisationIdSeenBy,
  organisationRows,
  startServer,
} from './helpers.mjs';

const METROPOLE = 'Grenoble-Alpes-Métropole';

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

describe('isolation between organisations (browser)', () => {
  let metropoleId;
  let page;

  before(async () => {
    metropoleId = await organisationIdSeenBy(browser, server, 'coordinator', METROPOLE);
    page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'member_buyer');
  });

  after(async () => {
    await page?.context().close();
  });

  test('the member buyer of Domène sees exactly one organisation: its own', async () => {
    const res = await page.goto('/organisations');
    assert.equal(res.status(), 200);
    const rows = await organisationRows(page);
    assert.equal(rows.length, 1, `exactly one row in the organisations table: ${JSON.stringify(rows)}`);
    assert.match(rows[0].text, /Domène/, 'the only row is Domène');
    assert.doesNotMatch(rows[0].text, /Métropole/, 'the only row is the commune, not the métropole');
    assert.notEqual(rows[0].id, metropoleId);

    const own = await page.goto(`/organisations/${rows[0].id}`);
    assert.equal(own.status(), 200, 'its own organisation page opens');
  });

  test("another organisation's page answers 404, as for an id that does not exist", async () => {
    const res = await page.goto(`/organisations/${metropoleId}`);
    assert.equal(res.status(), 404, `member_buyer GET /organisations/${metropoleId} (the métropole)`);
    await assertSingleH1(page, 'Page introuvable');
    const body = await page.locator('main').innerText();
    assert.ok(!body.includes(METROPOLE), "the 404 page does not leak the other organisation's name");

    const missing = await page.goto('/organisations/999999999');
    assert.equal(missing.status(), 404, 'an id that does not exist');
  });
});
