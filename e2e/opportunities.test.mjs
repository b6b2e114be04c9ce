// The pooling opportunities in the browser: the coordinator asks for the opportunities as of
// 1 January 2019 (the demo's Isère contracts), reads the territory's food opportunity explained
// in French, opens its detail, widens the perimeter on purpose; both pages pass axe; the keyboard alone reaches the detail; the
// printed detail has no navigation; a member sees its own; a supplier is refused.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  assertFocusShown,
  assertNoAxeViolations,
  assertSingleH1,
  assertTitle,
  launchBrowser,
  loginAs,
  newPage,
  normalise,
  startServer,
  tabTo,
} from './helpers.mjs';

// The demo's territory meets in the food group (CPV 158, the demo's default depth): Domène's
// school meals and Échirolles' bakery products, both ending in 2019.
const FOOD = '/opportunites/158';
const CLEANING = '/opportunites/9091';

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

/** The link of the food opportunity in the list. */
function foodLink(page) {
  return page.locator(`main ol.opportunity-list a[href^="${FOOD}?"]`);
}

describe('opportunities', () => {
  test('the coordinator asks as of 2019-01-01, reads the territory\'s food opportunity and opens its detail', async () => {
    const page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'coordinator');
    const first = await page.goto('/opportunites');
    assert.equal(first.status(), 200);
    await assertSingleH1(page, 'Opportunités de mutualisation');

    await page.locator('#date').fill('2019-01-01');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Rechercher', exact: true }).click()]);
    const url = new URL(page.url());
    assert.equal(url.pathname, '/opportunites');
    assert.equal(url.searchParams.get('date'), '2019-01-01');
    await assertTitle(page, 'list');
    const main = normalise(await page.locator('main').textContent());
    assert.match(main, /Périmètre : les 50 organisations du territoire/);
    assert.doesNotMatch(main, /ADVIVO/, 'no buyer outside the territory by default');

    const link = foodLink(page);
    assert.equal(await link.count(), 1, 'one link to the food opportunity');
    assert.match(normalise(await link.textContent()), /^1\. Produits alimentaires divers \(CPV 15800000-6\)$/);
    const item = page.locator('main ol.opportunity-list > li').first();
    const explained = normalise(await item.textContent());
    assert.match(explained, /Famille « Denrées alimentaires »/);
    assert.match(explained, /Montant annuel cumulé/);
    assert.match(explained, /Économie estimée/);
    assert.match(explained, /Domène/);
    assert.match(explained, /Échirolles/);
    // The timeline, with its text alternative.
    assert.equal(await page.locator('main figure svg[role="img"]').count(), 1);
    assert.ok((await page.locator('main figure svg circle.contract').count()) > 0, 'contract marks');
    assert.equal(await page.locator('main table caption', { hasText: 'Les mêmes échéances, par opportunité' }).count(), 1);
    await assertNoAxeViolations(page, 'opportunities as of 2019-01-01');

    const [detail] = await Promise.all([page.waitForNavigation(), link.click()]);
    assert.equal(detail.status(), 200);
    assert.equal(new URL(page.url()).pathname, FOOD);
    await assertSingleH1(page, 'Produits alimentaires divers — CPV 15800000-6');
    await assertTitle(page, 'detail');
    const text = normalise(await page.locator('main').textContent());
    for (const expected of ['SIREN 213801509', 'SIREN 213801517', 'Hypothèses', 'Effet de seuil', 'Début commun proposé', 'Score']) {
      assert.ok(text.includes(expected), `the detail shows "${expected}"`);
    }
    assert.ok((await page.locator('main a[href^="/contrats/"]').count()) > 0, 'contracts link to their page');
    await assertNoAxeViolations(page, 'food opportunity');

    // Printed for a meeting: no navigation, no form.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('nav[aria-label="Navigation principale"]').isVisible(), false, 'no navigation in print');
    assert.equal(await page.getByRole('button', { name: 'Se déconnecter' }).isVisible(), false, 'no form in print');
    assert.equal(await page.locator('h1').isVisible(), true);
    await page.context().close();
  });

  test('the coordinator widens the perimeter on purpose: outsiders are marked, and not invited', async () => {
    const page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'coordinator');
    await page.goto('/opportunites?date=2019-01-01');
    await page.getByLabel('Périmètre').selectOption('tous');
    await page.getByLabel('Regroupement CPV').selectOption('classe');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Rechercher', exact: true }).click()]);
    assert.equal(new URL(page.url()).searchParams.get('perimetre'), 'tous');
    const main = normalise(await page.locator('main').textContent());
    assert.match(main, /Périmètre élargi/);
    assert.match(main, /ADVIVO \(hors territoire\)/);
    await assertNoAxeViolations(page, 'opportunities, widened perimeter');
    const cleaning = page.locator(`main ol.opportunity-list a[href^="${CLEANING}?"]`);
    await Promise.all([page.waitForNavigation(), cleaning.click()]);
    const detail = normalise(await page.locator('main').textContent());
    assert.match(detail, /hors territoire/);
    assert.match(detail, /Hors territoire, non invités : ADVIVO/);
    await page.context().close();
  });

  test('the keyboard alone reaches the detail link', async () => {
    const page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'coordinator');
    await page.goto('/opportunites?date=2019-01-01');
    const link = await tabTo(page, 'the food detail link', (f) => f.href?.startsWith(`${FOOD}?`));
    assertFocusShown(link, 'the food detail link');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, FOOD);
    await assertSingleH1(page, 'Produits alimentaires divers — CPV 15800000-6');
    await page.context().close();
  });

  test('a member sees the page with its own opportunities; a supplier is refused', async () => {
    const member = await newPage(browser, server.baseUrl);
    await loginAs(member, server, 'member_buyer');
    const response = await member.goto('/opportunites?date=2019-01-01');
    assert.equal(response.status(), 200);
    await assertSingleH1(member, 'Opportunités de mutualisation');
    assert.equal(await foodLink(member).count(), 1, 'Domène is in the food opportunity');
    assert.equal(await member.locator('main ol.opportunity-list > li').count(), 1, 'only its own');
    assert.match(normalise(await member.locator('main').textContent()), /Vous voyez les opportunités dont/);
    await assertNoAxeViolations(member, 'member opportunities');
    await member.context().close();

    const supplier = await newPage(browser, server.baseUrl);
    await loginAs(supplier, server, 'supplier');
    assert.equal(await supplier.locator('nav a[href="/opportunites"]').count(), 0, 'no link for a supplier');
    for (const path of ['/opportunites?date=2019-01-01', `${FOOD}?date=2019-01-01`]) {
      const refused = await supplier.goto(path);
      assert.equal(refused.status(), 403, `supplier GET ${path}`);
      await assertSingleH1(supplier, 'Accès refusé');
    }
    await supplier.context().close();
  });

  test('a bad date is shown next to its field and passes axe', async () => {
    const page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'coordinator');
    await page.goto('/opportunites');
    await page.locator('#date').fill('hier');
    await page.locator('#fenetre').fill('zéro');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Rechercher', exact: true }).click()]);
    assert.equal(await page.locator('#date').getAttribute('aria-invalid'), 'true');
    assert.match(normalise(await page.locator('#date-erreur').textContent()), /« hier » non reconnue : attendu JJ\/MM\/AAAA/);
    assert.equal(await page.locator('#fenetre').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('[role="alert"]').count(), 1);
    await assertNoAxeViolations(page, 'opportunities with errors');
    await page.context().close();
  });
});
