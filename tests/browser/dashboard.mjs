// Signs in to the merchant dashboard in real Chromium the way a person does (by the form's
// labels and buttons, no script of ours on the page), runs axe-core on each page it meets,
// saves a screenshot of each, and prints what it saw as JSON.
// Usage: node dashboard.mjs <origin url> <chromium path> <email> <password> <screenshot dir>
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { USER_AGENT, launch } from './common.mjs';

const [base, executablePath, email, password, shots] = process.argv.slice(2);
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
mkdirSync(shots, { recursive: true });

/** axe-core's violations on the page (evaluated by the driver, not as a page script). */
async function audit(page) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

const browser = await launch(executablePath);
try {
  const context = await browser.newContext({ userAgent: USER_AGENT, viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 500) consoleErrors.push(`${r.status()} ${r.url()}`); });
  const result = { audits: {} };

  await page.goto(`${base}/dashboard/account`, { waitUntil: 'load' });
  result.unsignedLandsOn = new URL(page.url()).pathname;
  result.audits.signIn = await audit(page);
  await page.screenshot({ path: join(shots, 'dashboard-sign-in.png'), fullPage: true });

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
  result.wrongPasswordAlert = await page.getByRole('alert').textContent();
  result.emailKept = await page.getByLabel('Email').inputValue();
  result.audits.signInError = await audit(page);
  await page.screenshot({ path: join(shots, 'dashboard-sign-in-error.png'), fullPage: true });

  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/dashboard');
  result.signedInOn = new URL(page.url()).pathname;
  result.overviewHeading = await page.getByRole('heading', { level: 1 }).textContent();
  result.overviewCards = (await page.locator('dl.cards').innerText()).replace(/\s+/g, ' ').trim();
  result.audits.overview = await audit(page);
  await page.screenshot({ path: join(shots, 'dashboard-overview.png'), fullPage: true });

  await page.getByLabel('Custom').check();
  await page.getByLabel('From', { exact: true }).fill('2026-11-05');
  await page.getByLabel('To', { exact: true }).fill('2026-11-01');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForLoadState('load');
  result.periodError = await page.locator('#from-error').textContent();
  result.audits.overviewError = await audit(page);
  await page.screenshot({ path: join(shots, 'dashboard-overview-error.png'), fullPage: true });

  await page.getByRole('link', { name: 'Affiliates' }).click();
  await page.waitForURL('**/dashboard/affiliates');
  result.affiliatesHeading = await page.getByRole('heading', { level: 1 }).textContent();
  result.audits.affiliates = await audit(page);
  await page.screenshot({ path: join(shots, 'dashboard-affiliates.png'), fullPage: true });
  await page.getByRole('link', { name: 'Add an affiliate' }).click();
  await page.waitForURL('**/dashboard/affiliates/new');
  await page.getByLabel('Referral code').fill('not a code');
  await page.getByLabel('Name').fill('Ann Example');
  await page.getByRole('button', { name: 'Add the affiliate' }).click();
  await page.waitForLoadState('load');
  result.codeError = await page.locator('#code-error').textContent();
  result.audits.affiliateFormError = await audit(page);
  await page.screenshot({ path: join(shots, 'dashboard-affiliate-new-error.png'), fullPage: true });
  await page.getByLabel('Referral code').fill('ann');
  await page.getByRole('button', { name: 'Add the affiliate' }).click();
  await page.waitForURL('**/dashboard/affiliates?created=ann');
  result.createdNotice = await page.getByRole('status').textContent();

  await page.getByRole('link', { name: 'Commissions' }).click();
  await page.waitForURL('**/dashboard/commissions');
  result.audits.commissions = await audit(page);
  await page.screenshot({ path: join(shots, 'dashboard-commissions.png'), fullPage: true });
  await page.getByRole('checkbox').first().check();
  await page.getByRole('button', { name: 'Approve selected' }).click();
  await page.waitForURL((u) => u.searchParams.get('done') === 'approved');
  result.approvedNotice = await page.getByRole('status').textContent();

  await page.getByRole('link', { name: 'Conversions', exact: true }).click();
  await page.waitForURL('**/dashboard/conversions');
  result.audits.conversions = await audit(page);
  await page.getByRole('link', { name: /^Why/ }).first().click();
  await page.waitForURL(/\/dashboard\/conversions\/cnv_/);
  result.whyHeading = await page.getByRole('heading', { name: 'Why it belongs to this affiliate' }).textContent();
  result.timeline = await page.locator('.timeline > li').count();
  result.audits.conversion = await audit(page);
  await page.screenshot({ path: join(shots, 'dashboard-conversion.png'), fullPage: true });

  await page.getByRole('link', { name: 'Account' }).click();
  await page.waitForURL('**/dashboard/account');
  result.heading = await page.getByRole('heading', { level: 1 }).textContent();
  result.account = (await page.locator('dl').textContent()).replace(/\s+/g, ' ').trim();
  result.cookieVisibleToScripts = await page.evaluate(() => document.cookie.includes('payref_session'));
  result.audits.account = await audit(page);
  await page.screenshot({ path: join(shots, 'dashboard-account.png'), fullPage: true });

  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await page.waitForURL('**/dashboard/login');
  await page.goto(`${base}/dashboard/account`, { waitUntil: 'load' });
  result.afterLogOutLandsOn = new URL(page.url()).pathname;
  result.consoleErrors = consoleErrors;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
