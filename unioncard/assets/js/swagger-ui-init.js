// Starts Swagger UI on /docs from a file, not an inline script: the CSP allows scripts from 'self' only.
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui-container");
  var config = { url: node.dataset.specUrl, dom_id: "#swagger-ui-container" };
  var extra = JSON.parse(node.dataset.config || "{}");
  for (var name in extra) { config[name] = extra[name]; }
  window.ui = SwaggerUIBundle(config);
});
