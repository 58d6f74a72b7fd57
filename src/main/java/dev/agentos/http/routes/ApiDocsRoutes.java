package dev.agentos.http.routes;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.Set;

/**
 * {@code /docs} (Swagger UI) and {@code /redoc} (ReDoc) for {@code /openapi.json}, as agno (FastAPI) serves them,
 * but offline: the assets come from the swagger-ui and redoc webjars in the jar, under {@code /docs/assets/},
 * never from a CDN. The pages hold no inline script, and a Content-Security-Policy keeps them to this origin.
 * They are excluded from authentication by the default {@code excluded_route_paths} and are not in the OpenAPI
 * document (FastAPI's {@code include_in_schema=False}).
 */
public final class ApiDocsRoutes {
  /** The webjar versions in pom.xml; ApiDocsTest fails if a version here has no assets in the jar. */
  public static final String SWAGGER_UI_VERSION = "5.34.1";
  public static final String REDOC_VERSION = "2.1.5";
  static final String ASSETS = "/docs/assets";

  private static final String CSP = "default-src 'self'; script-src 'self' blob:; worker-src 'self' blob:;"
      + " style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self';"
      + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  private final String title;

  public ApiDocsRoutes(String title) {
    this.title = escape(title);
  }

  public void mount(Router router) {
    router.get("/docs").handler(ctx -> page(ctx, swaggerPage()));
    router.get("/docs/oauth2-redirect").handler(ctx -> page(ctx, oauth2RedirectPage()));
    router.get("/redoc").handler(ctx -> page(ctx, redocPage()));
    router.get(ASSETS + "/swagger-init.js").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/javascript; charset=utf-8").end(SWAGGER_INIT));
    router.get(ASSETS + "/swagger-ui/*").handler(assets("/swagger-ui/", "META-INF/resources/webjars/swagger-ui/" + SWAGGER_UI_VERSION,
        Set.of("swagger-ui-bundle.js", "swagger-ui.css", "oauth2-redirect.js", "favicon-16x16.png", "favicon-32x32.png")));
    router.get(ASSETS + "/redoc/*").handler(assets("/redoc/", "META-INF/resources/webjars/redoc/" + REDOC_VERSION,
        Set.of("redoc.standalone.js")));
  }

  /** Only the named files of a webjar (the ones the pages load; the jar drops the rest, see pom.xml). */
  private static io.vertx.core.Handler<RoutingContext> assets(String prefix, String root, Set<String> files) {
    // versioned files: cacheable for a day; no directory listing, no hidden files
    StaticHandler handler = StaticHandler.create(root).setDirectoryListing(false).setIncludeHidden(false).setMaxAgeSeconds(86_400)
        .setCachingEnabled(true).setDefaultContentEncoding("UTF-8");
    return ctx -> {
      // the named files only: a directory would be redirected to itself, and nothing else is for clients
      String path = ctx.request().path();
      String name = path.startsWith(ASSETS + prefix) ? path.substring(ASSETS.length() + prefix.length()) : "";
      if (!files.contains(name)) {
        ctx.fail(404);
        return;
      }
      handler.handle(ctx);
    };
  }

  private static void page(RoutingContext ctx, String html) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
        .putHeader("Content-Security-Policy", CSP).putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer").putHeader(HttpHeaders.CACHE_CONTROL, "no-cache").end(html);
  }

  private String swaggerPage() {
    return "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>" + title + " - Swagger UI</title>\n"
        + "<link rel=\"stylesheet\" href=\"" + ASSETS + "/swagger-ui/swagger-ui.css\">\n"
        + "<link rel=\"icon\" type=\"image/png\" href=\"" + ASSETS + "/swagger-ui/favicon-32x32.png\">\n</head>\n<body>\n"
        + "<div id=\"swagger-ui\"></div>\n<script src=\"" + ASSETS + "/swagger-ui/swagger-ui-bundle.js\"></script>\n"
        + "<script src=\"" + ASSETS + "/swagger-init.js\"></script>\n</body>\n</html>\n";
  }

  /** FastAPI's options: the document, deep links, extensions shown, and its OAuth2 redirect page. */
  private static final String SWAGGER_INIT = "window.ui = SwaggerUIBundle({\n"
      + "  url: '/openapi.json',\n  dom_id: '#swagger-ui',\n  layout: 'BaseLayout',\n  deepLinking: true,\n"
      + "  showExtensions: true,\n  showCommonExtensions: true,\n"
      + "  oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect',\n"
      + "  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]\n});\n";

  private String oauth2RedirectPage() {
    return "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<title>" + title + " - Swagger UI: OAuth2 Redirect</title>\n</head>\n"
        + "<body>\n<script src=\"" + ASSETS + "/swagger-ui/oauth2-redirect.js\"></script>\n</body>\n</html>\n";
  }

  private String redocPage() {
    return "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>" + title + " - ReDoc</title>\n"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n</head>\n<body>\n"
        + "<redoc spec-url=\"/openapi.json\"></redoc>\n"
        + "<script src=\"" + ASSETS + "/redoc/redoc.standalone.js\"></script>\n</body>\n</html>\n";
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
