// The plain-JavaScript tracker payref's speed is measured against (cargo xtask bench): the
// same semantics as the Rust tracker, written as idiomatic, fast browser JavaScript (URL and
// URLSearchParams, querySelectorAll with the same candidate selector, one MutationObserver).
// Not shipped. `plainPayref.start(options, api)` takes what the Rust `start` takes; as a script
// tag with data-site it starts itself, like payref.js.
(function () {
  var PARAM = 'client_reference_id', ATTR = 'client-reference-id', NAME = 'payref_ref';
  var WIDGETS = 'stripe-buy-button,stripe-pricing-table';
  var HOSTS = '*:not(a,area,img,input,li,td,tr,th,option,button,label,br,hr,ul,ol,table,tbody,thead,' +
    'script,style,link,meta,svg,path,i,b,em,strong,small,html,head,title,select,textarea,iframe,picture,source,video,audio,canvas)';
  var TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
  var B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  var current = null;

  function clickId() {
    var bytes = crypto.getRandomValues(new Uint8Array(16)), n = 0n, out = '';
    for (var i = 0; i < 16; i++) n = (n << 8n) | BigInt(bytes[i]);
    for (var j = 0; j < 22; j++) { out = B62[Number(n % 62n)] + out; n /= 62n; }
    return out;
  }

  function parseStored(v) {
    var m = /^1\.([A-Za-z0-9_-]{1,64})\.([0-9A-Za-z]{22})\.(\d+)$/.exec(v || '');
    return m && { code: m[1], click: m[2], at: +m[3] };
  }

  function start(o, api) {
    if (current) current.stop();
    var params = (o.params || 'ref,via').split(',').map(function (p) { return p.trim(); }).filter(Boolean);
    var hosts = ['buy.stripe.com'].concat((o.linkDomains || '').split(',').map(function (h) { return h.trim().toLowerCase(); }).filter(Boolean));
    var days = +o.windowDays || 60, override = o.override != null && o.override !== 'false';
    var q = new URLSearchParams(location.search), code = null;
    for (var i = 0; i < params.length && !code; i++) {
      var v = q.get(params[i]);
      if (v && TOKEN.test(v)) code = v;
    }
    var stored = null;
    try {
      var m = document.cookie.split('; ').find(function (c) { return c.indexOf(NAME + '=') === 0; });
      stored = parseStored(m && m.slice(NAME.length + 1));
    } catch (e) { /* cookies blocked */ }
    if (!stored) {
      try {
        var s = parseStored(localStorage.getItem(NAME));
        if (s && Date.now() - s.at <= days * 864e5) stored = s;
      } catch (e) { /* storage blocked */ }
    }
    var ref = stored;
    if (code && !(stored && stored.code === code) && !(stored && o.attribution === 'first')) {
      ref = { code: code, click: clickId(), at: Date.now() };
      var value = '1.' + ref.code + '.' + ref.click + '.' + ref.at, labels = location.hostname.split('.');
      var base = NAME + '=' + value + '; Path=/; SameSite=Lax; Max-Age=' + days * 86400 + (location.protocol === 'https:' ? '; Secure' : '');
      try {
        var ok = false;
        for (var n = 2; n <= labels.length && !ok && labels.length > 1; n++) {
          document.cookie = base + '; Domain=' + labels.slice(-n).join('.');
          ok = document.cookie.indexOf(value) >= 0;
        }
        if (!ok) document.cookie = base;
      } catch (e) { /* cookies blocked */ }
      try { localStorage.setItem(NAME, value); } catch (e) { /* storage blocked */ }
      if (o.endpoint && o.site && TOKEN.test(o.site)) {
        var body = new URLSearchParams({ v: '1', t: 'click', s: o.site, c: ref.code, k: ref.click, u: location.href, r: document.referrer });
        ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'].forEach(function (k) { if (q.has(k)) body.set(k, q.get(k)); });
        var url = o.endpoint.replace(/\/$/, '') + '/v1/clicks';
        if (!navigator.sendBeacon(url, body.toString())) fetch(url, { method: 'POST', body: body.toString(), keepalive: true, mode: 'no-cors' }).catch(function () {});
      }
    }
    if (!ref) return;
    var reference = 'pr1-' + ref.click + '-' + ref.code;
    api.clientReferenceId = reference;
    api.referral = { code: ref.code, clickId: ref.click };
    var selector = hosts.map(function (h) { return 'a[href*="' + h + '" i],area[href*="' + h + '" i]'; }).join(',');

    function link(a) {
      var u;
      try { u = new URL(a.getAttribute('href')); } catch (e) { return; }
      if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password || hosts.indexOf(u.hostname) < 0) return;
      var existing = u.searchParams.get(PARAM);
      if (existing === reference || (existing && existing.indexOf('pr1-') !== 0 && !override)) return;
      u.searchParams.set(PARAM, reference);
      a.setAttribute('href', u.href);
    }
    function widget(el) {
      var existing = el.getAttribute(ATTR);
      if (existing !== reference && (!existing || override || existing.indexOf('pr1-') === 0)) el.setAttribute(ATTR, reference);
    }
    var watched = {};
    function whenDefined(el) {
      var name = el.getAttribute('is') || el.localName;
      if (watched[name]) return;
      watched[name] = true;
      customElements.whenDefined(name).then(function () { scan(document); });
    }
    function scan(root) {
      root.querySelectorAll(selector).forEach(link);
      root.querySelectorAll(WIDGETS).forEach(widget);
      root.querySelectorAll(HOSTS).forEach(function (el) { if (el.shadowRoot) watch(el.shadowRoot); });
      root.querySelectorAll(':not(:defined)').forEach(whenDefined);
    }
    var init = { childList: true, subtree: true, attributes: true, attributeFilter: ['href', ATTR] };
    var observer = new MutationObserver(function (records) {
      for (var r = 0; r < records.length; r++) {
        var rec = records[r], t = rec.target;
        if (rec.type === 'attributes') {
          if (rec.attributeName === 'href' && t.matches(selector)) link(t);
          else if (rec.attributeName === ATTR && t.matches(WIDGETS)) widget(t);
          continue;
        }
        for (var k = 0; k < rec.addedNodes.length; k++) {
          var el = rec.addedNodes[k];
          if (el.nodeType !== 1) continue;
          if (el.matches(selector)) link(el);
          else if (el.matches(WIDGETS)) widget(el);
          else if (el.matches(':not(:defined)')) whenDefined(el);
          if (el.shadowRoot) watch(el.shadowRoot);
          if (el.childElementCount) scan(el);
        }
      }
    });
    function watch(root) { observer.observe(root, init); scan(root); }
    function onClick(e) {
      var path = e.composedPath();
      for (var p = 0; p < path.length; p++) {
        if (path[p].nodeType === 1 && path[p].matches(selector)) { link(path[p]); break; }
      }
    }
    scan(document);
    watch(document);
    document.addEventListener('click', onClick, true);
    document.addEventListener('auxclick', onClick, true);
    current = {
      stop: function () {
        observer.disconnect();
        document.removeEventListener('click', onClick, true);
        document.removeEventListener('auxclick', onClick, true);
      },
    };
  }

  window.plainPayref = { start: start };
  var tag = document.currentScript;
  if (tag && tag.dataset.site !== undefined) start(tag.dataset, window.payref || (window.payref = {}));
})();
