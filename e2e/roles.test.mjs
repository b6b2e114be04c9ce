// Every demo role signs in, walks every link of the main navigation (status, h1, title, axe),
// sees the pages of its role, is refused the others, and signs out.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  ROLES,
  assertNoAxeViolations,
  assertSingleH1,
  assertTitle,
  launchBrowser,
  loginAs,
  newPage,
  normalise,
  startServer,
} from './helpers.mjs';

const NAV = 'nav[aria-label="Navigation principale"] a';

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

/** Status 200, one h1, a title "… — Mutualis", no axe violation. Returns the h1. */
async function assertGoodPage(page, response, label) {
  assert.equal(response?.status(), 200, `${label}: HTTP status`);
  const h1 = await assertSingleH1(page, undefined, label);
  await assertTitle(page, label);
  await assertNoAxeViolations(page, label);
  return h1;
}

for (const role of ROLES) {
  describe(`role ${role}`, () => {
    let page;
    let navPaths = [];

    before(async () => {
      page = await newPage(browser, server.baseUrl);
      const landing = await loginAs(page, server, role);
      assert.equal(landing?.status(), 200, `${role}: the page reached after signing in (${page.url()})`);
    });

    after(async () => {
      await page?.context().close();
    });

    test('every link of the main navigation: 200, one h1, title, no axe violation', async () => {
      const home = await page.goto('/');
      assert.equal(home.status(), 200);
      const links = await page.locator(NAV).evaluateAll((as) =>
        as.map((a) => ({ href: a.href, text: a.textContent.trim() })),
      );
      assert.ok(links.length > 0, 'the main navigation has links');
      const origin = new URL(server.baseUrl).origin;
      navPaths = links.map((l) => new URL(l.href).pathname);
      for (const link of links) {
        const url = new URL(link.href);
        assert.equal(url.origin, origin, `nav link "${link.text}" stays on the site`);
        const response = await page.goto(url.href);
        await assertGoodPage(page, response, `${role} ${url.pathname} (nav "${normalise(link.text)}")`);
      }
      assert.ok(navPaths.includes('/organisations'), `nav links to /organisations (${navPaths.join(', ')})`);
      assert.ok(navPaths.includes('/compte'), `nav links to /compte (${navPaths.join(', ')})`);
      assert.ok(!navPaths.includes('/connexion'), 'a signed-in user is not offered "Se connecter"');
      if (role === 'coordinator') {
        assert.ok(navPaths.includes('/utilisateurs'), `the coordinator's nav links to /utilisateurs (${navPaths.join(', ')})`);
      } else {
        assert.ok(!navPaths.includes('/utilisateurs'), `only the coordinator's nav links to /utilisateurs (${navPaths.join(', ')})`);
      }
      // Opportunities are for the roles that buy: not for suppliers nor the mediator.
      if (['supplier', 'mediator'].includes(role)) {
        assert.ok(!navPaths.includes('/opportunites'), `no /opportunites in the ${role}'s nav (${navPaths.join(', ')})`);
      } else {
        assert.ok(navPaths.includes('/opportunites'), `the ${role}'s nav links to /opportunites (${navPaths.join(', ')})`);
      }
      // Inventory campaigns too: the roles that buy, not suppliers nor the mediator.
      if (['supplier', 'mediator'].includes(role)) {
        assert.ok(!navPaths.includes('/campagnes'), `no /campagnes in the ${role}'s nav (${navPaths.join(', ')})`);
      } else {
        assert.ok(navPaths.includes('/campagnes'), `the ${role}'s nav links to /campagnes (${navPaths.join(', ')})`);
      }
    });

    test('/organisations and the first organisation of its table', async () => {
      const response = await page.goto('/organisations');
      assert.equal(await assertGoodPage(page, response, `${role} /organisations`), 'Organisations');
      const first = page.locator('main table tbody a').first();
      assert.ok((await page.locator('main table tbody a').count()) >= 1, 'the organisations table links to at least one organisation');
      const name = normalise(await first.textContent());
      const [detail] = await Promise.all([page.waitForNavigation(), first.click()]);
      assert.match(new URL(page.url()).pathname, /^\/organisations\/[^/]+$/);
      const h1 = await assertGoodPage(page, detail, `${role} ${new URL(page.url()).pathname}`);
      assert.equal(h1, name, 'the h1 of an organisation page is its name');
    });

    test('/compte is "Mon compte"', async () => {
      const response = await page.goto('/compte');
      assert.equal(await assertGoodPage(page, response, `${role} /compte`), 'Mon compte');
    });

    if (role === 'coordinator') {
      test('/utilisateurs is "Utilisateurs du territoire"', async () => {
        const response = await page.goto('/utilisateurs');
        assert.equal(await assertGoodPage(page, response, `${role} /utilisateurs`), 'Utilisateurs du territoire');
      });
    } else {
      test('/utilisateurs is refused: 403 "Accès refusé"', async () => {
        const response = await page.goto('/utilisateurs');
        assert.equal(response.status(), 403, `${role} GET /utilisateurs`);
        await assertSingleH1(page, 'Accès refusé', `${role} /utilisateurs`);
        await assertTitle(page, `${role} /utilisateurs (403)`);
        await assertNoAxeViolations(page, `${role} /utilisateurs (403)`);
      });
    }

    test('"Se déconnecter" ends the session: /compte then leads to the login page', async () => {
      await page.goto('/');
      const [out] = await Promise.all([
        page.waitForNavigation(),
        page.getByRole('button', { name: 'Se déconnecter', exact: true }).click(),
      ]);
      assert.equal(out?.status(), 200, `page after signing out (${page.url()})`);
      assert.equal(
        await page.getByRole('button', { name: 'Se déconnecter', exact: true }).count(),
        0,
        'no "Se déconnecter" button once signed out',
      );

      const response = await page.goto('/compte');
      const url = new URL(page.url());
      assert.ok(response.request().redirectedFrom(), 'GET /compte signed out is a redirect');
      assert.equal(url.pathname, '/connexion', `signed out, /compte leads to the login page (now ${page.url()})`);
      assert.equal(url.searchParams.get('suite'), '/compte', `the login page keeps where to return (${url.search})`);
      assert.equal(response.status(), 200);
      await assertSingleH1(page, 'Connexion');
    });
  });
}
