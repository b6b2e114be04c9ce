// The coordinator's DECP upload in the browser: the upload lands on its job's progress page,
// which reloads itself until the import is done and then shows the same summary as the command
// line on the same file; the list of jobs shows it; every page passes axe. Screenshots of the
// progress page, the finished job and the list go to $E2E_SCREENSHOTS (default: a folder of the
// system's temporary folder), for a person to look at.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  assertNoAxeViolations,
  assertSingleH1,
  launchBrowser,
  loginAs,
  mutualisBinary,
  newPage,
  startServer,
} from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ISERE = path.resolve(here, '..', 'data', 'decp', 'isere_extract_2019.json');

const SCREENSHOTS = process.env.E2E_SCREENSHOTS ?? path.join(os.tmpdir(), 'mutualis-e2e-screenshots');

let server;
let browser;
let scratch;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'mutualis-e2e-cli-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
});

/** Saves a screenshot of the whole page as SCREENSHOTS/NAME.png. */
async function screenshot(page, name) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Waits, without reloading the page by hand, until the job's page says `state`. */
async function waitForJobState(page, state) {
  await page.locator('#etat', { hasText: state }).waitFor({ timeout: 60_000 });
}

after(async () => {
  await browser?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The command line's summary of importing `file` into a fresh database, twice. */
function cliSummaries(file) {
  const db = `sqlite://${path.join(scratch, 'cli.db')}`;
  const run = () => JSON.parse(execFileSync(mutualisBinary(), ['import', 'decp', file, '--format', 'json', '--database-url', db], { encoding: 'utf8' }))[0];
  return [run(), run()];
}

/** The figures of the summary shown on the upload page. */
async function pageSummary(page) {
  const figures = {};
  for (const row of await page.locator('section[aria-labelledby="bilan"] dl div').all()) {
    const label = (await row.locator('dt').textContent()).trim();
    figures[label] = Number((await row.locator('dd').textContent()).trim());
  }
  return figures;
}

describe('DECP upload', () => {
  test('the browser upload gives the command line\'s summary, and is idempotent', async () => {
    const [cliFirst, cliSecond] = cliSummaries(ISERE);
    assert.equal(cliFirst.read, 220);
    assert.equal(cliSecond.created, 0, 'the command line is idempotent');

    const page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'coordinator');
    await page.goto('/contrats/import');
    await assertSingleH1(page, 'Importer un fichier DECP');
    await assertNoAxeViolations(page, 'upload form');

    // serve --demo already imported this file: the upload finds it unchanged, like the
    // command line's second run. The upload answers at once with its job's page.
    await page.setInputFiles('#fichier', ISERE);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Importer' }).click()]);
    assert.match(new URL(page.url()).pathname, /^\/travaux\/\d+$/);
    const jobUrl = page.url();
    await assertSingleH1(page, 'Import DECP : isere_extract_2019.json');

    // The page reloads itself until the server's worker finished the import.
    await waitForJobState(page, 'Terminé');
    assert.equal(page.url(), jobUrl);
    const shown = await pageSummary(page);
    assert.deepEqual(shown, {
      Lus: cliSecond.read,
      Créés: cliSecond.created,
      'Mis à jour': cliSecond.updated,
      Inchangés: cliSecond.unchanged,
      Rejetés: cliSecond.rejected,
      Corrigés: cliSecond.repaired,
    });
    await screenshot(page, 'job-done');
    await assertNoAxeViolations(page, 'upload summary');
    if (cliSecond.rejected > 0) {
      const rejectRows = await page.locator('table tbody tr').count();
      assert.equal(rejectRows, Math.min(cliSecond.rejected, 200), 'every rejected record listed');
    }

    // The coordinator's list of jobs shows it done.
    await page.goto('/travaux');
    await assertSingleH1(page, 'Travaux en arrière-plan');
    const row = page.locator('tbody tr', { hasText: 'isere_extract_2019.json' }).first();
    assert.match(await row.textContent(), /Terminé/);
    await screenshot(page, 'jobs-list');
    await assertNoAxeViolations(page, 'jobs list');
  });

  test('a job waiting for a worker: its page reloads itself and says it waits', async () => {
    // A server without a worker: its jobs stay queued.
    const idle = await startServer({ extraArgs: ['--no-worker'] });
    try {
      const page = await newPage(browser, idle.baseUrl);
      await loginAs(page, idle, 'coordinator');
      await page.goto('/contrats/import');
      await page.setInputFiles('#fichier', ISERE);
      const [response] = await Promise.all([
        page.waitForNavigation(),
        page.getByRole('button', { name: 'Importer' }).click(),
      ]);
      assert.match(new URL(page.url()).pathname, /^\/travaux\/\d+$/);
      assert.equal(response.headers().refresh, '2', 'the page reloads itself');
      assert.equal((await page.locator('#etat').textContent()).trim(), 'En attente');
      await screenshot(page, 'job-progress');
      // Asked to stay still, it does (and axe runs on a page that does not reload under it).
      await page.getByRole('link', { name: 'Arrêter la mise à jour automatique' }).click();
      await page.waitForURL(/actualiser=non$/);
      assert.equal((await page.locator('#etat').textContent()).trim(), 'En attente');
      await assertNoAxeViolations(page, 'queued job page');
      await page.goto('/travaux');
      const row = page.locator('tbody tr', { hasText: 'isere_extract_2019.json' }).first();
      assert.match(await row.textContent(), /En attente/);
      await screenshot(page, 'jobs-list-queued');
      await assertNoAxeViolations(page, 'jobs list with a queued job');
    } finally {
      await idle.stop();
    }
  });

  test('a member cannot see a job', async () => {
    const coordinator = await newPage(browser, server.baseUrl);
    await loginAs(coordinator, server, 'coordinator');
    await coordinator.goto('/travaux');
    const first = await coordinator.locator('tbody tr a').first().getAttribute('href');
    assert.match(first, /^\/travaux\/\d+$/);
    const member = await newPage(browser, server.baseUrl);
    await loginAs(member, server, 'member_buyer');
    const response = await member.goto(first);
    assert.equal(response.status(), 404);
  });

  test('a file that is not DECP fails its job, whose page says why', async () => {
    const page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'coordinator');
    await page.goto('/contrats/import');
    await page.setInputFiles('#fichier', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('pas un fichier DECP') });
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Importer' }).click()]);
    await waitForJobState(page, 'Échec');
    assert.match(await page.getByRole('alert').textContent(), /ni du JSON ni du XML/);
    await screenshot(page, 'job-failed');
    await assertNoAxeViolations(page, 'failed job');
  });
});
