// The coordinator's DECP upload in the browser shows the same summary as the command line on
// the same file, and its pages pass axe.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

let server;
let browser;
let scratch;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'mutualis-e2e-cli-'));
});

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
    // command line's second run.
    await page.setInputFiles('#fichier', ISERE);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Importer' }).click()]);
    const shown = await pageSummary(page);
    assert.deepEqual(shown, {
      Lus: cliSecond.read,
      Créés: cliSecond.created,
      'Mis à jour': cliSecond.updated,
      Inchangés: cliSecond.unchanged,
      Rejetés: cliSecond.rejected,
    });
    await assertNoAxeViolations(page, 'upload summary');
    if (cliSecond.rejected > 0) {
      const rejectRows = await page.locator('table tbody tr').count();
      assert.equal(rejectRows, Math.min(cliSecond.rejected, 200), 'every rejected record listed');
    }
  });

  test('a file that is not DECP is refused next to the file field', async () => {
    const page = await newPage(browser, server.baseUrl);
    await loginAs(page, server, 'coordinator');
    await page.goto('/contrats/import');
    await page.setInputFiles('#fichier', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('pas un fichier DECP') });
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Importer' }).click()]);
    assert.equal(await page.locator('#fichier').getAttribute('aria-invalid'), 'true');
    assert.ok((await page.locator('#fichier-erreur').textContent()).trim().length > 0);
    await assertNoAxeViolations(page, 'upload error');
  });
});
