// Walk every page of every role, screenshot each (not part of the suite; removed after use).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { launchBrowser, newPage, login, parseCredentials, ROLES } from './helpers.mjs';

const bin = process.env.MUTUALIS_BIN;
const dir = '/tmp/walkdb'; mkdirSync(dir, { recursive: true });
const out = '/tmp/walk'; mkdirSync(out, { recursive: true });
const port = 18080 + Math.floor(Math.random() * 1000);
const base = `http://127.0.0.1:${port}`;
const child = spawn(bin, ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--database-url', `sqlite://${dir}/walk.db`, '--data-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
let stdout = '';
await new Promise((res) => child.stdout.on('data', (c) => { stdout += c; if (stdout.includes(`${base}/`)) res(); }));
const accounts = parseCredentials(stdout);
const browser = await launchBrowser();
const report = [];
async function shot(page, name) { await page.screenshot({ path: `${out}/${name}.png`, fullPage: true }); }
for (const role of ROLES) {
  const acc = accounts[role]; if (!acc) { report.push(`${role}: no account`); continue; }
  const page = await newPage(browser, base);
  await login(page, base, acc.email, acc.password);
  const seen = new Set(); const queue = ['/'];
  let n = 0;
  while (queue.length && n < 40) {
    const url = queue.shift(); if (seen.has(url)) continue; seen.add(url);
    const res = await page.goto(base + url); n++;
    const status = res?.status();
    const name = `${role}-${n}-${url.replace(/[^a-z0-9]+/gi, '_').slice(0, 60)}`;
    await shot(page, name);
    report.push(`${role} ${status} ${url} -> ${name}.png`);
    const links = await page.$$eval('a[href^="/"]', (as) => as.map((a) => a.getAttribute('href')));
    for (const l of links) {
      const p = l.split('#')[0];
      if (p.startsWith('/deconnexion') || p.includes('.xlsx') || p.includes('.pdf') || p.includes('.json') || p.includes('/export')) continue;
      // one contract / opportunity / groupement detail of each kind is enough
      const kind = p.replace(/\d+/g, 'N').split('?')[0];
      if ([...seen, ...queue].some((s) => s.replace(/\d+/g, 'N').split('?')[0] === kind && /N/.test(kind))) continue;
      if (!seen.has(p) && !queue.includes(p)) queue.push(p);
    }
  }
  await page.context().close();
}
writeFileSync(`${out}/report.txt`, report.join('\n') + '\n');
// The coordinator uploads a real DECP file with repairs, and opens its job and a repaired contract.
if (process.env.UPLOAD) {
  const acc = accounts.coordinator; const page = await newPage(browser, base);
  await login(page, base, acc.email, acc.password);
  await page.goto(base + '/import');
  await shot(page, 'upload-0-form');
  await page.setInputFiles('input[type=file]', process.env.UPLOAD);
  await Promise.all([page.waitForNavigation(), page.locator('form button[type=submit], form input[type=submit]').last().click()]);
  for (let i = 0; i < 60; i++) { const t = await page.textContent('body'); if (/terminé|Terminé|lus/.test(t) && !/en cours/i.test(t)) break; await page.waitForTimeout(1000); await page.reload(); }
  await shot(page, 'upload-1-job');
  const rows = execFileSync('sqlite3', [`${dir}/walk.db`, "select id from contracts where details like '%\"repairs\"%' limit 3"]).toString().trim().split('\n');
  for (const [i, id] of rows.entries()) { if (!id) continue; await page.goto(`${base}/contrats/${id}`); await shot(page, `upload-2-contract-${i}-${id}`); }
  const flagged = execFileSync('sqlite3', [`${dir}/walk.db`, "select contract_id from contract_flags limit 2"]).toString().trim().split('\n');
  for (const [i, id] of flagged.entries()) { if (!id) continue; await page.goto(`${base}/contrats/${id}`); await shot(page, `upload-3-flagged-${i}-${id}`); }
}
await browser.close(); child.kill('SIGTERM');
console.log(report.join('\n'));
