package dev.agentos.http;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.policy.RouteScopeMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /openapi.json}: an OpenAPI 3.1 description generated from the router's own routes (so it cannot
 * list a route that is not served, or miss one that is), with request and response schemas and each route's
 * required scopes from the route map ({@code x-required-scopes}; {@code <id>} marks the per-resource form).
 */
public final class OpenApiDocument {
  private static final Pattern PARAM = Pattern.compile(":([A-Za-z_][A-Za-z0-9_]*)");
  private static final Pattern FAMILY_WITH_ID = Pattern.compile("^/(agents|teams|workflows)/:id(/.*)?$");

  private OpenApiDocument() {}

  static JsonObject of(Router router, AgentOsConfig config, List<String> excluded) {
    RouteScopeMap scopes = RouteScopeMap.withDefaults(config.authorization().scopeMappings());
    JsonObject paths = new JsonObject();
    for (Route route : router.getRoutes()) {
      String path = route.getPath();
      if (path == null || route.methods() == null) continue;
      String openApiPath = PARAM.matcher(path).replaceAll("{$1}");
      JsonObject item = paths.getJsonObject(openApiPath);
      if (item == null) paths.put(openApiPath, item = new JsonObject());
      for (HttpMethod method : route.methods()) {
        item.put(method.name().toLowerCase(Locale.ROOT), operation(method.name(), path, scopes, excluded));
      }
    }
    return new JsonObject().put("openapi", "3.1.0")
        .put("info", new JsonObject().put("title", "AgentOS API").put("version", config.os().version())
            .put("description", "AgentOS for the JVM. Every operation not marked as public needs a bearer token; "
                + "x-required-scopes lists the scopes the route map requires (`agents|teams|workflows:<id>:action` is the per-resource form)."))
        .put("paths", paths)
        .put("components", new JsonObject()
            .put("securitySchemes", new JsonObject().put("bearer", new JsonObject().put("type", "http").put("scheme", "bearer")
                .put("bearerFormat", "JWT or agentos_pat_ service-account token")))
            .put("schemas", new JsonObject()
                .put("Error", new JsonObject().put("type", "object").put("required", new JsonArray().add("detail"))
                    .put("properties", new JsonObject().put("detail", new JsonObject().put("description",
                        "a message, or for 422 a list of validation errors"))))
                .put("Paginated", new JsonObject().put("type", "object").put("properties", new JsonObject()
                    .put("data", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "object")))
                    .put("meta", new JsonObject().put("type", "object").put("properties", new JsonObject()
                        .put("page", integer()).put("limit", integer()).put("total_pages", integer()).put("total_count", integer())
                        .put("total_count_exact", new JsonObject().put("type", "boolean").put("description",
                            "sessions and memories: false when more rows match than were counted (1,000)"))))))
                .put("RunForm", new JsonObject().put("type", "object").put("required", new JsonArray().add("message"))
                    .put("properties", new JsonObject().put("message", string()).put("stream", new JsonObject().put("type", "boolean"))
                        .put("session_id", string()).put("user_id", string()).put("session_state", string("a JSON object"))
                        .put("dependencies", string("a JSON object")).put("metadata", string("a JSON object"))))));
  }

  private static JsonObject operation(String method, String path, RouteScopeMap scopes, List<String> excluded) {
    String concrete = PARAM.matcher(path).replaceAll("x");
    boolean isPublic = excluded.contains(path) || excluded.contains(concrete);
    JsonObject op = new JsonObject().put("operationId", (method + path).replaceAll("[^A-Za-z0-9]+", "_"));
    JsonArray parameters = new JsonArray();
    Matcher m = PARAM.matcher(path);
    while (m.find()) {
      parameters.add(new JsonObject().put("name", m.group(1)).put("in", "path").put("required", true).put("schema", string()));
    }
    if (!parameters.isEmpty()) op.put("parameters", parameters);
    if (isPublic) {
      op.put("security", new JsonArray()).put("x-required-scopes", new JsonArray());
    } else {
      op.put("security", new JsonArray().add(new JsonObject().put("bearer", new JsonArray())));
      Optional<RouteScopeMap.Entry> entry = scopes.lookup(method, concrete);
      JsonArray required = new JsonArray();
      boolean perResource = FAMILY_WITH_ID.matcher(path).matches();
      entry.ifPresent(e -> e.required().forEach(s -> required.add(perResource && s.startsWith(familyOf(path) + ":")
          ? s.replaceFirst(":", ":<id>:") : s)));
      op.put("x-required-scopes", required);
    }
    JsonObject responses = new JsonObject();
    boolean noContent = method.equals("DELETE") && !path.startsWith("/authz/subjects");
    if (noContent) {
      responses.put("204", new JsonObject().put("description", "done (also when nothing of the caller's matched)"));
    } else {
      JsonObject content = new JsonObject().put("application/json", new JsonObject().put("schema", responseSchema(method, path)));
      if (path.endsWith("/runs") && method.equals("POST")) {
        content.put("text/event-stream", new JsonObject().put("schema", string("RunStarted, RunContent..., RunCompleted|RunError|RunCancelled frames")));
      }
      if (path.equals("/metrics")) content = new JsonObject().put("text/plain", new JsonObject().put("schema", string("Prometheus text")));
      responses.put(method.equals("POST") && (path.equals("/sessions") || path.equals("/service-accounts")) ? "201" : "200",
          new JsonObject().put("description", "success").put("content", content));
    }
    for (String code : isPublic ? List.<String>of() : List.of("401", "403", "404", "422", "503")) {
      responses.put(code, new JsonObject().put("description", errorText(code)).put("content", new JsonObject()
          .put("application/json", new JsonObject().put("schema", new JsonObject().put("$ref", "#/components/schemas/Error")))));
    }
    op.put("responses", responses);
    if (method.equals("POST") || method.equals("PATCH") || method.equals("PUT") || (method.equals("DELETE") && !path.contains(":"))) {
      if (path.endsWith("/runs")) {
        JsonObject form = new JsonObject().put("schema", new JsonObject().put("$ref", "#/components/schemas/RunForm"));
        op.put("requestBody", new JsonObject().put("required", true).put("content", new JsonObject()
            .put("application/x-www-form-urlencoded", form).put("multipart/form-data", form.copy())));
      } else if (!path.endsWith("/cancel")) {
        op.put("requestBody", new JsonObject().put("required", true).put("content", new JsonObject().put("application/json",
            new JsonObject().put("schema", new JsonObject().put("type", "object")))));
      }
    }
    return op;
  }

  private static JsonObject responseSchema(String method, String path) {
    boolean paginated = method.equals("GET") && Map.of("/sessions", 1, "/memories", 1, "/traces", 1, "/user_memory_stats", 1,
        "/trace_session_stats", 1, "/service-accounts", 1).containsKey(path);
    if (paginated || path.equals("/traces/search")) return new JsonObject().put("$ref", "#/components/schemas/Paginated");
    boolean list = method.equals("GET") && (List.of("/agents", "/teams", "/workflows", "/models", "/memory_topics").contains(path)
        || path.endsWith("/runs"));
    return list ? new JsonObject().put("type", "array") : new JsonObject().put("type", "object");
  }

  private static String familyOf(String path) {
    return path.substring(1, path.indexOf('/', 1));
  }

  private static String errorText(String code) {
    return switch (code) {
      case "401" -> "no or invalid credential";
      case "403" -> "insufficient permissions (X-Decision-Id names the decision)";
      case "404" -> "not found, or not the caller's";
      case "422" -> "invalid input";
      default -> "a dependency is unavailable";
    };
  }

  private static JsonObject string() {
    return new JsonObject().put("type", "string");
  }

  private static JsonObject string(String description) {
    return string().put("description", description);
  }

  private static JsonObject integer() {
    return new JsonObject().put("type", "integer");
  }
}
