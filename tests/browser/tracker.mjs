// The tracker over every kind of page, in real Chromium (Debian's, through playwright-core).
// A small Node server plays the merchant's site (several host names, all mapped to 127.0.0.1
// with --host-resolver-rules) and the edge's beacon routes, recording every request.
// Usage: node tracker.mjs <dist/tracker dir> <chromium path>
// Prints one line per test and a libtest-style summary; exits non-zero when a test failed.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { USER_AGENT, launch, serveTracker } from './common.mjs';

const [dist, executablePath] = process.argv.slice(2);

/** Requests the "edge" received: {path, body, host}. */
let beacons = [];
/** Pages by name: (url, port) => {html, headers}. */
const pages = new Map();

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'POST' && url.pathname.startsWith('/v1/')) {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      beacons.push({ path: url.pathname, body: new URLSearchParams(body), host: req.headers.host });
      res.writeHead(204, { 'access-control-allow-origin': '*' }).end();
    });
    return;
  }
  if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
  if (url.pathname.startsWith('/t/')) return serveTracker(dist, url.pathname, res);
  const page = pages.get(url.pathname.slice(1));
  if (!page) return res.writeHead(404).end();
  const { html, headers = {} } = page(url);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(html);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const port = server.address().port;
const origin = (host = 'www.shop.test') => `http://${host}:${port}`;

/** A merchant page carrying the tag with these data- attributes. */
function tag(attrs = {}, { stub = false } = {}) {
  const all = { site: 'site_pw', endpoint: origin('edge.test'), ...attrs };
  const data = Object.entries(all).map(([k, v]) => ` data-${k}="${v}"`).join('');
  const inline = stub
    ? '<script>window.payref=window.payref||function(){(payref.q=payref.q||[]).push(arguments)};</script>'
    : '';
  return `${inline}<script async src="/t/payref.js"${data}></script>`;
}
function define(name, body, attrs, opts) {
  pages.set(name, (url) => ({ html: `<!doctype html><html><head>${tag(attrs, opts)}</head><body>${body}</body></html>` }));
}

const browser = await launch(executablePath, [
  '--host-resolver-rules=MAP *.shop.test 127.0.0.1, MAP edge.test 127.0.0.1, MAP *.evil.example 127.0.0.1',
]);

/** A fresh browser profile; console errors, warnings and page exceptions are collected. */
async function context(init) {
  const ctx = await browser.newContext({ userAgent: USER_AGENT });
  if (init) await ctx.addInitScript(init);
  ctx.problems = [];
  ctx.on('page', (p) => {
    p.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') ctx.problems.push(m.text()); });
    p.on('pageerror', (e) => ctx.problems.push(String(e)));
  });
  return ctx;
}

/** Opens `url` and waits until the tracker has run (window.payref has its properties). */
async function open(ctx, url) {
  const page = await ctx.newPage();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.payref && 'clientReferenceId' in window.payref, null, { timeout: 10000 });
  return page;
}
const href = (page, id) => page.evaluate((i) => document.getElementById(i).getAttribute('href'), id);
const attr = (page, id, a) => page.evaluate(([i, n]) => document.getElementById(i).getAttribute(n), [id, a]);
const crid = (page) => page.evaluate(() => window.payref.clientReferenceId);
const settle = (page, ms = 100) => page.waitForTimeout(ms);
const clicks = () => beacons.filter((b) => b.path === '/v1/clicks');

function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function equal(actual, expected, message) {
  if (actual !== expected) throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

// --- pages and tests -------------------------------------------------------------------------

define('links', `
  <a id="params" href="https://buy.stripe.com/abc?prefilled_email=a%40b.test&locale=de#plans">p</a>
  <a id="upper" href="HTTPS://BUY.STRIPE.COM/UP">u</a>
  <a id="test-mode" href="https://buy.stripe.com/test_00g5kE">t</a>
  <a id="custom" href="https://pay.shop.test/b/xyz?x=1">c</a>
  <area id="area" href="https://buy.stripe.com/area">
  <a id="suffix" href="https://buy.stripe.com.evil.example/abc">s</a>
  <a id="userinfo" href="https://buy.stripe.com@evil.example/abc">i</a>
  <a id="prefix" href="https://xbuy.stripe.com/abc">x</a>
  <a id="query" href="https://evil.example/?next=https://buy.stripe.com/abc">q</a>
  <a id="relative" href="/buy.stripe.com/abc">r</a>`, { 'link-domains': 'pay.shop.test' });

test('payment links keep their parameters and fragment; look-alike hosts are left alone', async () => {
  const ctx = await context();
  const page = await open(ctx, `${origin()}/links?ref=links_1&utm_source=news&utm_campaign=spring`);
  const v = await crid(page);
  assert(/^pr1-[0-9A-Za-z]{22}-links_1$/.test(v), `reference ${v}`);
  equal(await href(page, 'params'), `https://buy.stripe.com/abc?prefilled_email=a%40b.test&locale=de&client_reference_id=${v}#plans`, 'params');
  equal(await href(page, 'upper'), `HTTPS://BUY.STRIPE.COM/UP?client_reference_id=${v}`, 'uppercase host');
  equal(await href(page, 'test-mode'), `https://buy.stripe.com/test_00g5kE?client_reference_id=${v}`, 'test mode');
  equal(await href(page, 'custom'), `https://pay.shop.test/b/xyz?x=1&client_reference_id=${v}`, 'custom domain');
  equal(await href(page, 'area'), `https://buy.stripe.com/area?client_reference_id=${v}`, 'area');
  for (const id of ['suffix', 'userinfo', 'prefix', 'query', 'relative']) {
    assert(!(await href(page, id)).includes('client_reference_id'), `look-alike ${id} was decorated`);
  }
  await settle(page, 300);
  const mine = clicks().filter((b) => b.body.get('c') === 'links_1');
  equal(mine.length, 1, 'one click beacon');
  const b = mine[0].body;
  equal(b.get('v'), '1', 'version');
  equal(b.get('t'), 'click', 'type');
  equal(b.get('s'), 'site_pw', 'site');
  equal(b.get('k'), v.slice(4, 26), 'click id');
  assert(b.get('u').endsWith('/links?ref=links_1&utm_source=news&utm_campaign=spring'), `landing ${b.get('u')}`);
  equal(b.get('utm_source'), 'news', 'utm_source');
  equal(b.get('utm_campaign'), 'spring', 'utm_campaign');
  equal(ctx.problems.length, 0, `console: ${ctx.problems}`);
  await ctx.close();
});

define('later', `
  <a id="changing" href="https://example.com/">x</a>
  <div id="slot"></div>
  <script>
    setTimeout(() => {
      document.getElementById('slot').innerHTML =
        '<stripe-buy-button id="button" buy-button-id="buy_1"></stripe-buy-button>' +
        '<stripe-pricing-table id="table" pricing-table-id="prctbl_1"></stripe-pricing-table>' +
        '<div><p><a id="nested" href="https://buy.stripe.com/nested">n</a></p></div>';
      document.getElementById('changing').setAttribute('href', 'https://buy.stripe.com/changed?a=1');
    }, 300);
  </script>`);

test('buttons, tables and links added later, and hrefs changed later, are decorated', async () => {
  const ctx = await context();
  const page = await open(ctx, `${origin()}/later?via=later_1`);
  await page.waitForSelector('#table', { state: 'attached' });
  await settle(page);
  const v = await crid(page);
  assert(v && v.endsWith('-later_1'), `reference ${v}`);
  equal(await attr(page, 'button', 'client-reference-id'), v, 'buy button');
  equal(await attr(page, 'table', 'client-reference-id'), v, 'pricing table');
  equal(await href(page, 'nested'), `https://buy.stripe.com/nested?client_reference_id=${v}`, 'nested link');
  equal(await href(page, 'changing'), `https://buy.stripe.com/changed?a=1&client_reference_id=${v}`, 'changed href');
  await ctx.close();
});

define('spa', `
  <main id="app"><a id="home" href="/spa">home</a></main>
  <script>
    window.route = () => {
      history.pushState({}, '', '/spa/pricing');
      document.getElementById('app').innerHTML = '<h1>Pricing</h1><a id="plan" href="https://buy.stripe.com/plan">Buy</a>';
    };
  </script>`);

test('a single-page-app route change keeps decorating', async () => {
  const ctx = await context();
  const page = await open(ctx, `${origin()}/spa?ref=spa_1`);
  await page.evaluate(() => window.route());
  await settle(page);
  const v = await crid(page);
  equal(await href(page, 'plan'), `https://buy.stripe.com/plan?client_reference_id=${v}`, 'link on the new route');
  await ctx.close();
});

define('shadow', `
  <div id="open-host"></div><div id="closed-host"></div>
  <script>
    document.getElementById('open-host').attachShadow({ mode: 'open' }).innerHTML =
      '<a id="in-open" href="https://buy.stripe.com/open">o</a>';
    window.closedRoot = document.getElementById('closed-host').attachShadow({ mode: 'closed' });
    window.closedRoot.innerHTML = '<a id="in-closed" href="https://buy.stripe.com/closed">c</a>';
    customElements.define('shop-widget', class extends HTMLElement {
      connectedCallback() {
        this.attachShadow({ mode: 'open' }).innerHTML = '<stripe-buy-button id="in-widget"></stripe-buy-button>';
      }
    });
    setTimeout(() => document.body.append(document.createElement('shop-widget')), 200);
  </script>`);

test('elements inside open shadow roots are decorated; closed roots are out of reach', async () => {
  const ctx = await context();
  const page = await open(ctx, `${origin()}/shadow?ref=shadow_1`);
  await settle(page, 400);
  const v = await crid(page);
  const inOpen = await page.evaluate(() => document.getElementById('open-host').shadowRoot.getElementById('in-open').getAttribute('href'));
  equal(inOpen, `https://buy.stripe.com/open?client_reference_id=${v}`, 'open root');
  const widget = await page.evaluate(() => document.querySelector('shop-widget').shadowRoot.getElementById('in-widget').getAttribute('client-reference-id'));
  equal(widget, v, 'shadow root of an element added later');
  const inClosed = await page.evaluate(() => window.closedRoot.getElementById('in-closed').getAttribute('href'));
  equal(inClosed, 'https://buy.stripe.com/closed', 'closed root (documented as out of reach)');
  await ctx.close();
});

define('plain', `<a id="buy" href="https://buy.stripe.com/plain">buy</a><stripe-buy-button id="button"></stripe-buy-button>`);

test('hostile ?ref= values (markup, 10 KB, Unicode) never reach the DOM, storage or the edge', async () => {
  const ctx = await context();
  const before = beacons.length;
  for (const value of ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'a'.repeat(10 * 1024), 'ré✓', '𝓍', 'a b', '']) {
    const page = await open(ctx, `${origin()}/plain?ref=${encodeURIComponent(value)}`);
    equal(await href(page, 'buy'), 'https://buy.stripe.com/plain', `link for ${value.slice(0, 20)}`);
    equal(await attr(page, 'button', 'client-reference-id'), null, 'button');
    equal(await crid(page), null, 'clientReferenceId');
    equal(await page.evaluate(() => document.cookie + localStorage.length), '0', 'storage');
    await page.close();
  }
  await settle(await ctx.newPage(), 200);
  equal(beacons.length, before, 'nothing sent');
  equal(ctx.problems.length, 0, `console: ${ctx.problems}`);
  await ctx.close();
});

const BLOCK_COOKIES = `Object.defineProperty(Document.prototype, 'cookie', { get() { return ''; }, set() {} });`;
const BLOCK_STORAGE = `Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('blocked', 'SecurityError'); } });`;

test('cookies blocked: localStorage carries the referral to the next page', async () => {
  const ctx = await context(BLOCK_COOKIES);
  const first = await open(ctx, `${origin()}/plain?ref=nocookie_1`);
  const v = await crid(first);
  assert(v && v.endsWith('-nocookie_1'), `reference ${v}`);
  const again = await open(ctx, `${origin()}/plain`);
  equal(await crid(again), v, 'same reference from the mirror');
  equal(await href(again, 'buy'), `https://buy.stripe.com/plain?client_reference_id=${v}`, 'decorated');
  equal(ctx.problems.length, 0, `console: ${ctx.problems}`);
  await ctx.close();
});

test('cookies and localStorage blocked: memory holds the referral for the page, nothing throws', async () => {
  const ctx = await context(BLOCK_COOKIES + BLOCK_STORAGE);
  const page = await open(ctx, `${origin()}/plain?ref=nostore_1`);
  const v = await crid(page);
  assert(v && v.endsWith('-nostore_1'), `reference ${v}`);
  equal(await href(page, 'buy'), `https://buy.stripe.com/plain?client_reference_id=${v}`, 'decorated');
  equal(ctx.problems.length, 0, `console: ${ctx.problems}`);
  await ctx.close();
});

define('consent', `<a id="buy" href="https://buy.stripe.com/consent">buy</a>`, { consent: 'required' });

test('consent required: nothing stored, nothing sent, nothing decorated until payref("consent", true)', async () => {
  const ctx = await context();
  const before = beacons.length;
  const page = await open(ctx, `${origin()}/consent?ref=consent_1`);
  await settle(page, 300);
  equal(await href(page, 'buy'), 'https://buy.stripe.com/consent', 'not decorated');
  equal(await page.evaluate(() => document.cookie + localStorage.length), '0', 'nothing stored');
  equal(beacons.length, before, 'nothing sent');
  await page.evaluate(() => window.payref('consent', true));
  await settle(page, 300);
  const v = await crid(page);
  equal(await href(page, 'buy'), `https://buy.stripe.com/consent?client_reference_id=${v}`, 'decorated after consent');
  assert((await page.evaluate(() => document.cookie)).includes('payref_ref=1.consent_1.'), 'stored after consent');
  equal(clicks().filter((b) => b.body.get('c') === 'consent_1').length, 1, 'reported after consent');
  await ctx.close();
});

define('gpc', `<a id="buy" href="https://buy.stripe.com/gpc">buy</a>`, { 'respect-gpc': '' });

test('Global Privacy Control is honoured with data-respect-gpc', async () => {
  const ctx = await context(`Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });`);
  const before = beacons.length;
  const page = await open(ctx, `${origin()}/gpc?ref=gpc_1`);
  await settle(page, 300);
  equal(await href(page, 'buy'), 'https://buy.stripe.com/gpc', 'not decorated');
  equal(await page.evaluate(() => document.cookie), '', 'nothing stored');
  equal(beacons.length, before, 'nothing sent');
  await ctx.close();
});

test('two subdomains share the cookie on the registrable domain; the second counts no click', async () => {
  const ctx = await context();
  const www = await open(ctx, `${origin('www.shop.test')}/plain?ref=sub_1`);
  const v = await crid(www);
  const app = await open(ctx, `${origin('app.shop.test')}/plain`);
  equal(await crid(app), v, 'same reference on app.shop.test');
  equal(await href(app, 'buy'), `https://buy.stripe.com/plain?client_reference_id=${v}`, 'decorated on the other subdomain');
  const cookies = await ctx.cookies(`${origin('app.shop.test')}/`);
  equal(cookies.find((c) => c.name === 'payref_ref')?.domain, '.shop.test', 'cookie domain');
  await settle(app, 200);
  equal(clicks().filter((b) => b.body.get('c') === 'sub_1').length, 1, 'one click');
  await ctx.close();
});

test('a return visit, with or without the referral, keeps the click and reports no second one', async () => {
  const ctx = await context();
  const v = await crid(await open(ctx, `${origin()}/plain?ref=return_1`));
  equal(await crid(await open(ctx, `${origin()}/plain`)), v, 'without ref');
  equal(await crid(await open(ctx, `${origin()}/plain?ref=return_1`)), v, 'same ref again');
  await settle(await ctx.newPage(), 200);
  equal(clicks().filter((b) => b.body.get('c') === 'return_1').length, 1, 'one click');
  await ctx.close();
});

define('first', `<a id="buy" href="https://buy.stripe.com/f">buy</a>`, { attribution: 'first' });

test('first click keeps the first affiliate, last click (the default) takes the latest', async () => {
  const ctx = await context();
  await open(ctx, `${origin()}/first?ref=aff_a`);
  const first = await open(ctx, `${origin()}/first?ref=aff_b`);
  assert((await crid(first)).endsWith('-aff_a'), 'first click kept');
  const last = await open(ctx, `${origin()}/plain?ref=aff_c`);
  assert((await crid(last)).endsWith('-aff_c'), 'last click replaced');
  await settle(last, 200);
  equal(clicks().filter((b) => b.body.get('c') === 'aff_b').length, 1, 'the second affiliate\'s visit is still a click');
  await ctx.close();
});

define('queued', `<a id="buy" href="https://buy.stripe.com/q">buy</a>
  <script>
    payref('ready', (api) => { window.readyWith = api.clientReferenceId; });
    payref('identify', { email: '  Buyer@Example.COM ' });
  </script>`, {}, { stub: true });

test('calls made before the tracker loaded are replayed; identify sends only the email hash', async () => {
  const ctx = await context();
  const page = await open(ctx, `${origin()}/queued?ref=queue_1`);
  await page.waitForFunction(() => window.readyWith !== undefined);
  const v = await crid(page);
  equal(await page.evaluate(() => window.readyWith), v, 'ready callback got the API');
  await settle(page, 300);
  const lead = beacons.find((b) => b.path === '/v1/identify' && b.body.get('k') === v.slice(4, 26));
  assert(lead, 'identify beacon');
  equal(lead.body.get('e'), createHash('sha256').update('buyer@example.com').digest('hex'), 'sha256 of the normalised email');
  assert(![...lead.body.values()].some((x) => x.toLowerCase().includes('example.com')), 'the address itself is never sent');
  await ctx.close();
});

pages.set('csp', () => ({
  html: `<!doctype html><html><head>${tag()}</head><body><a id="buy" href="https://buy.stripe.com/csp">b</a></body></html>`,
  headers: { 'content-security-policy': "script-src 'self'" },
}));

test("a CSP without 'wasm-unsafe-eval' is explained once in the console and reported to the edge", async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(`${origin()}/csp?ref=csp_1`, { waitUntil: 'load' });
  await settle(page, 500);
  const warnings = ctx.problems.filter((p) => p.includes("'wasm-unsafe-eval'"));
  equal(warnings.length, 1, `one explanation: ${ctx.problems}`);
  const report = beacons.find((b) => b.path === '/v1/diagnostics' && b.body.get('t') === 'csp');
  assert(report && report.body.get('s') === 'site_pw', 'reported to the edge');
  await ctx.close();
});

// --- run ----------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
for (const [name, fn] of tests) {
  try {
    await fn();
    passed += 1;
    console.log(`test ${name} ... ok`);
  } catch (e) {
    failed += 1;
    console.log(`test ${name} ... FAILED\n    ${String(e.stack || e).split('\n').slice(0, 3).join('\n    ')}`);
  }
}
await browser.close();
server.close();
console.log(`test result: ${failed ? 'FAILED' : 'ok'}. ${passed} passed; ${failed} failed; 0 ignored; 0 measured; 0 filtered out`);
process.exit(failed ? 1 : 0);
