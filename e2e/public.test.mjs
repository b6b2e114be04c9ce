// Public pages, no account needed: home, skip link, landmarks, 404, static cache, accessibility.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  assertNoAxeViolations,
  assertSingleH1,
  launchBrowser,
  newPage,
  normalise,
  startServer,
} from './helpers.mjs';

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

describe('home page /', () => {
  test('French page: one h1, the 49 communes and the population', async () => {
    const page = await newPage(browser, server.baseUrl);
    const res = await page.goto('/');
    assert.equal(res.status(), 200);
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
    await assertSingleH1(page, 'Grenoble-Alpes-Métropole', '/');

    const rowCounts = await page.locator('table').evaluateAll((tables) =>
      tables.map((t) => t.querySelectorAll(':scope > tbody > tr').length),
    );
    assert.ok(
      rowCounts.includes(49),
      `a table with 49 rows in its tbody (one per commune); tbody row counts found: ${JSON.stringify(rowCounts)}`,
    );

    const body = normalise(await page.locator('body').innerText());
    assert.ok(body.includes('449 509'), 'the population "449 509" (digits grouped by a narrow space)');
    await page.context().close();
  });

  test('landmarks header, nav, main#contenu and footer', async () => {
    const page = await newPage(browser, server.baseUrl);
    await page.goto('/');
    for (const selector of ['header', 'nav', 'main', 'footer']) {
      assert.ok((await page.locator(selector).count()) >= 1, `landmark <${selector}> present`);
    }
    assert.equal(await page.locator('main#contenu').count(), 1, 'one <main id="contenu">');
    assert.equal(
      await page.locator('nav[aria-label="Navigation principale"]').count(),
      1,
      'the main navigation is labelled "Navigation principale"',
    );
    await page.context().close();
  });

  test('skip link is the first focusable element and leads to main#contenu', async () => {
    const page = await newPage(browser, server.baseUrl);
    await page.goto('/');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      return { tag: el?.tagName, href: el?.getAttribute('href'), text: el?.textContent?.trim() };
    });
    assert.deepEqual(
      { tag: focused.tag, href: focused.href },
      { tag: 'A', href: '#contenu' },
      `first Tab focuses the skip link (focused: ${JSON.stringify(focused)})`,
    );
    assert.equal(normalise(focused.text), 'Aller au contenu');
    const visible = await page.evaluate(() => {
      const r = document.activeElement.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
    });
    assert.ok(visible, 'the focused skip link is visible on screen');

    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#contenu');
    const after = await page.evaluate(() => {
      const main = document.querySelector('main#contenu');
      const el = document.activeElement;
      return {
        hash: location.hash,
        focusInMain: !!main && !!el && main.contains(el),
        active: el ? `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}` : null,
      };
    });
    assert.equal(after.hash, '#contenu');
    assert.ok(after.focusInMain, `focus moves into main#contenu (focused: ${after.active})`);
    // The next Tab continues from the main content, not from the header again.
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => {
      const main = document.querySelector('main#contenu');
      const el = document.activeElement;
      return {
        inHeader: !!el?.closest('header'),
        afterMain: !!el && (main.contains(el) || !!(main.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING)),
      };
    });
    assert.ok(!next.inHeader && next.afterMain, 'Tab after the skip link continues inside or after the main content');
    await page.context().close();
  });

  test('axe: no WCAG 2.1 A/AA violation on /', async () => {
    const page = await newPage(browser, server.baseUrl);
    await page.goto('/');
    await assertNoAxeViolations(page, '/');
    await page.context().close();
  });

  test('axe: no WCAG 2.1 A/AA violation on /connexion', async () => {
    const page = await newPage(browser, server.baseUrl);
    const res = await page.goto('/connexion');
    assert.equal(res.status(), 200);
    await assertNoAxeViolations(page, '/connexion');
    await page.context().close();
  });
});

describe('not found', () => {
  test('/page-inexistante answers 404 "Page introuvable", accessible', async () => {
    const page = await newPage(browser, server.baseUrl);
    const res = await page.goto('/page-inexistante');
    assert.equal(res.status(), 404);
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
    await assertSingleH1(page, 'Page introuvable', '/page-inexistante');
    await assertNoAxeViolations(page, '/page-inexistante (404)');
    await page.context().close();
  });
});

describe('static files', () => {
  test('/static/style.css is cacheable (cache-control with max-age)', async () => {
    const res = await fetch(`${server.baseUrl}/static/style.css`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/css/);
    const cacheControl = res.headers.get('cache-control') ?? '';
    assert.match(cacheControl, /max-age/, `cache-control: ${JSON.stringify(cacheControl)}`);
  });
});
