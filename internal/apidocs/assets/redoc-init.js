// Starts ReDoc on the /redoc page. It lives in its own file because the
// page's Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  var el = document.getElementById('redoc');
  Redoc.init(el.dataset.specUrl, { expandResponses: '200' }, el);
})();
