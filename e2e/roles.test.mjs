// Every demo role signs in, walks every link of the main navigation (status, h1, title, axe),
// sees the pages of its role, is refused the others, and signs out. The approver, the
// evaluator, the supplier and the mediator have no pages of their own yet: a home page that
// says what they will do here, their account, and a 403 on every page of a member.

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
/** The roles that see a member's pages. */
const BUYER_ROLES = ['coordinator', 'member_buyer'];
/** A member's pages, refused to the other roles. */
const MEMBER_PAGES = ['/contrats', '/calendrier', '/organisations', '/campagnes', '/opportunites', '/groupements'];
/** What the home page of each role without pages says it will do there. */
const PROMISES = {
  approver: 'valider ou refuser les commandes',
  evaluator: 'noter les sous-critères techniques et environnementaux',
  supplier: 'déposer vos offres',
  mediator: 'litiges sur les commandes',
};

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
      assert.ok(navPaths.includes('/compte'), `nav links to /compte (${navPaths.join(', ')})`);
      assert.ok(!navPaths.includes('/connexion'), 'a signed-in user is not offered "Se connecter"');
      if (role === 'coordinator') {
        assert.ok(navPaths.includes('/utilisateurs'), `the coordinator's nav links to /utilisateurs (${navPaths.join(', ')})`);
      } else {
        assert.ok(!navPaths.includes('/utilisateurs'), `only the coordinator's nav links to /utilisateurs (${navPaths.join(', ')})`);
      }
      // A member's pages are for the roles that buy; the others see their home and account.
      if (BUYER_ROLES.includes(role)) {
        for (const path of MEMBER_PAGES) {
          assert.ok(navPaths.includes(path), `the ${role}'s nav links to ${path} (${navPaths.join(', ')})`);
        }
      } else {
        assert.deepEqual(navPaths, ['/', '/compte'], `the ${role}'s nav: its home page and its account`);
      }
    });

    if (BUYER_ROLES.includes(role)) {
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
    } else {
      test('the home page says what the role will do here', async () => {
        const response = await page.goto('/');
        const h1 = await assertGoodPage(page, response, `${role} /`);
        assert.match(h1, /^Espace /, `${role}: the h1 names its space`);
        const main = normalise(await page.locator('main').textContent());
        assert.ok(main.includes(PROMISES[role]), `${role}'s home page says "${PROMISES[role]}" (${main})`);
      });

      test('every page of a member is refused: 403 "Accès refusé"', async () => {
        for (const path of MEMBER_PAGES) {
          const response = await page.goto(path);
          assert.equal(response.status(), 403, `${role} GET ${path}`);
          await assertSingleH1(page, 'Accès refusé', `${role} ${path}`);
          await assertTitle(page, `${role} ${path} (403)`);
          await assertNoAxeViolations(page, `${role} ${path} (403)`);
        }
      });
    }

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
