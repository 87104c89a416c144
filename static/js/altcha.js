// The ALTCHA widget's CSP-strict build ships without workers: register the PBKDF2 worker,
// served from our own origin (the Content-Security-Policy allows nothing else).
// Loaded after static/vendor/altcha.min.js (both deferred, so in order), before anyone can
// focus the form, which is when the widget starts solving (auto="onfocus").
(function () {
  "use strict";
  var worker = function () { return new Worker("/static/vendor/altcha-pbkdf2.js"); };
  ["PBKDF2/SHA-256", "PBKDF2/SHA-384", "PBKDF2/SHA-512"].forEach(function (name) {
    globalThis.$altcha.algorithms.set(name, worker);
  });
})();
