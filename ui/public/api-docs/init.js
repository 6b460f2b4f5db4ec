// Starts Swagger UI on the server's /api/docs page. A file, not an inline script: the CSP is script-src 'self'.
window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    // The default validator badge is an image from validator.swagger.io, which the CSP (img-src 'self') blocks.
    validatorUrl: null,
    deepLinking: true,
    // "Try it out" rides on the browser's session cookie; state-changing calls need the CSRF header too.
    requestInterceptor: function (request) {
      request.headers['X-Requested-With'] = 'quanyi'
      return request
    },
  })
})
