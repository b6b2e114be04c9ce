// The JSON API: a personal token created on "Mon compte", its scope, its revocation, and the
// OpenAPI document.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import SwaggerParser from '@apidevtools/swagger-parser';

import {
  launchBrowser,
  loginAs,
  newPage,
  organisationIdSeenBy,
  organisationRows,
  startServer,
} from './helpers.mjs';

const TOKEN_NAME = 'e2e';

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

/** GET on the API with an optional bearer token; returns {status, contentType, body (parsed JSON or text)}. */
async function api(path, token) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(new URL(path, server.baseUrl), { headers, redirect: 'manual' });
  const contentType = res.headers.get('content-type') ?? '';
  const text = await res.text();
  let body = text;
  if (contentType.includes('json')) {
    try {
      body = JSON.parse(text);
    } catch (err) {
      assert.fail(`${path}: content-type ${contentType} but the body is not JSON (${err.message}): ${text.slice(0, 200)}`);
    }
  }
  return { status: res.status, contentType, body };
}

function assertJsonError(res, status, label) {
  assert.equal(res.status, status, `${label}: HTTP status (body: ${JSON.stringify(res.body).slice(0, 300)})`);
  assert.match(res.contentType, /application\/json/, `${label}: content-type`);
  assert.equal(typeof res.body, 'object', `${label}: JSON body`);
  assert.equal(typeof res.body.code, 'string', `${label}: JSON body has a string "code" (${JSON.stringify(res.body)})`);
  assert.ok(res.body.code.length > 0, `${label}: non-empty "code"`);
}

describe('API without a token', () => {
  test('without a token the API answers 401 with a JSON error', async () => {
    assertJsonError(await api('/api/v1/organisations'), 401, 'GET /api/v1/organisations without token');
    assertJsonError(
      await api('/api/v1/organisations', 'mtl_not-a-real-token'),
      401,
      'GET /api/v1/organisations with a made-up token',
    );
  });
});

describe('API token of the member buyer', () => {
  let metropoleId;
  let ownId;
  let page;
  let secret;

  before(async () => {
    metropoleId = await organisationIdSeenBy(browser, server, 'coordinator', 'Grenoble-Alpes-Métropole');
    page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'member_buyer');
    await page.goto('/organisations');
    const rows = await organisationRows(page);
    assert.equal(rows.length, 1, 'the member buyer sees one organisation');
    ownId = rows[0].id;
  });

  after(async () => {
    await page?.context().close();
  });

  test('"Créer le jeton" on /compte shows the secret once', async () => {
    const res = await page.goto('/compte');
    assert.equal(res.status(), 200);
    await page.locator('#token-name').fill(TOKEN_NAME);
    const [created] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('button', { name: 'Créer le jeton', exact: true }).click(),
    ]);
    assert.equal(created?.status(), 200, `page after creating the token (${page.url()})`);
    const shown = page.locator('#nouveau-jeton');
    assert.equal(await shown.count(), 1, 'the new secret is shown in #nouveau-jeton');
    secret = (await shown.textContent()).trim();
    assert.match(secret, /^mtl_\S+$/, 'the secret starts with mtl_');

    // Shown once: reloading /compte does not show it again.
    await page.goto('/compte');
    assert.equal(await page.locator('#nouveau-jeton').count(), 0, 'the secret is not shown again');
    assert.ok(!(await page.content()).includes(secret), 'the secret is nowhere on /compte afterwards');
  });

  test('the token sees only its own organisation', async () => {
    assert.ok(secret, 'a token was created by the previous test');
    const list = await api('/api/v1/organisations', secret);
    assert.equal(list.status, 200, `GET /api/v1/organisations (body: ${JSON.stringify(list.body).slice(0, 300)})`);
    assert.match(list.contentType, /application\/json/);
    assert.ok(Array.isArray(list.body.organisations), 'the JSON has an "organisations" array');
    assert.equal(list.body.organisations.length, 1, `one organisation: ${JSON.stringify(list.body.organisations.map((o) => o.name))}`);
    const [own] = list.body.organisations;
    assert.equal(String(own.id), String(ownId), "it is the member's own organisation (same id as on /organisations)");
    assert.match(own.name, /Domène/);

    const one = await api(`/api/v1/organisations/${ownId}`, secret);
    assert.equal(one.status, 200, `GET /api/v1/organisations/${ownId} (its own)`);

    const other = await api(`/api/v1/organisations/${metropoleId}`, secret);
    assertJsonError(other, 404, `GET /api/v1/organisations/${metropoleId} (the métropole)`);
    assert.equal(typeof other.body.message, 'string', `404 JSON has a "message" (${JSON.stringify(other.body)})`);
    assert.ok(other.body.message.length > 0);
  });

  test('"Révoquer" ends the token: the API answers 401', async () => {
    assert.ok(secret, 'a token was created by an earlier test');
    await page.goto('/compte');
    const row = page.locator('main table tbody tr').filter({
      has: page.locator('th', { hasText: new RegExp(`^\\s*${TOKEN_NAME}\\s*$`) }),
    });
    assert.equal(await row.count(), 1, `one row for the token "${TOKEN_NAME}"`);
    const [after] = await Promise.all([
      page.waitForNavigation(),
      row.getByRole('button', { name: /Révoquer/ }).click(),
    ]);
    assert.equal(after?.status(), 200, `page after revoking (${page.url()})`);
    assertJsonError(await api('/api/v1/organisations', secret), 401, 'GET /api/v1/organisations with the revoked token');
  });
});

describe('OpenAPI document', () => {
  test('/api/v1/openapi.json is a valid OpenAPI document with the organisations paths', async () => {
    const res = await api('/api/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.match(res.contentType, /application\/json/);
    const doc = res.body;
    assert.match(String(doc.openapi), /^3\.1\./, `OpenAPI 3.1 (openapi: ${doc.openapi})`);
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(doc));
    for (const path of ['/api/v1/organisations', '/api/v1/organisations/{id}']) {
      assert.ok(doc.paths?.[path]?.get, `paths["${path}"].get (paths: ${Object.keys(doc.paths ?? {}).join(', ')})`);
    }
  });
});
