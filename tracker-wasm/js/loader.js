// Classic one-tag loader, appended inside the wasm-bindgen `no-modules` glue's scope.
// __WASM__ is replaced at build time by the content-hashed wasm file name.
var s = document.currentScript, d = (s && s.dataset) || {};
wasm_bindgen({ module_or_path: new URL('__WASM__', s.src) })
  .then(function () {
    wasm_bindgen.start(d.site || '', d.endpoint || '', d.linkDomains || '', d.cookieDomain || '', +d.windowDays || 0);
  })
  .catch(function (e) { console.warn('payref:', e); });
