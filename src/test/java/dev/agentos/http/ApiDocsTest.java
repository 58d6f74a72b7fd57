package dev.agentos.http;

import dev.agentos.http.routes.ApiDocsRoutes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.testing.TestDatabase;
import dev.agentos.testing.TestServer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("/docs and /redoc: Swagger UI and ReDoc for /openapi.json, offline and without a token")
class ApiDocsTest {
  private static final Pattern REFERENCE = Pattern.compile("(?:src|href)=\"([^\"]+)\"");
  private static TestDatabase db;
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    server = TestServer.start(db, new JsonObject().put("os", new JsonObject().put("name", "Docs <OS>")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
    if (db != null) db.close();
  }

  private static List<String> references(String html) {
    List<String> out = new ArrayList<>();
    Matcher m = REFERENCE.matcher(html);
    while (m.find()) out.add(m.group(1));
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/docs", "/redoc", "/docs/oauth2-redirect"})
  @DisplayName("each page is HTML without a token, every asset it references is served from this origin without one, and nothing comes from elsewhere")
  void pageAndAssets(String page) {
    HttpResponse<Buffer> r = server.get(page);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("text/html");
    String html = r.bodyAsString();
    assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContain("//cdn");
    assertThat(html).as("no inline script: the CSP forbids it").doesNotContainPattern("<script>[^<]");
    List<String> refs = references(html);
    assertThat(refs).isNotEmpty().allSatisfy(ref -> assertThat(ref).startsWith("/docs/assets/"));
    for (String ref : refs) {
      HttpResponse<Buffer> asset = server.get(ref);
      assertThat(asset.statusCode()).as(ref).isEqualTo(200);
      assertThat(asset.body().length()).as(ref).isGreaterThan(100);
    }
  }

  @Test
  @DisplayName("Swagger UI is pointed at /openapi.json with agno's options; ReDoc likewise")
  void pointedAtTheDocument() {
    assertThat(server.get("/docs/assets/swagger-init.js").bodyAsString()).contains("url: '/openapi.json'")
        .contains("oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'").contains("deepLinking: true");
    assertThat(server.get("/redoc").bodyAsString()).contains("<redoc spec-url=\"/openapi.json\">");
    assertThat(server.get("/openapi.json").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("the title is the instance's name, HTML-escaped")
  void title() {
    assertThat(server.get("/docs").bodyAsString()).contains("<title>Docs &lt;OS&gt; - Swagger UI</title>");
    assertThat(server.get("/redoc").bodyAsString()).contains("<title>Docs &lt;OS&gt; - ReDoc</title>");
  }

  @Test
  @DisplayName("the pages carry a Content-Security-Policy to this origin, nosniff and no framing")
  void headers() {
    HttpResponse<Buffer> r = server.get("/docs");
    assertThat(r.getHeader("Content-Security-Policy")).contains("default-src 'self'").contains("frame-ancestors 'none'")
        .doesNotContain("unsafe-eval").doesNotContain("http");
    assertThat(r.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/docs/assets/swagger-ui/", "/docs/assets/swagger-ui", "/docs/assets/redoc/", "/docs/assets/nope.js",
      "/docs/assets/swagger-ui/index.html", "/docs/assets/swagger-ui/swagger-ui-bundle.js.map"})
  @DisplayName("under /docs/assets/ only the files the pages load exist: directories, source maps and unknown names are 404")
  void onlyAssets(String path) {
    assertThat(server.get(path).statusCode()).isEqualTo(404);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/docs/assets/swagger-ui/../../../sessions", "/docs/assets/swagger-ui/%2e%2e/%2e%2e/sessions",
      "/docs/assets/..%2f..%2fsessions", "/docsx", "/docs/other", "/redoc/x"})
  @DisplayName("a path that leaves /docs/assets/ once canonical, or only looks like the docs, needs a token")
  void neighboursNeedAToken(String path) {
    assertThat(server.get(path).statusCode()).isIn(400, 401, 404);
    assertThat(server.get(path).statusCode()).isNotEqualTo(200);
  }

  @Test
  @DisplayName("the documentation pages are not operations in /openapi.json")
  void notInTheDocument() {
    JsonObject paths = server.get("/openapi.json").bodyAsJsonObject().getJsonObject("paths");
    assertThat(paths.fieldNames()).noneMatch(p -> p.startsWith("/docs") || p.startsWith("/redoc"));
    assertThat(new JsonArray(List.copyOf(paths.fieldNames()))).isNotEmpty();
  }

  @Test
  @DisplayName("the webjar versions named in the code are the ones in the jar")
  void versions() {
    ClassLoader loader = ApiDocsRoutes.class.getClassLoader();
    assertThat(loader.getResource("META-INF/resources/webjars/swagger-ui/" + ApiDocsRoutes.SWAGGER_UI_VERSION + "/swagger-ui-bundle.js")).isNotNull();
    assertThat(loader.getResource("META-INF/resources/webjars/redoc/" + ApiDocsRoutes.REDOC_VERSION + "/redoc.standalone.js")).isNotNull();
  }
}
