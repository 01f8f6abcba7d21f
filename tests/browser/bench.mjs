// Tracker speed figures for `cargo xtask bench`, in Chromium (Debian's, through playwright-core):
// the Rust tracker against the plain-JavaScript tracker beside this file (bench/plain.js), side
// by side in one run, alternating, medians. Prints one JSON object.
// Usage: node bench.mjs <dist/tracker dir> <chromium path> [rounds]
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, serveTracker } from './common.mjs';

const [dist, executablePath, roundsArg] = process.argv.slice(2);
const ROUNDS = +roundsArg || 9;
const LINKS = 10000;
const OBSERVED = 2000;
const here = dirname(fileURLToPath(import.meta.url));
const wasm = readdirSync(dist).find((f) => f.endsWith('.wasm'));
const plain = readFileSync(join(here, 'bench/plain.js'));

// Loads one tracker (rust: the module build; js: plain.js) and exposes the measurements.
const harness = (tracker) => `<!doctype html><html><body><div id="box"></div><script type="module">
  let start;
  if ('${tracker}' === 'rust') {
    const m = await import('/t/payref.mjs');
    await m.default({ module_or_path: '/t/${wasm}' });
    start = m.start;
  } else if ('${tracker}' === 'js') {
    await new Promise((ok) => { const s = document.createElement('script'); s.src = '/bench/plain.js'; s.onload = ok; document.head.append(s); });
    start = window.plainPayref.start;
  } else {
    start = () => {};
  }
  const box = document.getElementById('box');
  const reset = () => { document.cookie = 'payref_ref=; Max-Age=0; Path=/'; localStorage.clear(); };
  const options = () => ({ site: 'site_bench', endpoint: '' });
  const decorated = () => [...box.querySelectorAll('a')].filter((a) => a.getAttribute('href').includes('client_reference_id=pr1-')).length;
  window.decorate = (n) => {
    box.innerHTML = Array.from({ length: n }, (_, i) => '<a href="https://buy.stripe.com/test_' + i + '?prefilled_email=a%40b.test#f">buy</a>').join('');
    reset();
    const t0 = performance.now();
    start(options(), {});
    const ms = performance.now() - t0;
    return { ms, decorated: decorated() };
  };
  window.observe = async (n) => {
    box.innerHTML = '';
    reset();
    start(options(), {});
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const a = document.createElement('a');
      a.setAttribute('href', 'https://buy.stripe.com/late_' + i);
      box.append(a);
      await null; // the observer's microtask was queued first: it runs before this resumes
    }
    const ms = (performance.now() - t0) / n;
    return { ms, decorated: decorated() };
  };
  window.ready = true;
</script></body></html>`;

// A small shop page; the tracker's tag is added by script so the clock starts with it.
const small = (tracker) => `<!doctype html><html><body>
  ${Array.from({ length: 20 }, (_, i) => `<p><a href="https://buy.stripe.com/plan_${i}">Plan ${i}</a> <a href="/about">about</a></p>`).join('')}
  <stripe-buy-button buy-button-id="buy_1"></stripe-buy-button><stripe-pricing-table pricing-table-id="prctbl_1"></stripe-pricing-table>
  <script>
    const targets = [...document.querySelectorAll('a[href^="https://buy"],stripe-buy-button,stripe-pricing-table')];
    const done = () => targets.every((el) => (el.getAttribute('href') || el.getAttribute('client-reference-id') || '').includes('pr1-'));
    const t0 = performance.now();
    new MutationObserver((_, mo) => { if (done()) { window.elapsed = performance.now() - t0; mo.disconnect(); } })
      .observe(document.body, { subtree: true, attributes: true });
    const s = document.createElement('script');
    s.async = true;
    s.src = '${tracker === 'rust' ? '/t/payref.js' : '/bench/plain.js'}';
    s.dataset.site = 'site_bench';
    document.body.append(s);
  </script></body></html>`;

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const tracker = url.searchParams.get('tracker');
  if (url.pathname === '/bench/harness') return res.writeHead(200, { 'content-type': 'text/html' }).end(harness(tracker));
  if (url.pathname === '/bench/small') return res.writeHead(200, { 'content-type': 'text/html' }).end(small(tracker));
  if (url.pathname === '/bench/plain.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(plain);
  if (url.pathname.startsWith('/t/')) return serveTracker(dist, url.pathname, res);
  res.writeHead(404).end();
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await launch(executablePath);

async function inPage(url, fn) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(url);
  try {
    return await fn(page);
  } finally {
    await ctx.close();
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const samples = { decorate: { rust: [], js: [] }, observe: { rust: [], js: [], none: [] }, small: { rust: [], js: [] } };
const problems = [];

for (let round = 0; round < ROUNDS; round++) {
  for (const tracker of ['rust', 'js', 'none']) {
    await inPage(`${base}/bench/harness?tracker=${tracker}&ref=bench_1`, async (page) => {
      await page.waitForFunction(() => window.ready);
      if (tracker !== 'none') {
        const d = await page.evaluate((n) => window.decorate(n), LINKS);
        if (d.decorated !== LINKS) problems.push(`${tracker} decorated ${d.decorated} of ${LINKS} links`);
        samples.decorate[tracker].push(d.ms);
      }
      const o = await page.evaluate((n) => window.observe(n), OBSERVED);
      if (tracker !== 'none' && o.decorated !== OBSERVED) problems.push(`${tracker} observed ${o.decorated} of ${OBSERVED} links`);
      samples.observe[tracker].push(o.ms);
    });
    if (tracker === 'none') continue;
    await inPage(`${base}/bench/small?tracker=${tracker}&ref=bench_2`, async (page) => {
      await page.waitForFunction(() => window.elapsed !== undefined, null, { timeout: 10000 });
      samples.small[tracker].push(await page.evaluate(() => window.elapsed));
    });
  }
}
await browser.close();
server.close();

const m = (xs) => median(xs);
const figures = {
  rounds: ROUNDS,
  decorate_10k_ms: { rust: m(samples.decorate.rust), js: m(samples.decorate.js) },
  observe_per_link_us: { rust: m(samples.observe.rust) * 1000, js: m(samples.observe.js) * 1000, none: m(samples.observe.none) * 1000 },
  small_page_ms: { rust: m(samples.small.rust), js: m(samples.small.js) },
  problems,
};
figures.decorate_ratio = figures.decorate_10k_ms.rust / figures.decorate_10k_ms.js;
figures.observe_ratio = figures.observe_per_link_us.rust / figures.observe_per_link_us.js;
figures.observe_net_ratio = (figures.observe_per_link_us.rust - figures.observe_per_link_us.none) /
  (figures.observe_per_link_us.js - figures.observe_per_link_us.none);
figures.small_page_ratio = figures.small_page_ms.rust / figures.small_page_ms.js;
console.log(JSON.stringify(figures));
process.exit(problems.length ? 1 : 0);
