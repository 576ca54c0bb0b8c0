// Renders the service's OpenAPI document into #api-reference with Swagger UI, which the page loads
// from this server just before this script. Nothing here contacts another host.
"use strict";

window.apiReference = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#api-reference",
  deepLinking: true,
  displayRequestDuration: true,
  // Swagger UI would otherwise offer a badge that sends the document to an online validator.
  validatorUrl: null,
  // A key typed into "Authorize" lives only as long as the page.
  persistAuthorization: false,
});
