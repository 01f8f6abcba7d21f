// Opens a page in real Chromium (Debian's, through playwright-core) as an ordinary desktop
// browser, waits for the tracker to decorate the page and for its click beacon, and prints
// what a buyer would meet as JSON.
// Usage: node visit.mjs <url> <chromium path> [chromium flag ...]
import { USER_AGENT, launch } from './common.mjs';

const [url, executablePath, ...flags] = process.argv.slice(2);

const browser = await launch(executablePath, flags);
try {
  const context = await browser.newContext({ userAgent: USER_AGENT });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`); });
  const beacon = page.waitForResponse((r) => r.url().endsWith('/v1/clicks') && r.request().method() === 'POST',
    { timeout: 15000 }).then((r) => r.status(), () => null);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => {
    const late = document.getElementById('late-link');
    return late && late.href.includes('client_reference_id=');
  }, null, { timeout: 15000 }).catch(() => {});
  const result = await page.evaluate(() => ({
    paymentLink: document.getElementById('payment-link').getAttribute('href'),
    lateLink: document.getElementById('late-link') && document.getElementById('late-link').getAttribute('href'),
    buyButton: document.getElementById('buy-button').getAttribute('client-reference-id'),
    pricingTable: document.getElementById('pricing-table').getAttribute('client-reference-id'),
    cookie: document.cookie,
    url: location.href,
  }));
  // The beacon leaves when the tracker starts, before it decorates the late link: a page that
  // sends none (an adopted redirect click) is not waited on for long.
  result.beaconStatus = await Promise.race([beacon, new Promise((r) => setTimeout(() => r(null), 5000))]);
  result.consoleErrors = consoleErrors;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
