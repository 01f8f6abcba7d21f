// The README's demo path as a newcomer walks it: open the shop with ?ref=demo, follow the last
// link to the Stripe simulator's checkout, pay there. Prints what the buyer met as JSON and
// saves screenshots of both pages.
// Usage: node demo_path.mjs <shop url> <chromium path> <screenshot dir>
import { USER_AGENT, launch } from './common.mjs';

const [url, executablePath, shots] = process.argv.slice(2);

const browser = await launch(executablePath);
try {
  const context = await browser.newContext({ userAgent: USER_AGENT });
  const page = await context.newPage();
  const consoleMessages = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleMessages.push(m.text()); });
  page.on('pageerror', (e) => consoleMessages.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });
  const link = page.getByRole('link', { name: /Buy the T-shirt in test mode/ });
  // The tracker decorates the simulator's link (a custom payment-link host) before it is followed.
  const decorated = await page.waitForFunction(
    () => document.getElementById('simulator-link').href.includes('client_reference_id='), null, { timeout: 15000 },
  ).then(() => true, () => false);
  const simulatorHref = await link.getAttribute('href');
  await page.screenshot({ path: `${shots}/demo-shop.png`, fullPage: true });
  await link.click();
  await page.waitForLoadState('load');
  const shownReference = await page.locator('#reference').textContent().catch(() => null);
  await page.screenshot({ path: `${shots}/demo-checkout.png`, fullPage: true });
  await page.getByRole('button', { name: /Pay/ }).click();
  await page.waitForLoadState('load');
  const session = await page.locator('#session').textContent().catch(() => null);
  await page.screenshot({ path: `${shots}/demo-paid.png`, fullPage: true });
  console.log(JSON.stringify({ decorated, simulatorHref, shownReference, session, consoleMessages }));
} finally {
  await browser.close();
}
