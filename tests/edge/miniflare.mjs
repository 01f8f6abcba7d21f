// The built worker in Miniflare with wrangler.toml's own bindings (queues, KV, rate limiter,
// assets), for what `wrangler dev` cannot do: requests with a chosen `request.cf`. Listens on
// 127.0.0.1:<port> and hands every request to Miniflare's dispatchFetch; an `x-test-cf` header
// (JSON) becomes the request's `cf` object and is not passed on.
// Usage: node miniflare.mjs <repo root> <port> <origin url> <edge secret> [NAME=value ...]
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

const [root, port, originUrl, secret, ...vars] = process.argv.slice(2);
const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, 'wrangler.toml'));
const build = join(root, 'edge/build');
const mf = new Miniflare({
  ...workerOptions,
  modules: true,
  scriptPath: join(build, 'index.js'),
  modulesRoot: build,
  modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
  bindings: {
    ...workerOptions.bindings,
    EDGE_SECRET: secret,
    ORIGIN_URL: originUrl,
    CONFIG_TTL_SECONDS: '1',
    ...Object.fromEntries(vars.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)])),
  },
});
await mf.ready;

const server = createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const headers = { ...req.headers };
    const cf = headers['x-test-cf'] ? JSON.parse(headers['x-test-cf']) : undefined;
    delete headers['x-test-cf'];
    const body = ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks);
    const resp = await mf.dispatchFetch(`http://127.0.0.1:${port}${req.url}`, { method: req.method, headers, body, cf, redirect: 'manual' });
    const out = Buffer.from(await resp.arrayBuffer());
    res.writeHead(resp.status, Object.fromEntries(resp.headers)).end(out);
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`miniflare harness: ${e.stack || e}`);
  }
});
server.listen(Number(port), '127.0.0.1');
const stop = async () => { server.close(); await mf.dispose(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
