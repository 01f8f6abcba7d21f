// What the browser scripts share: Debian's Chromium launched quietly and offline, an ordinary
// desktop user agent (headless Chromium's own would be dropped as a bot), and the tracker's
// dist files served as the edge serves them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** Launches headless Chromium with the flags this offline machine needs, plus `extra`. */
export function launch(executablePath, extra = []) {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extra],
  });
}

/** Answers `/t/<file>` from the tracker's dist directory (404 when absent). */
export function serveTracker(dist, pathname, res) {
  const name = pathname.slice(3).replace(/[^\w.-]/g, '');
  const type = name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
  try {
    res.writeHead(200, { 'content-type': type }).end(readFileSync(join(dist, name)));
  } catch {
    res.writeHead(404).end();
  }
}
