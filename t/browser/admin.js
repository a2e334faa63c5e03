#!/usr/bin/env node
// t/browser/admin.js: drives Debian's headless Chromium (playwright-core) through the
// admin pages and runs axe-core on each page. Run by t/70-browser.t, which makes the
// order first and turns the lines printed here into TAP. Each line on stdout is JSON:
//   {"ok": bool, "name": "...", "diag": "..."}   one check
//   {"screenshot": "/path.png"}                  a saved screenshot
//   {"axe": "page", "violations": [...]}         axe-core's findings for a page
// Environment: BASE_URL ADMIN_EMAIL ADMIN_PASSWORD SHOT_DIR ORDER_NUMBER ORDER_ID
//   TOMORROW CUSTOMER INSCRIPTION GIFT_MESSAGE; optional CHROMIUM (default /usr/bin/chromium).
'use strict';
const path = require('path');
const fs = require('fs');
const { chromium } = require('playwright-core');

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const BASE = env('BASE_URL');
const SHOTS = env('SHOT_DIR');
const AXE = require.resolve('axe-core/axe.min.js');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const check = (ok, name, diag) => out({ ok: !!ok, name, ...(diag ? { diag: String(diag) } : {}) });

let n = 0;
async function visited(page, label) {
  // screenshot, then axe-core (WCAG 2.x A/AA rules and best practices)
  const file = path.join(SHOTS, `${String(++n).padStart(2, '0')}-${label}.png`);
  await page.screenshot({ path: file, fullPage: true });
  out({ screenshot: file });
  await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((x) => ({ target: x.target.join(' '), summary: x.failureSummary })),
    }));
  });
  out({ axe: label, url: page.url(), violations: res });
  await atPhoneWidth(page, label);
}

// ---- phone-sized screens (issue 15 item 5): every page visited again at 390 px ----
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

// The page at phone width: a screenshot, no horizontal scroll of the page itself
// (wide tables and charts scroll inside their own box), axe-core again; then back
// to the desktop width.
async function atPhoneWidth(page, label) {
  await page.setViewportSize(PHONE);
  try {
    const file = path.join(SHOTS, `${String(n).padStart(2, '0')}-${label}-phone.png`);
    await page.screenshot({ path: file, fullPage: true });
    out({ screenshot: file });
    const w = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
      // the widest elements, to say what overflows when something does
      wide: [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).replace(/ /g, '.') : ''}`),
    }));
    check(w.scroll <= w.inner, `${label} at 390 px: no horizontal scroll`,
      `scrollWidth ${w.scroll} > innerWidth ${w.inner}; past the edge: ${w.wide.join(', ')}`);
    out({ axe: `${label} (phone)`, url: page.url(), violations: await axeViolations(page) });
  } finally {
    await page.setViewportSize(DESKTOP);
  }
}

async function axeViolations(page) {
  if (!await page.evaluate(() => typeof axe !== 'undefined')) await page.addScriptTag({ path: AXE }); // eslint-disable-line no-undef
  return page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((x) => ({ target: x.target.join(' '), summary: x.failureSummary })),
    }));
  });
}

// ---- the products list and the charts (issue 15 items 2, 3) ----
async function productsList(page) {
  await page.goto(`${BASE}/admin/products`);
  const counts = await page.getByRole('status').filter({ hasText: /products, page 1 of/ }).innerText();
  check(/^\d+ products, page 1 of [2-9]\d*$/.test(counts), 'products: counted, more than one page', counts);
  check(await page.locator('li.product-row').count() === 50, 'products: 50 on a page');
  await Promise.all([page.waitForURL(/page=2/), page.getByRole('link', { name: 'Next page →' }).click()]);
  check(await page.getByRole('link', { name: '← Previous page' }).isVisible(), 'products page 2: a previous link');
  await visited(page, 'products-page-2');
  await page.getByLabel('Name').fill('Browser Test Truffle');
  await page.getByLabel('Availability').selectOption('yes');
  await Promise.all([page.waitForURL(/q=Browser/), page.getByRole('button', { name: 'Show' }).click()]);
  const row = page.locator('li.product-row', { hasText: 'Browser Test Truffle' });
  check(await row.count() === 1, 'products: found by name');
  const sizes = await row.locator('.product-sizes').innerText();
  check(sizes === '500 g ₹700 · 1 kg ₹1,200', 'products: the sizes in one line', sizes);
  const thumb = row.locator('img.product-thumb');
  check(await thumb.count() === 1 && await thumb.getAttribute('loading') === 'lazy', 'products: a lazy thumbnail');
  await visited(page, 'products-search');
}

async function analyticsCharts(page) {
  await page.goto(`${BASE}/admin/analytics`);
  const rev = page.getByRole('img', { name: /^Revenue per delivery day/ });
  check(await rev.count() === 1, 'analytics: the revenue chart is an image with a name');
  check((await rev.locator('rect.bar').count()) === 30, 'analytics: a bar per day of the 30');
  check((await rev.locator('text.value').count()) >= 3, 'analytics: value labels on the days with sales');
  const cakes = page.getByRole('img', { name: 'Popular cakes by product and size' });
  const names = await cakes.locator('text.bar-name').allTextContents();
  check(names.includes('Browser Test Truffle — 1 kg') && names.includes('Browser Test Truffle — 500 g'),
    'analytics: two sizes of one cake told apart', names.join(' | '));
  check(await page.getByRole('table', { name: 'Units booked / capacity per day and slot' }).isVisible(),
    'analytics: the slot heat-map');
  await visited(page, 'analytics-charts');
}

(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // playwright gives every launch a fresh temporary profile (its --user-data-dir).
  // bypassCSP: the admin CSP (script-src 'self') would block the injected axe-core.
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, bypassCSP: true, locale: 'en-IN',
    timezoneId: 'Asia/Kolkata', viewport: DESKTOP,
  });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    // canary: axe must find a critical fault in a page made faulty on purpose
    const canary = await context.newPage();
    await canary.setContent('<html><body><img src="data:,"><button></button><input></body></html>');
    await canary.addScriptTag({ path: AXE });
    const found = await canary.evaluate(async () => (await axe.run()).violations  // eslint-disable-line no-undef
      .filter((v) => v.impact === 'critical').map((v) => v.id));
    check(found.includes('image-alt') && found.includes('button-name'), 'axe-core finds faults on a faulty page',
      found.join(' '));
    out({ note: `axe-core ${await canary.evaluate(() => axe.version)}, chromium ${browser.version()}` }); // eslint-disable-line no-undef
    await canary.close();

    // sign in
    let r = await page.goto(`${BASE}/admin/login`);
    check(r.status() === 200, 'login page 200');
    await visited(page, 'login');
    // "Forgot password?": the email form (nothing sent: the admin's password stays)
    await Promise.all([page.waitForURL(/\/admin\/password-reset$/),
      page.getByRole('link', { name: 'Forgot password?' }).click()]);
    check(await page.getByRole('heading', { level: 1, name: 'Forgot password?' }).isVisible(), 'forgot password: heading');
    check(await page.getByLabel('Email').isVisible(), 'forgot password: a labelled email field');
    await visited(page, 'password-reset');
    await page.goto(`${BASE}/admin/login`);
    await page.getByLabel('Email').fill(env('ADMIN_EMAIL'));
    await page.getByLabel('Password').fill(env('ADMIN_PASSWORD'));
    await Promise.all([page.waitForURL(/\/admin\/orders/), page.getByRole('button', { name: 'Sign in' }).click()]);
    check(/\/admin\/orders/.test(page.url()), 'signed in: on the orders page', page.url());
    check(await page.getByRole('heading', { level: 1, name: /^Orders for / }).isVisible(), 'orders heading');
    await visited(page, 'orders-today');

    // tomorrow's orders, filtered to CONFIRMED with the form
    await Promise.all([page.waitForURL(/date=/), page.getByRole('link', { name: 'Tomorrow', exact: true }).click()]);
    check(page.url().includes(`date=${env('TOMORROW')}`), "Tomorrow link opens tomorrow's day", page.url());
    // the day at a glance: counts in the title, one row per slot, times as <time> for people
    const title = await page.title();
    check(/^\w{3} \d{1,2} \w{3}( \d{4})? — \d+ orders?(, \d+ needs? attention)? · /.test(title), 'day view: counts in the title', title);
    const glance = page.locator('table.glance-table tbody tr', { hasText: '16:00–18:00' });
    check(await glance.count() === 1, "day view: tomorrow's 16:00 slot has a row", await glance.count());
    check(await glance.locator('time').first().getAttribute('datetime') === `${env('TOMORROW')}T16:00:00+05:30`,
      'day view: the slot as <time datetime>');
    check(/Browser Test Truffle/.test(await glance.innerText()), 'day view: the cake to bake', await glance.innerText());
    await visited(page, 'day-glance');
    await page.getByLabel('Status').selectOption('CONFIRMED');
    await Promise.all([page.waitForURL(/status=CONFIRMED/), page.getByRole('button', { name: 'Show' }).click()]);
    check(await page.locator('h1 time').getAttribute('datetime') === env('TOMORROW'), 'heading names tomorrow');
    const card = page.locator('li.card', { has: page.getByRole('link', { name: `#${env('ORDER_NUMBER')}`, exact: true }) });
    check(await card.count() === 1, 'the order is listed once');
    const text = await card.innerText();
    check(text.includes(env('CUSTOMER')), 'card: customer name', text);
    check(text.includes(env('INSCRIPTION')), 'card: inscription', text);
    check(text.includes(env('GIFT_MESSAGE')), 'card: gift message', text);
    check(text.includes('Payment CAPTURED'), 'card: paid', text);
    check(text.includes('CONFIRMED'), 'card: CONFIRMED', text);
    await visited(page, 'orders-tomorrow');

    // the order, then Start baking
    await Promise.all([page.waitForURL(/\/admin\/orders\/[0-9a-f-]{36}$/),
      card.getByRole('link', { name: `#${env('ORDER_NUMBER')}` }).click()]);
    check(page.url().endsWith(`/admin/orders/${env('ORDER_ID')}`), 'order page opened', page.url());
    check(await page.locator('h1 .badge').innerText() === 'CONFIRMED', 'order is CONFIRMED');
    await visited(page, 'order');
    const bake = page.locator('form:has(input[name="status"][value="BAKING"]) button');
    check(await bake.count() === 1, 'a baking button', await bake.count());
    const label = (await bake.innerText()).trim();
    check(label.length > 0, `baking button named "${label}"`);
    // "Book courier" is not wired yet: not exercised here.
    await Promise.all([page.waitForURL(/m=status_ok/), bake.click()]);
    check(await page.locator('h1 .badge').innerText() === 'BAKING', 'page shows BAKING');
    check(await page.getByRole('status').filter({ hasText: 'Status updated' }).isVisible(), 'flash: Status updated');
    const hist = page.locator('ol.history li');
    const rows = await hist.allInnerTexts();
    check(rows.some((t) => /CONFIRMED\s*→\s*BAKING/.test(t) && /by staff/.test(t)),
      'history row CONFIRMED → BAKING by the admin', rows.join(' | '));
    check(/\+05:30$/.test(await hist.last().locator('time').getAttribute('datetime') || ''),
      'history row: its time as <time datetime> in IST');
    check(await page.locator('form:has(input[name="status"][value="BAKING"])').count() === 0,
      'no baking button once baking');
    await visited(page, 'order-baking');

    // kitchen sheet for tomorrow (not asked, but it is one click away)
    await page.goto(`${BASE}/admin/kitchen?date=${env('TOMORROW')}`);
    check((await page.locator('.big-inscription').allInnerTexts()).includes(env('INSCRIPTION')),
      'kitchen sheet: the inscription, large');
    await visited(page, 'kitchen');
    // printed: one slot a page (static/admin.css), the navigation gone
    await page.emulateMedia({ media: 'print' });
    check(await page.locator('header.top').isHidden(), 'kitchen sheet printed: no navigation');
    const sheets = page.locator('section.sheet');
    const breaks = await sheets.evaluateAll((all) => all.map((e) => getComputedStyle(e).breakAfter));
    check(breaks.slice(0, -1).every((b) => b === 'page') && breaks[breaks.length - 1] !== 'page',
      'kitchen sheet printed: a page break after each slot but the last', breaks.join(' '));
    const pt = await page.locator('.big-inscription').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    check(Math.abs(pt - 32 * 96 / 72) < 1, 'kitchen sheet printed: inscriptions at 32 pt', pt);
    await visited(page, 'kitchen-print');
    await page.emulateMedia({ media: 'screen' });

    // analytics, products, jobs through the navigation
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const [name, re, h1, shot] of [
      ['Analytics', /\/admin\/analytics/, 'Analytics', 'analytics'],
      ['Products', /\/admin\/products/, /Products/, 'products'],
      ['Jobs', /\/admin\/jobs/, 'Background work', 'jobs'],
      ['Account', /\/admin\/account/, 'Your account', 'account'],
    ]) {
      await Promise.all([page.waitForURL(re), nav.getByRole('link', { name, exact: true }).click()]);
      check(re.test(page.url()), `${name} opened`, page.url());
      check(await page.getByRole('heading', { level: 1, name: h1 }).isVisible(), `${name}: heading`);
      check(await nav.getByRole('link', { name, exact: true }).getAttribute('aria-current') === 'page',
        `${name}: marked current in the navigation`);
      await visited(page, shot);
    }
    await productsList(page);
    await analyticsCharts(page);
    // a product's edit form (the one made for this test; found by name: the list pages by 50)
    await page.goto(`${BASE}/admin/products?q=${encodeURIComponent('Browser Test Truffle')}`);
    await Promise.all([page.waitForURL(/\/admin\/products\/[0-9a-f-]{36}$/),
      page.getByRole('link', { name: 'Browser Test Truffle' }).first().click()]);
    check(await page.getByLabel('Name', { exact: true }).inputValue() === 'Browser Test Truffle', 'product form filled in');
    await visited(page, 'product-edit');
    await page.goto(`${BASE}/admin/products/new`);
    await visited(page, 'product-new');

    // analytics over a range that holds tomorrow's order
    await page.goto(`${BASE}/admin/analytics`);
    await page.getByLabel('From', { exact: true }).fill(env('TOMORROW'));
    await page.getByLabel('To', { exact: true }).fill(env('TOMORROW'));
    await Promise.all([page.waitForURL(/from=/), page.getByRole('button', { name: 'Show' }).click()]);
    const kpi = await page.locator('.kpi', { hasText: 'Paid orders' }).locator('.kpi-value').innerText();
    check(Number(kpi) >= 1, "analytics: tomorrow's paid order counted", kpi);
    await visited(page, 'analytics-tomorrow');
    check(errors.length === 0, 'no script errors in the pages', errors.join('; '));
  } catch (e) {
    check(false, 'browser run finished', e.stack || e);
    try {
      const file = path.join(SHOTS, 'failure.png');
      await page.screenshot({ path: file, fullPage: true });
      out({ screenshot: file });
    } catch (_) { /* ignore */ }
  } finally {
    await browser.close();
  }
})().catch((e) => { check(false, 'browser started', e.stack || e); process.exitCode = 1; });
