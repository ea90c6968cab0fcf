// Starts Swagger UI on the /docs page. It lives in its own file because the
// page's Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  var el = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: el.dataset.specUrl,
    domNode: el,
    deepLinking: true,
    // The default validator is a service on another host; the page may not
    // contact it, and the document is checked by the gateway's own tests.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'BaseLayout',
  });
})();
