// Classic one-tag loader, appended inside the wasm-bindgen `no-modules` glue's scope.
// __WASM__ is replaced at build time by the content-hashed wasm file name.
// The queue stub: calls made before the tracker has loaded wait in payref.q (the same stub a
// page may inline before the tag: window.payref=window.payref||function(){(payref.q=payref.q||[]).push(arguments)}).
var w = window, s = document.currentScript, d = (s && s.dataset) || {},
  p = w.payref = w.payref || function () { (p.q = p.q || []).push(arguments) };
wasm_bindgen({ module_or_path: new URL('__WASM__', s.src) })
  .then(function () { wasm_bindgen.start(d, p) })
  .catch(function (e) {
    // A Content-Security-Policy without 'wasm-unsafe-eval' refuses to compile WebAssembly:
    // say so once, with the fix, and tell the edge so the merchant sees it.
    var c = /eval|Content.Security/i.test(e), u = (d.endpoint || '').replace(/\/$/, '');
    console.warn('payref: ' + (c ? "add 'wasm-unsafe-eval' to this page's Content-Security-Policy script-src: " : '') + e);
    if (c && u) navigator.sendBeacon(u + '/v1/diagnostics', 'v=1&t=csp&s=' + encodeURIComponent(d.site || '') + '&u=' + encodeURIComponent(location.href));
  });
