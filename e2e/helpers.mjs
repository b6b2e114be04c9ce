// Shared harness of the browser suite: one `mutualis serve --demo` per test file, Debian's
// Chromium driven by playwright-core, axe-core for accessibility.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

export const ROLES = ['coordinator', 'member_buyer', 'approver', 'evaluator', 'supplier', 'mediator'];

const CREDENTIAL_LINE =
  /^\s+(coordinator|member_buyer|approver|evaluator|supplier|mediator)\s+(\S+@\S+)\s+(\S+)\s*$/m;
const STARTUP_TIMEOUT_MS = 60_000;

/** The binary under test: $MUTUALIS_BIN, else $CARGO_TARGET_DIR/debug/mutualis, else ../target/debug/mutualis. */
export function mutualisBinary() {
  if (process.env.MUTUALIS_BIN) return path.resolve(process.env.MUTUALIS_BIN);
  if (process.env.CARGO_TARGET_DIR) {
    return path.resolve(process.env.CARGO_TARGET_DIR, 'debug', 'mutualis');
  }
  return path.resolve(here, '..', 'target', 'debug', 'mutualis');
}

async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/**
 * Demo credentials printed by `serve --demo`, keyed by role (the first account printed for a
 * role) and by e-mail (every account). Exported for tests of the parser.
 */
export function parseCredentials(text) {
  const accounts = {};
  for (const line of text.split('\n')) {
    const m = CREDENTIAL_LINE.exec(line);
    if (m) {
      const account = { email: m[2], password: m[3] };
      accounts[m[1]] ??= account;
      accounts[m[2]] = account;
    }
  }
  return accounts;
}

/**
 * Starts `mutualis serve --demo` on a free port with a fresh SQLite database, with `extraArgs`
 * after its own (`--no-worker`).
 * Resolves once the server printed its URL; returns {baseUrl, accounts, account(role), stop()}.
 */
export async function startServer({ extraArgs = [] } = {}) {
  const bin = mutualisBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `mutualis binary not found: ${bin}. Build it (cargo build -p mutualis) or set MUTUALIS_BIN.`,
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mutualis-e2e-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const args = [
    'serve',
    '--demo',
    '--bind',
    `127.0.0.1:${port}`,
    '--database-url',
    `sqlite://${path.join(dir, 'e2e.db')}`,
    ...extraArgs,
  ];
  const child = spawn(bin, args, {
    cwd: dir,
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (process.env.E2E_VERBOSE) process.stderr.write(chunk);
  });
  child.stdout.setEncoding('utf8');

  let exited = false;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const cleanup = () => {
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };

  const readyLine = `${baseUrl}/`;
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `the server did not print ${readyLine} within ${STARTUP_TIMEOUT_MS / 1000} s.\n` +
              `command: ${bin} ${args.join(' ')}\nstdout:\n${stdout || '(nothing)'}\nstderr:\n${stderr || '(nothing)'}`,
          ),
        );
      }, STARTUP_TIMEOUT_MS);
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (process.env.E2E_VERBOSE) process.stdout.write(chunk);
        if (stdout.split('\n').some((l) => l.includes(readyLine))) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${bin}: ${err.message}`));
      });
      exitPromise.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `the server exited before it was ready (exit code ${code}, signal ${signal}).\n` +
              `command: ${bin} ${args.join(' ')}\nstdout:\n${stdout || '(nothing)'}\nstderr:\n${stderr || '(nothing)'}`,
          ),
        );
      });
    });
  } catch (err) {
    killOnExit();
    cleanup();
    throw err;
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout.on('data', () => {});

  const before = stdout.slice(0, stdout.indexOf(readyLine));
  const accounts = parseCredentials(before);

  return {
    baseUrl,
    accounts,
    /** Everything the server printed on stdout up to now (diagnostics). */
    get output() {
      return stdout;
    },
    /** {email, password} of a demo role; throws a clear error when the server printed none. */
    account(role) {
      const found = accounts[role];
      if (!found) {
        const printed = Object.keys(accounts);
        throw new Error(
          printed.length === 0
            ? `no demo credentials printed: \`mutualis serve --demo\` printed no account line before its URL, so role "${role}" cannot log in.\nstdout was:\n${before}`
            : `no demo credentials printed for role "${role}" (printed: ${printed.join(', ')}).`,
        );
      }
      return found;
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exitPromise;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium (never a downloaded browser). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** A fresh browser context (own cookies) and page on the server. */
export async function newPage(browser, baseUrl) {
  const context = await browser.newContext({ baseURL: baseUrl, locale: 'fr-FR' });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const page = await context.newPage();
  return page;
}

/** Fills the form of /connexion and submits it; resolves with the response of the resulting page. */
export async function login(page, baseUrl, email, password) {
  const res = await page.goto(new URL('/connexion', baseUrl).href);
  assert.equal(res?.status(), 200, 'GET /connexion');
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Se connecter', exact: true }).click(),
  ]);
  return response;
}

/** Logs a demo role in and checks it left the login page. */
export async function loginAs(page, server, role) {
  const { email, password } = server.account(role);
  const response = await login(page, server.baseUrl, email, password);
  const url = new URL(page.url());
  assert.notEqual(
    url.pathname,
    '/connexion',
    `${role} (${email}) is still on the login page after submitting the form: ${await alertText(page)}`,
  );
  return response;
}

async function alertText(page) {
  const alerts = await page.locator('[role="alert"]').allInnerTexts().catch(() => []);
  return alerts.length ? `alert: ${alerts.join(' | ')}` : '(no role="alert" shown)';
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe-core (WCAG 2.1 A and AA rules) on the page; returns its violations. */
export async function runAxe(page) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  // Evaluated through the browser's debugging protocol, as the page's Content-Security-Policy
  // (no script at all) refuses an injected <script>: the tests keep the real policy.
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const results = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
    }));
  }, AXE_TAGS);
}

/** Human-readable list of axe violations. */
export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    - ${JSON.stringify(n.target)}${n.summary ? `\n      ${n.summary.replace(/\n/g, '\n      ')}` : ''}`)
        .join('\n');
      return `  * ${v.id} [${v.impact}] ${v.help} (${v.helpUrl})\n${nodes}`;
    })
    .join('\n');
}

/** Fails, listing every violation, unless axe finds none on the page. */
export async function assertNoAxeViolations(page, label = page.url()) {
  const violations = await runAxe(page);
  if (violations.length > 0) {
    assert.fail(`axe: ${violations.length} WCAG violation(s) on ${label}:\n${formatViolations(violations)}`);
  }
}

/** Collapses every kind of whitespace (incl. U+00A0, U+202F) into one space. */
export function normalise(text) {
  return (text ?? '').replace(/[\s\u00a0\u202f\u2007]+/g, ' ').trim();
}

/** The texts of every h1 of the page, normalised. */
export async function h1Texts(page) {
  return (await page.locator('h1').allTextContents()).map(normalise);
}

/** Asserts the page has exactly one h1 and, when given, that it reads `expected`. */
export async function assertSingleH1(page, expected, label = page.url()) {
  const h1s = await h1Texts(page);
  assert.equal(h1s.length, 1, `${label}: expected exactly one <h1>, found ${h1s.length} (${JSON.stringify(h1s)})`);
  if (expected !== undefined) assert.equal(h1s[0], expected, `${label}: <h1>`);
  return h1s[0];
}

/** Asserts a non-empty <title> ending with "— Mutualis". */
export async function assertTitle(page, label = page.url()) {
  const title = normalise(await page.title());
  assert.ok(title.endsWith('— Mutualis'), `${label}: <title> ${JSON.stringify(title)} should end with "— Mutualis"`);
  assert.ok(title.length > '— Mutualis'.length, `${label}: <title> should say more than "— Mutualis"`);
  return title;
}

/** GET with the session of the page (cookies), without following redirects. */
export async function fetchInPage(page, url, init = {}) {
  return page.evaluate(
    async ({ url, init }) => {
      const r = await fetch(url, { credentials: 'same-origin', redirect: 'manual', ...init });
      return { status: r.status, type: r.type, url: r.url };
    },
    { url, init },
  );
}

/** The id of an organisation in `role`'s /organisations table (last segment of its link's href). */
export async function organisationIdSeenBy(browser, server, role, name) {
  const page = await newPage(browser, server.baseUrl);
  try {
    await loginAs(page, server, role);
    // The list has pages: its name filter finds the organisation wherever it falls.
    const res = await page.goto(`/organisations?nom=${encodeURIComponent(name)}`);
    assert.equal(res.status(), 200, `${role} GET /organisations?nom=${name}`);
    const link = page.locator('main table tbody').getByRole('link', { name, exact: true });
    assert.equal(await link.count(), 1, `${role}'s /organisations table links to "${name}"`);
    const href = await link.getAttribute('href');
    const m = /\/organisations\/([^/?#]+)$/.exec(new URL(href, server.baseUrl).pathname);
    assert.ok(m, `the link to "${name}" is /organisations/ID (href ${href})`);
    return m[1];
  } finally {
    await page.context().close();
  }
}

/** Rows of the organisations table of the page: [{id, text}]. */
export async function organisationRows(page) {
  return page.locator('main table tbody tr').evaluateAll((rows) =>
    rows.map((tr) => {
      const a = tr.querySelector('a[href]');
      const m = a ? /\/organisations\/([^/?#]+)$/.exec(new URL(a.href).pathname) : null;
      return { id: m ? m[1] : null, name: a ? a.textContent.trim() : null, text: tr.textContent.replace(/\s+/g, ' ').trim() };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The keyboard

/** A day `offset` days from today (the server runs on this machine, in its time zone), JJ/MM/AAAA. */
export function frenchDate(offset = 0) {
  const d = new Date();
  d.setDate(d.getDate() + offset);
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`;
}

/** What has the focus, and whether it shows it (read only: no interaction). */
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: 'body' };
    const style = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id || null,
      type: el.getAttribute('type'),
      href: el.getAttribute('href'),
      text: (el.textContent || '').replace(/\s+/g, ' ').trim(),
      checked: el.checked === true,
      inMainNav: !!el.closest('nav[aria-label="Navigation principale"]'),
      outlineStyle: style.outlineStyle,
      outlineWidth: style.outlineWidth,
      focusVisible: el.matches(':focus-visible'),
    };
  });
}

/** Whether a focus state (from `focused`) is visible: `:focus-visible` and an outline. */
export function assertFocusShown(f, description) {
  assert.ok(f.focusVisible && f.outlineStyle !== 'none', `${description} shows its focus`);
}

/** Presses Tab until `accept(focus)` holds, at most `maxTabs` times; returns that focus. */
export async function tabTo(page, description, accept, maxTabs = 120) {
  const seen = [];
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (accept(f)) return f;
    seen.push(f.id ? `#${f.id}` : `${f.tag}${f.text ? ` "${f.text.slice(0, 30)}"` : ''}`);
  }
  assert.fail(`${description} not reached in ${maxTabs} Tab presses; focus went through: ${seen.join(' → ')}`);
}

/** One Tab, which must land on the field `id`, with a visible focus. */
export async function nextField(page, id) {
  await page.keyboard.press('Tab');
  const f = await focused(page);
  assert.equal(f.id, id, `Tab leads to #${id} (now on ${f.id ? `#${f.id}` : f.tag})`);
  assertFocusShown(f, `#${id}`);
  return f;
}
