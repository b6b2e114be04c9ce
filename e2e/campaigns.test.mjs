// Inventory campaigns in the browser: the demo coordinator opens a campaign inviting the demo
// member's commune (Domène), the member declares a need through the form with the keyboard
// alone, downloads its workbook and uploads it back unchanged, and the coordinator's board
// shows the member as answered; the coordinator closes the campaign with the keyboard alone,
// through the confirmation page that says what closing does. axe on the list, the
// new-campaign form (with and without errors), the board, the closing confirmation and the
// member page.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  assertFocusShown,
  assertNoAxeViolations,
  assertSingleH1,
  assertTitle,
  focused,
  frenchDate,
  launchBrowser,
  loginAs,
  newPage,
  nextField,
  normalise,
  startServer,
  tabTo,
} from './helpers.mjs';

const TITLE = 'Recensement des besoins 2027 (e2e)';

let server;
let browser;
let scratch;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'mutualis-e2e-campaigns-'));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function submit(page, name) {
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  return response;
}

describe('inventory campaign', () => {
  let coordinator;
  let member;
  let campaignPath;

  before(async () => {
    coordinator = await newPage(browser, server.baseUrl);
    await loginAs(coordinator, server, 'coordinator');
    member = await newPage(browser, server.baseUrl);
    await loginAs(member, server, 'member_buyer');
  });

  after(async () => {
    await coordinator?.context().close();
    await member?.context().close();
  });

  test('the coordinator opens a campaign inviting Domène', async () => {
    const page = coordinator;
    const list = await page.goto('/campagnes');
    assert.equal(list.status(), 200);
    await assertSingleH1(page, 'Campagnes de recensement');
    await assertTitle(page, '/campagnes');
    await assertNoAxeViolations(page, 'coordinator /campagnes');

    const [form] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('link', { name: 'Ouvrir une nouvelle campagne' }).click(),
    ]);
    assert.equal(form.status(), 200);
    await assertSingleH1(page, 'Nouvelle campagne de recensement');
    await assertNoAxeViolations(page, 'new-campaign form');

    // Empty: every error next to its field, nothing created.
    const refused = await submit(page, 'Créer la campagne');
    assert.equal(refused.status(), 422);
    for (const id of ['titre', 'ouverture', 'cloture', 'familles']) {
      assert.equal(await page.locator(`#${id}`).getAttribute('aria-invalid'), 'true', `#${id} invalid`);
      assert.match(await page.locator(`#${id}`).getAttribute('aria-describedby'), new RegExp(`${id}-erreur`));
      assert.ok(normalise(await page.locator(`#${id}-erreur`).textContent()).length > 0);
    }
    assert.ok(normalise(await page.locator('#membres-erreur').textContent()).length > 0);
    await assertNoAxeViolations(page, 'new-campaign form with errors');

    await page.locator('#titre').fill(TITLE);
    await page.locator('#ouverture').fill(frenchDate(-1));
    await page.locator('#cloture').fill(frenchDate(60));
    await page.locator('#familles').fill('9091, 30');
    await page.getByLabel('Domène', { exact: true }).check();
    const created = await submit(page, 'Créer la campagne');
    assert.equal(created.status(), 200);
    const url = new URL(page.url());
    assert.match(url.pathname, /^\/campagnes\/\d+$/);
    campaignPath = url.pathname;
    await assertSingleH1(page, TITLE);
    assert.match(normalise(await page.locator('[role="status"]').textContent()), /Campagne créée/);
    const row = page.locator('tr', { has: page.locator('th', { hasText: /^Domène$/ }) });
    assert.match(normalise(await row.textContent()), /Pas encore répondu/);
    await assertNoAxeViolations(page, 'campaign board');
  });

  test('the member declares a need: a bad date is shown next to its field', async () => {
    const page = member;
    const list = await page.goto('/campagnes');
    assert.equal(list.status(), 200);
    await assertNoAxeViolations(page, 'member /campagnes');
    const [opened] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('link', { name: TITLE, exact: true }).click(),
    ]);
    assert.equal(opened.status(), 200);
    assert.equal(new URL(page.url()).pathname, campaignPath);
    await assertSingleH1(page, TITLE);
    await assertNoAxeViolations(page, 'member campaign page');

    await page.locator('#cpv').fill('90910000');
    await page.locator('#description').fill('Nettoyage des écoles');
    await page.locator('#montant').fill('12 500,50');
    await page.locator('#debut').fill('31/02/2027');
    const refused = await submit(page, 'Enregistrer le besoin');
    assert.equal(refused.status(), 422);
    assert.equal(await page.locator('#debut').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#debut').getAttribute('aria-describedby'), /debut-erreur/);
    assert.match(normalise(await page.locator('#debut-erreur').textContent()), /31\/02\/2027/);
    assert.equal(await page.locator('#montant').inputValue(), '12 500,50', 'the amount is kept as typed');
    assert.equal(await page.locator('#montant').getAttribute('aria-invalid'), null, 'the French amount is accepted');
    await assertNoAxeViolations(page, 'member page with a field error');
  });

  test('the member declares a need with the keyboard alone', async () => {
    const page = member;
    await page.goto(campaignPath);
    const cpv = await tabTo(page, 'the field #cpv', (f) => f.id === 'cpv');
    assert.ok(cpv.focusVisible && cpv.outlineStyle !== 'none', '#cpv shows its focus');
    await page.keyboard.type('90911200-8');
    await nextField(page, 'description');
    await page.keyboard.type('Nettoyage des gymnases');
    await nextField(page, 'montant');
    await page.keyboard.type('12 500,50');
    await nextField(page, 'debut');
    await page.keyboard.type('01/01/2027');
    await nextField(page, 'quantite');
    await page.keyboard.type('4 500');
    await nextField(page, 'unite');
    await page.keyboard.type('m²');
    await nextField(page, 'contrat');
    await nextField(page, 'fin_contrat');
    await nextField(page, 'exigences_sociales');
    await page.keyboard.type("Clause d'insertion");
    await nextField(page, 'exigences_environnementales');
    // Into the radio group: the checked choice, then the arrows choose.
    const none = await nextField(page, 'reserve-aucun');
    assert.equal(none.checked, true, '"Non réservé" is chosen by default');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const insertion = await focused(page);
    assert.equal(insertion.id, 'reserve-insertion');
    assert.equal(insertion.checked, true, 'the arrows choose the reservation');
    await page.keyboard.press('Tab');
    const button = await focused(page);
    assert.equal(button.tag, 'button');
    assert.equal(button.text, 'Enregistrer le besoin');
    assert.ok(button.focusVisible && button.outlineStyle !== 'none', 'the button shows its focus');
    const [saved] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(saved.status(), 200);
    assert.match(normalise(await page.locator('[role="status"]').textContent()), /Besoin enregistré/);
    const rows = page.locator('section[aria-labelledby="besoins"] tbody tr');
    assert.equal(await rows.count(), 1);
    const row = normalise(await rows.first().textContent());
    assert.match(row, /Nettoyage des gymnases/);
    assert.match(row, /12 500,50 € HT/);
    assert.match(row, /4 500 m²/);
    assert.match(row, /structures d'insertion/);
    await assertNoAxeViolations(page, 'member page with a need');
  });

  test('the member downloads its workbook and uploads it back unchanged', async () => {
    const page = member;
    await page.goto(campaignPath);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#telecharger-classeur').click(),
    ]);
    assert.match(download.suggestedFilename(), /^besoins-.+\.xlsx$/);
    const file = path.join(scratch, download.suggestedFilename());
    await download.saveAs(file);
    const bytes = readFileSync(file);
    assert.ok(bytes.length > 1000, `a workbook of ${bytes.length} bytes`);
    assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'an XLSX file is a zip');

    await page.setInputFiles('#classeur', file);
    const uploaded = await submit(page, 'Déposer le classeur');
    assert.equal(uploaded.status(), 200);
    const notice = normalise(await page.locator('#resultat').textContent());
    assert.match(notice, /Classeur déposé/);
    assert.match(notice, /Votre réponse est envoyée/);
    // The need entered in the form is in the workbook, and is not doubled.
    assert.equal(await page.locator('section[aria-labelledby="besoins"] tbody tr').count(), 1);
    const answer = page.locator('dt', { hasText: 'Votre réponse' }).locator('xpath=following-sibling::dd');
    assert.match(normalise(await answer.textContent()), /^Envoyée le /);
    await assertNoAxeViolations(page, 'member page after the upload');
  });

  test("the coordinator's board shows Domène as answered", async () => {
    const page = coordinator;
    const board = await page.goto(campaignPath);
    assert.equal(board.status(), 200);
    const row = page.locator('tr', { has: page.locator('th', { hasText: /^Domène$/ }) });
    const text = normalise(await row.textContent());
    assert.match(text, /Répondu le /);
    assert.match(text, /12 500,50 € HT/);
    const figures = normalise(await page.locator('.key-figures').textContent());
    assert.match(figures, /1 sur 1/);
    await assertNoAxeViolations(page, 'campaign board with an answer');
  });

  test('the coordinator closes the campaign once it has confirmed, with the keyboard alone', async () => {
    const page = coordinator;
    await page.goto(campaignPath);
    assertFocusShown(
      await tabTo(page, 'the button "Clore la campagne"', (f) => f.tag === 'button' && f.text === 'Clore la campagne'),
      'the button "Clore la campagne"',
    );
    const [asked] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(asked.status(), 200);
    await assertSingleH1(page, `Clore la campagne « ${TITLE} » ?`);
    await assertTitle(page, 'closing confirmation');
    const said = normalise(await page.locator('main').innerText());
    assert.match(said, /Rien n'est encore enregistré/);
    assert.match(said, /les membres invités ne pourront plus y répondre/);
    assert.match(said, /Les besoins déclarés sont arrêtés tels quels : 1 besoin de 1 membre/);
    assert.match(said, /une campagne close ne se rouvre pas/);
    await assertNoAxeViolations(page, 'closing confirmation');

    assertFocusShown(
      await tabTo(page, 'the confirming button', (f) => f.tag === 'button' && f.text === 'Confirmer la clôture de la campagne'),
      'the confirming button',
    );
    const [closed] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(closed.status(), 200);
    assert.equal(new URL(page.url()).pathname, campaignPath);
    assert.match(normalise(await page.locator('[role="status"]').textContent()), /Campagne close : elle n'accepte plus de réponse/);
    assert.equal(await page.getByRole('button', { name: 'Clore la campagne', exact: true }).count(), 0);
  });

  test('a supplier has no campaign page', async () => {
    const page = await newPage(browser, server.baseUrl);
    try {
      await loginAs(page, server, 'supplier');
      assert.equal(await page.locator('nav a[href="/campagnes"]').count(), 0, 'no "Campagnes" link');
      const res = await page.goto('/campagnes');
      assert.equal(res.status(), 403);
      await assertSingleH1(page, 'Accès refusé');
      const detail = await page.goto(campaignPath);
      assert.equal(detail.status(), 403);
    } finally {
      await page.context().close();
    }
  });
});
