// ES module entry for bundlers, appended to the wasm-bindgen `web` glue.
// __WASM__ is replaced at build time by the content-hashed wasm file name.
export async function load(o) {
  await __wbg_init({ module_or_path: o.wasmUrl || new URL('__WASM__', import.meta.url) });
  start(o.site || '', o.endpoint || '', o.linkDomains || '', o.cookieDomain || '', o.windowDays || 0);
}
