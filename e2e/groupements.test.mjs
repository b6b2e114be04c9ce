// A groupement de commandes in the browser, from the opportunity to the members' contracts:
// the coordinator creates it from the cleaning opportunity (as of 2019-01-01, the perimeter
// widened to every buyer: in the territory only the métropole publishes cleaning contracts),
// which invites nobody outside the territory (ADVIVO is listed "hors territoire"), adjusts
// the terms (a bad duration shown next to its field first), invites Domène and Échirolles and
// opens it; each commune's buyer joins from the
// "Groupements" list and enters its need (Échirolles with the keyboard alone); the three
// sign the convention, printable and in PDF; the coordinator launches the consultation and
// awards the lot (a missing DECP choice shown next to its field first); each member then sees
// only its own contract. axe on the list, the page as coordinator (draft and awarded), as a
// member with its need form, and the convention; a supplier is refused.
//
// Then the irreversible actions, each through its confirmation page: on a second groupement,
// Domène's buyer joins, asks to withdraw, goes back, then withdraws with the keyboard alone
// and lands on the groupement's page, which it still reads, with what its withdrawal changed;
// the coordinator cancels it with a reason. axe on both confirmation pages and the page after.
//
// The demo seeds a groupement of its own ("Nettoyage des bâtiments communaux…"): this one is
// found by the id of its URL, never by its place in the list.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

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

const OPPORTUNITY = '/opportunites/9091?date=2019-01-01&perimetre=tous';
/** Where the groupement links back to its opportunity. */
const SOURCE = '/opportunites/9091?date=2019-01-01&perimetre=tous';
const CREATED_TITLE = 'Groupement de commandes — Services de nettoyage';
const TITLE = 'Nettoyage des bâtiments 2020-2023';
const COORDINATOR = { siren: '200040715', name: 'Grenoble-Alpes-Métropole' };
const ADVIVO = '350276580';
const DOMENE = {
  email: 'acheteur.domene@demo.mutualis.test',
  siren: '213801509',
  name: 'Ville de Domène',
  population: '6 777',
  need: { amount: '240 000,00 €', quantity: '12 500', unit: 'm²' },
};
const ECHIROLLES = {
  email: 'acheteur.echirolles@demo.mutualis.test',
  siren: '213801517',
  name: "Ville d'Échirolles",
  population: '',
  need: { amount: '120 000,00 €', quantity: '5 250', unit: 'm²' },
};
const SUPPLIER_SIRET = '91234567500017';
const LOT_TOTAL = '600 000,00 €';

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

// ---------------------------------------------------------------------------------------------
// What a user finds on the page

/** The action form whose heading (h3) reads `name` (a string, exact, or a RegExp). */
function formNamed(page, name) {
  const heading = page.getByRole('heading', { name, exact: typeof name === 'string' });
  return page.locator('main form', { has: heading });
}

/** Clicks and waits for the page that answers (the redirect after a POST, or the form again). */
async function press(page, locator) {
  const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
  return response;
}

/** Presses the button `name` (exact) of `scope` (the page or one form). */
function pressButton(page, name, scope = page) {
  return press(page, scope.getByRole('button', { name, exact: true }));
}

/** The members table (caption "N organisme(s) invité(s) au groupement"). */
function membersTable(page) {
  return page.getByRole('table', { name: /organisme\(s\) invité\(s\) au groupement/ });
}

/** The needs table of lot 1 (caption "Lot 1 — …"). */
function lotTable(page) {
  return page.getByRole('table', { name: /^Lot 1 — / });
}

/** The body rows of a table, each as normalised text. */
async function rowTexts(table) {
  return (await table.locator('tbody tr').allInnerTexts()).map(normalise);
}

/** The one body row of `table` that mentions `text`, normalised. */
async function rowWith(table, text) {
  const rows = (await rowTexts(table)).filter((r) => r.includes(text));
  assert.equal(rows.length, 1, `one row mentions "${text}" in ${JSON.stringify(await rowTexts(table))}`);
  return rows[0];
}

/** The "Enregistré : …" notice (role="status"). */
async function notice(page) {
  return normalise(await page.getByRole('status').textContent());
}

/** The current step of the groupement ("Brouillon : en cours"). */
async function currentStep(page) {
  return normalise(await page.locator('main ol.groupement-steps li.step-current').textContent());
}

/** Asserts the field is marked invalid and described by an error that matches `pattern`. */
async function assertFieldError(field, pattern, label) {
  assert.equal(await field.getAttribute('aria-invalid'), 'true', `${label}: aria-invalid`);
  const ids = (await field.getAttribute('aria-describedby')) ?? '';
  assert.ok(ids.includes('-erreur'), `${label}: described by its error (aria-describedby="${ids}")`);
  const page = field.page();
  const texts = [];
  for (const id of ids.split(/\s+/).filter(Boolean)) texts.push(normalise(await page.locator(`[id="${id}"]`).textContent()));
  assert.match(texts.join(' '), pattern, `${label}: the error next to the field`);
}

/** An amount like "240 000,00 € HT" in cents. */
function cents(text) {
  const m = /^(\d{1,3}(?:[\s\u00a0\u202f]\d{3})*),(\d\d) € HT$/.exec(text);
  assert.ok(m, `an amount in "${text}"`);
  return Number(m[1].replace(/[\s\u00a0\u202f]/g, '')) * 100 + Number(m[2]);
}

/** A page signed in as the demo account of this e-mail (the harness keys accounts by e-mail too). */
async function signedIn(email) {
  const page = await newPage(browser, server.baseUrl);
  await loginAs(page, server, email);
  return page;
}

// ---------------------------------------------------------------------------------------------

describe('groupement de commandes', () => {
  let coordinator;
  let domene;
  let echirolles;
  let id;
  let groupementPath;

  before(async () => {
    coordinator = await newPage(browser, server.baseUrl);
    await loginAs(coordinator, server, 'coordinator');
    domene = await signedIn(DOMENE.email);
    echirolles = await signedIn(ECHIROLLES.email);
  });

  after(async () => {
    for (const page of [coordinator, domene, echirolles]) await page?.context().close();
  });

  test('the coordinator creates a groupement from the cleaning opportunity', async () => {
    const page = coordinator;
    const opportunity = await page.goto(OPPORTUNITY);
    assert.equal(opportunity.status(), 200);
    const created = await pressButton(page, 'Créer un groupement de commandes');
    assert.equal(created.status(), 200);
    const url = new URL(page.url());
    const m = /^\/groupements\/(\d+)$/.exec(url.pathname);
    assert.ok(m, `a groupement's page: ${page.url()}`);
    assert.equal(url.searchParams.get('fait'), 'creation');
    [groupementPath, id] = [m[0], m[1]];

    await assertSingleH1(page, CREATED_TITLE);
    await assertTitle(page, 'new groupement');
    assert.match(await notice(page), /Groupement créé à partir de l'opportunité/);
    assert.equal(await currentStep(page), 'Brouillon : en cours');
    assert.equal(
      await page.getByRole('link', { name: "l'opportunité de mutualisation" }).getAttribute('href'),
      SOURCE,
      'the groupement links to its opportunity',
    );

    // The opportunity's buyers of the territory: the métropole alone (coordinator, joined);
    // ADVIVO, outside the territory, is not invited, nor is its need proposed.
    const members = membersTable(page);
    assert.equal((await rowTexts(members)).length, 1, `the coordinator alone: ${JSON.stringify(await rowTexts(members))}`);
    assert.match(await rowWith(members, COORDINATOR.siren), /Grenoble-Alpes-Métropole \(coordonnateur\).*adhésion le/);
    const needs = lotTable(page);
    assert.match(await rowWith(needs, 'Grenoble-Alpes-Métropole'), /€ HT saisi par le membre$/);
    assert.ok(!(await rowTexts(needs)).some((r) => r.includes('ADVIVO')), 'no need proposed for ADVIVO');
    await assertNoAxeViolations(page, 'draft groupement (coordinator)');
  });

  test('the coordinator adjusts the terms, invites two communes and opens it', async () => {
    const page = coordinator;

    // The terms: a duration that is no number is shown next to its field, nothing saved.
    let terms = formNamed(page, 'Termes du groupement');
    await terms.getByLabel('Intitulé', { exact: true }).fill(TITLE);
    await terms.getByLabel('Durée des contrats (mois)').fill('zéro');
    const refused = await pressButton(page, 'Enregistrer les termes', terms);
    assert.equal(refused.status(), 422);
    await assertSingleH1(page, CREATED_TITLE);
    assert.match(normalise(await page.getByRole('alert').textContent()), /Rien n'a été enregistré/);
    terms = formNamed(page, 'Termes du groupement');
    const duration = terms.getByLabel('Durée des contrats (mois)');
    await assertFieldError(duration, /Durée en mois : un nombre entier/, 'duration');
    assert.equal(await duration.inputValue(), 'zéro', 'the duration is kept as typed');
    assert.equal(await terms.getByLabel('Intitulé', { exact: true }).inputValue(), TITLE, 'the title is kept');
    await assertNoAxeViolations(page, 'draft groupement with a field error');

    await duration.fill('36');
    await pressButton(page, 'Enregistrer les termes', terms);
    assert.match(await notice(page), /Enregistré : modification des termes/);
    await assertSingleH1(page, TITLE);
    assert.match(normalise(await page.locator('main .key-figures').innerText()), /Durée 36 mois/);

    // Two communes invited, the second without its population.
    for (const commune of [DOMENE, ECHIROLLES]) {
      const invite = formNamed(page, 'Inviter un organisme');
      await invite.getByLabel('SIREN', { exact: true }).fill(commune.siren);
      await invite.getByLabel("Nom de l'organisme").fill(commune.name);
      await invite.getByLabel('Population (facultatif)').fill(commune.population);
      await pressButton(page, 'Inviter', invite);
      assert.match(await notice(page), /Enregistré : invitation/);
      assert.match(await rowWith(membersTable(page), commune.siren), /invitation sans réponse/);
    }
    assert.equal((await rowTexts(membersTable(page))).length, 3);

    await pressButton(page, 'Ouvrir aux adhésions');
    assert.match(await notice(page), /Enregistré : ouverture aux adhésions/);
    assert.equal(await currentStep(page), 'Ouvert aux adhésions : en cours');
  });

  test("Domène's buyer joins from the list and enters its need", async () => {
    const page = domene;
    await page.goto('/');
    await press(page, page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Groupements', exact: true }));
    assert.equal(new URL(page.url()).pathname, '/groupements');
    await assertSingleH1(page, 'Groupements de commandes');
    const link = page.getByRole('link', { name: TITLE, exact: true });
    assert.equal(await link.getAttribute('href'), groupementPath);
    const row = normalise(await page.getByRole('row').filter({ has: link }).innerText());
    assert.match(row, /Ouvert aux adhésions/);
    assert.match(row, /invitation sans réponse/);
    await assertNoAxeViolations(page, "Domène's /groupements");

    await press(page, link);
    assert.equal(new URL(page.url()).pathname, groupementPath);
    await assertSingleH1(page, TITLE);
    await pressButton(page, 'Adhérer au groupement');
    assert.match(await notice(page), /Enregistré : adhésion/);
    assert.match(await rowWith(membersTable(page), DOMENE.siren), /adhésion le/);

    const need = formNamed(page, /^Votre besoin — lot 1/);
    assert.equal(await need.count(), 1, 'a need form for lot 1');
    await assertNoAxeViolations(page, 'groupement page (member, with its need form)');
    await need.getByLabel('Montant estimé sur la durée du groupement (HT)').fill(DOMENE.need.amount);
    await need.getByLabel('Quantité (facultatif)').fill(DOMENE.need.quantity);
    await need.getByLabel('Unité (facultatif)').fill(DOMENE.need.unit);
    await pressButton(page, 'Enregistrer le besoin', need);
    assert.match(await notice(page), /Enregistré : besoin par lot/);

    await coordinator.goto(groupementPath);
    const seen = await rowWith(lotTable(coordinator), DOMENE.name);
    assert.match(seen, /12 500 m²/, "the coordinator sees Domène's quantity");
    assert.match(seen, /240 000,00 € HT saisi par le membre/);
  });

  test("Échirolles' buyer joins and enters its need with the keyboard alone", async () => {
    const page = echirolles;
    await page.goto(groupementPath);
    assertFocusShown(
      await tabTo(page, 'the button "Adhérer au groupement"', (f) => f.tag === 'button' && f.text === 'Adhérer au groupement'),
      'the button "Adhérer au groupement"',
    );
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(await notice(page), /Enregistré : adhésion/);

    assertFocusShown(
      await tabTo(page, 'the amount of the need form', (f) => f.id === 'besoin-1-montant'),
      'the amount of the need form',
    );
    await page.keyboard.type(ECHIROLLES.need.amount);
    await nextField(page, 'besoin-1-quantite');
    await page.keyboard.type(ECHIROLLES.need.quantity);
    await nextField(page, 'besoin-1-unite');
    await page.keyboard.type(ECHIROLLES.need.unit);
    await page.keyboard.press('Tab');
    const button = await focused(page);
    assert.equal(button.tag, 'button');
    assert.equal(button.text, 'Enregistrer le besoin');
    assert.ok(button.focusVisible && button.outlineStyle !== 'none', 'the button shows its focus');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(await notice(page), /Enregistré : besoin par lot/);
    assert.match(await rowWith(lotTable(page), ECHIROLLES.name), /5 250 m² 120 000,00 € HT/);

    await coordinator.goto(groupementPath);
    assert.match(await rowWith(lotTable(coordinator), ECHIROLLES.name), /5 250 m²/);
  });

  test('the three sign the convention, printable and in PDF', async () => {
    const signatories = [
      [coordinator, 'Le président de Grenoble-Alpes-Métropole', COORDINATOR.siren],
      [domene, 'Le maire de Domène', DOMENE.siren],
      [echirolles, "Le maire d'Échirolles", ECHIROLLES.siren],
    ];
    const yesterday = frenchDate(-1);
    for (const [page, signatory, siren] of signatories) {
      await page.goto(groupementPath);
      const sign = formNamed(page, 'Signer la convention');
      await sign.getByLabel('Signataire et qualité').fill(signatory);
      await sign.getByLabel('Référence de la délibération').fill(`DEL-E2E-${siren}`);
      await sign.getByLabel('Date de la délibération').fill(yesterday);
      await pressButton(page, 'Signer la convention', sign);
      assert.match(await notice(page), /Enregistré : signature de la convention/);
      const row = await rowWith(membersTable(page), siren);
      assert.ok(row.includes(`par ${signatory} (délibération DEL-E2E-${siren} du ${yesterday})`), row);
      assert.equal(await formNamed(page, 'Signer la convention').count(), 0, 'signed once');
    }
    await coordinator.goto(groupementPath);
    assert.equal(await currentStep(coordinator), 'Convention signée : en cours');

    // The printable convention, in French, names its members.
    const page = domene;
    await page.goto(groupementPath);
    const printable = await press(page, page.getByRole('link', { name: 'Convention constitutive (version imprimable)' }));
    assert.equal(printable.status(), 200);
    assert.equal(new URL(page.url()).pathname, `${groupementPath}/convention`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
    const text = normalise(await page.locator('body').textContent());
    for (const expected of ['Convention constitutive', COORDINATOR.name, DOMENE.name, ECHIROLLES.name]) {
      assert.ok(text.includes(expected), `the convention names "${expected}"`);
    }
    assert.ok(!text.includes(ADVIVO), 'ADVIVO, withdrawn, is not in the convention');
    await assertNoAxeViolations(page, 'printable convention');

    // The PDF, with the member's session.
    const pdf = await page.request.get(`${groupementPath}/convention.pdf`);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.match(pdf.headers()['content-disposition'] ?? '', /^attachment; filename=/);
    const bytes = await pdf.body();
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  });

  test('the coordinator launches the consultation and awards the lot', async () => {
    const page = coordinator;
    await page.goto(groupementPath);
    await pressButton(page, 'Lancer la consultation');
    assert.match(await notice(page), /Enregistré : lancement de la consultation/);
    assert.equal(await currentStep(page), 'Consultation lancée : en cours');

    const choices = [
      ['Procédure', "Appel d'offres ouvert"],
      ["Technique d'achat", 'Accord-cadre'],
      ["Modalité d'exécution", 'Bons de commande'],
      ['CCAG de référence', 'Fournitures courantes et services'],
      ['Forme du prix', 'Unitaire'],
      ['Type de prix', 'Définitif révisable'],
      ['Avance attribuée', 'Non'],
      ["Groupement d'opérateurs économiques", 'Pas de groupement'],
      ['Sous-traitance déclarée', 'Non'],
      ['Marché innovant', 'Non'],
      ['Considération sociale', 'Clause sociale'],
      ["Lieu d'exécution : type de code", 'Code département'],
    ];
    const forgotten = ['Considération environnementale', 'Critère environnemental'];
    let award = formNamed(page, 'Attribution');
    assert.equal(await award.getByLabel('Date de notification').inputValue(), frenchDate(0), 'notified today');
    assert.equal(await award.getByLabel('Date de publication des données').inputValue(), frenchDate(0));
    assert.equal(await award.getByLabel(forgotten[0], { exact: true }).inputValue(), '', 'nothing chosen beforehand');
    await award.getByLabel('SIRET du titulaire').fill(SUPPLIER_SIRET);
    await award.getByLabel('Montant total du lot 1 (HT)').fill(LOT_TOTAL);
    for (const [label, option] of choices) {
      await award.getByLabel(label, { exact: true }).selectOption({ label: option });
    }
    await award.getByLabel("Nombre d'offres reçues").fill('4');
    await award.getByLabel("Lieu d'exécution : code").fill('38');

    // One choice left on "— choisir —": shown next to it, the rest kept.
    const refused = await pressButton(page, "Enregistrer l'attribution", award);
    assert.equal(refused.status(), 422);
    assert.match(normalise(await page.getByRole('alert').textContent()), /Rien n'a été enregistré/);
    award = formNamed(page, 'Attribution');
    const environment = award.getByLabel(forgotten[0], { exact: true });
    await assertFieldError(environment, /Choisissez une valeur de la liste/, forgotten[0]);
    assert.equal(await award.getByLabel('Procédure', { exact: true }).inputValue(), "Appel d'offres ouvert", 'the choices are kept');
    assert.equal(await award.getByLabel('SIRET du titulaire').inputValue(), SUPPLIER_SIRET);
    assert.equal(await award.locator('[aria-invalid="true"]').count(), 1, 'one field in error');
    await assertNoAxeViolations(page, 'award form with a field error');

    await environment.selectOption({ label: forgotten[1] });
    await pressButton(page, "Enregistrer l'attribution", award);
    assert.match(await notice(page), /Enregistré : attribution/);
    assert.equal(await currentStep(page), 'Attribué : en cours');
    assert.match(
      normalise(await page.locator('main table caption', { hasText: /^Lot 1 — / }).textContent()),
      new RegExp(`attribué à Nettoyage des Alpes \\(entreprise de démonstration\\), SIRET ${SUPPLIER_SIRET}, pour 600 000,00 € HT`),
    );

    // One contract per member with a need; together, the lot's total.
    assert.equal(await page.getByRole('heading', { name: 'Contrats des membres' }).count(), 1);
    const contracts = page.getByRole('table', { name: "Contrats créés à l'attribution, un par membre et par lot" });
    const rows = await rowTexts(contracts);
    assert.equal(rows.length, 3, `three contracts: ${JSON.stringify(rows)}`);
    for (const name of [COORDINATOR.name, DOMENE.name, ECHIROLLES.name]) {
      assert.equal(rows.filter((r) => r.startsWith(name)).length, 1, `one contract for ${name}`);
    }
    let total = 0;
    for (const row of await contracts.locator('tbody tr').all()) {
      // Cells after the member's name: lot, contract, amount, share of the lot.
      total += cents(normalise(await row.getByRole('cell').nth(2).innerText()));
    }
    assert.equal(total, 600_000_00, `the contracts add up to the lot's total: ${JSON.stringify(rows)}`);
    await assertNoAxeViolations(page, 'awarded groupement (coordinator)');
  });

  test("Domène's buyer sees its own contract only, and opens it", async () => {
    const page = domene;
    await page.goto(groupementPath);
    assert.equal(await page.getByRole('heading', { name: 'Votre contrat' }).count(), 1);
    assert.equal(await page.getByRole('heading', { name: 'Contrats des membres' }).count(), 0);
    const contracts = page.getByRole('table', { name: "Contrats créés à l'attribution, un par membre et par lot" });
    const rows = await rowTexts(contracts);
    assert.equal(rows.length, 1, `its contract alone: ${JSON.stringify(rows)}`);
    assert.ok(rows[0].startsWith(DOMENE.name), rows[0]);
    assert.ok(!rows[0].includes('chirolles') && !rows[0].includes(COORDINATOR.name), rows[0]);
    assert.match(rows[0], new RegExp(`GRP${id}-L1`));
    await assertNoAxeViolations(page, 'awarded groupement (member)');

    const opened = await press(page, contracts.getByRole('link', { name: new RegExp(`^GRP${id}-L1`) }));
    assert.equal(opened.status(), 200);
    assert.match(new URL(page.url()).pathname, /^\/contrats\/\d+$/);
    await assertSingleH1(page);
    await assertTitle(page, "Domène's contract");
    assert.match(normalise(await page.locator('main').textContent()), new RegExp(`GRP${id}-L1`));
  });

  test('the list passes axe for the coordinator; a supplier is refused', async () => {
    const list = await coordinator.goto('/groupements');
    assert.equal(list.status(), 200);
    await assertSingleH1(coordinator, 'Groupements de commandes');
    const row = normalise(
      await coordinator.getByRole('row').filter({ has: coordinator.getByRole('link', { name: TITLE, exact: true }) }).innerText(),
    );
    assert.match(row, /Attribué/);
    await assertNoAxeViolations(coordinator, "coordinator's /groupements");

    const supplier = await newPage(browser, server.baseUrl);
    try {
      await loginAs(supplier, server, 'supplier');
      assert.equal(
        await supplier.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Groupements' }).count(),
        0,
        'no "Groupements" link for a supplier',
      );
      for (const path of ['/groupements', groupementPath]) {
        const refused = await supplier.goto(path);
        assert.equal(refused.status(), 403, `supplier GET ${path}`);
        await assertSingleH1(supplier, 'Accès refusé');
      }
    } finally {
      await supplier.context().close();
    }
  });
});

describe('withdrawal and cancellation, each confirmed first', () => {
  let coordinator;
  let domene;
  let groupementPath;

  before(async () => {
    coordinator = await newPage(browser, server.baseUrl);
    await loginAs(coordinator, server, 'coordinator');
    domene = await signedIn(DOMENE.email);
  });

  after(async () => {
    for (const page of [coordinator, domene]) await page?.context().close();
  });

  test('the coordinator opens a groupement to Domène, which joins', async () => {
    const page = coordinator;
    await page.goto(OPPORTUNITY);
    await pressButton(page, 'Créer un groupement de commandes');
    const m = /^\/groupements\/\d+$/.exec(new URL(page.url()).pathname);
    assert.ok(m, `a groupement's page: ${page.url()}`);
    groupementPath = m[0];
    const invite = formNamed(page, 'Inviter un organisme');
    await invite.getByLabel('SIREN', { exact: true }).fill(DOMENE.siren);
    await invite.getByLabel("Nom de l'organisme").fill(DOMENE.name);
    await invite.getByLabel('Population (facultatif)').fill(DOMENE.population);
    await pressButton(page, 'Inviter', invite);
    await pressButton(page, 'Ouvrir aux adhésions');
    assert.equal(await currentStep(page), 'Ouvert aux adhésions : en cours');

    await domene.goto(groupementPath);
    await pressButton(domene, 'Adhérer au groupement');
    const need = formNamed(domene, /^Votre besoin — lot 1/);
    await need.getByLabel('Montant estimé sur la durée du groupement (HT)').fill(DOMENE.need.amount);
    await pressButton(domene, 'Enregistrer le besoin', need);
    assert.match(await rowWith(lotTable(domene), DOMENE.name), /240 000,00 € HT/);
  });

  test("Domène's buyer is told what withdrawing changes, goes back, then withdraws with the keyboard", async () => {
    const page = domene;
    await page.goto(groupementPath);
    const asked = await pressButton(page, 'Se retirer du groupement');
    assert.equal(asked.status(), 200);
    assert.equal(new URL(page.url()).pathname, `${groupementPath}/actions`);
    assert.match(await assertSingleH1(page), /^Vous retirer du groupement « .+ » \?$/);
    await assertTitle(page, 'withdrawal confirmation');
    const said = normalise(await page.locator('main').innerText());
    assert.match(said, /Rien n'est encore enregistré/);
    assert.match(said, /240 000,00 € HT en tout, sortiront des totaux des lots/);
    assert.match(said, /Conséquence financière .* la part de votre organisme est de \d+,\d\d %/);
    assert.match(
      await rowWith(page.getByRole('table', { name: 'Totaux des lots, avant et après le retrait' }), 'Lot 1'),
      /240 000,00 € HT/,
    );
    await assertNoAxeViolations(page, 'withdrawal confirmation');

    // Going back changes nothing.
    const form = page.locator('main form');
    await press(page, form.getByRole('link', { name: 'Ne pas me retirer : revenir au groupement' }));
    assert.equal(new URL(page.url()).pathname, groupementPath);
    assert.match(await rowWith(membersTable(page), DOMENE.siren), /adhésion le/);

    // With the keyboard alone: the first post, then the confirmation.
    assertFocusShown(
      await tabTo(page, 'the button "Se retirer du groupement"', (f) => f.tag === 'button' && f.text === 'Se retirer du groupement'),
      'the button "Se retirer du groupement"',
    );
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(await assertSingleH1(page), /^Vous retirer du groupement/);
    assertFocusShown(
      await tabTo(page, 'the confirming button', (f) => f.tag === 'button' && f.text === 'Confirmer le retrait du groupement'),
      'the confirming button',
    );
    const [landed] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(landed.status(), 200, 'the groupement is still there for it, never "Page introuvable"');
    assert.equal(new URL(page.url()).pathname, groupementPath);
    assert.match(await notice(page), new RegExp(`^Vous vous êtes retiré du groupement « .+ » le ${frenchDate(0)}\\.`));
    assert.equal(await page.getByRole('heading', { name: 'Votre retrait' }).count(), 1);
    assert.match(await rowWith(membersTable(page), DOMENE.siren), /retrait le/);
    assert.ok(!(await rowTexts(lotTable(page))).some((r) => r.startsWith(DOMENE.name)), 'its need left the lot');
    assert.equal(await page.locator('main form').count(), 0, 'read-only');
    await assertNoAxeViolations(page, 'groupement page after a withdrawal');
  });

  test('the coordinator cancels the groupement once it has confirmed', async () => {
    const page = coordinator;
    await page.goto(groupementPath);
    const cancel = formNamed(page, 'Annuler le groupement');
    await cancel.getByLabel("Motif de l'annulation").fill('Besoins trop différents');
    const asked = await pressButton(page, 'Annuler le groupement', cancel);
    assert.equal(asked.status(), 200);
    assert.match(await assertSingleH1(page), /^Annuler le groupement « .+ » \?$/);
    const said = normalise(await page.locator('main').innerText());
    assert.match(said, /pour le motif : « Besoins trop différents »/);
    assert.match(said, /un groupement annulé ne peut pas être rouvert/);
    await assertNoAxeViolations(page, 'cancellation confirmation');

    await pressButton(page, "Confirmer l'annulation du groupement");
    assert.equal(new URL(page.url()).pathname, groupementPath);
    assert.match(await notice(page), new RegExp(`^Groupement annulé le ${frenchDate(0)} : il ne peut plus être rouvert`));
    assert.equal(await page.locator('main form').count(), 0, 'no action any more');
  });
});
