// ES module entry for bundlers, appended to the wasm-bindgen `web` glue.
// __WASM__ is replaced at build time by the content-hashed wasm file name.
// load({site, endpoint, linkDomains, …}) takes the data- attributes' dataset names and resolves
// to window.payref once the tracker runs (calls made before then are queued and replayed).
export async function load(o) {
  var w = window, p = w.payref = w.payref || function () { (p.q = p.q || []).push(arguments) };
  await __wbg_init({ module_or_path: o.wasmUrl || new URL('__WASM__', import.meta.url) });
  start(o, p);
  return p;
}
