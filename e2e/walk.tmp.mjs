// Walk every page of every role after uploading the real DECP files; screenshots in $SHOTS.
import { launchBrowser, loginAs, newPage, startServer, assertNoAxeViolations, runAxe } from './helpers.mjs';
import { readFileSync, mkdirSync } from 'node:fs';
const shots = process.env.SHOTS || '/tmp/walk';
mkdirSync(shots, { recursive: true });
const files = (process.env.FILES || '').split(',').filter(Boolean);
const server = await startServer();
const browser = await launchBrowser();
const results = [];
try {
  const coord = await newPage(browser, server.baseUrl);
  await loginAs(coord, server, 'coordinator');
  for (const f of files) {
    await coord.goto('/contrats/import');
    await coord.setInputFiles('input[type=file]', f);
    const [resp] = await Promise.all([coord.waitForNavigation(), coord.locator('main form button[type=submit]').first().click()]);
    results.push(['upload', f, resp.status()]);
    await coord.screenshot({ path: `${shots}/upload-${f.split('/').pop()}.png`, fullPage: true });
  }
  await coord.context().close();
  const emails = Object.keys(server.accounts).filter((k) => k.includes('@'));
  for (const email of emails) {
    const page = await newPage(browser, server.baseUrl);
    const { login } = await import('./helpers.mjs');
    await login(page, server.baseUrl, email, server.accounts[email].password);
    const links = await page.locator('nav[aria-label="Navigation principale"] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const extra = (process.env.EXTRA || '').split(',').filter(Boolean);
    for (const href of [...new Set([...links, ...extra])]) {
      const resp = await page.goto(href);
      const v = await runAxe(page);
      const name = `${email.split('@')[0]}${href.replace(/[^a-z0-9]+/gi, '_')}`;
      const h = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.screenshot({ path: `${shots}/${name}.png`, fullPage: h < 6000, timeout: 30000 });
      results[results.length] = ['height', h];
      results.push([email, href, resp.status(), v.length]);
    }
    await page.context().close();
  }
} finally {
  console.log(JSON.stringify(results, null, 0).replace(/\],\[/g, '],\n['));
  await browser.close();
  await server.stop();
}
