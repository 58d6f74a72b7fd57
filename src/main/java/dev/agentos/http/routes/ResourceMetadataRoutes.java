package dev.agentos.http.routes;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.http.support.JsonBodies;
import dev.agentos.policy.RouteScopeMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * RFC 9728 protected resource metadata (docs/integration.md): what an agent or an MCP client needs to find where to get
 * a token for this service, without a token. Served only when {@code authorization.resource_metadata.resource} is set;
 * the 401 challenge points here ({@code resource_metadata}).
 */
public final class ResourceMetadataRoutes {
  private final AgentOsConfig config;

  public ResourceMetadataRoutes(AgentOsConfig config) {
    this.config = config;
  }

  public void mount(Router router) {
    config.authorization().resourceMetadata().ifPresent(meta -> {
      JsonObject body = document(meta);
      router.get(AgentOsConfig.ResourceMetadata.WELL_KNOWN).handler(ctx -> JsonBodies.respond(ctx, 200, body));
      if (!meta.metadataPath().equals(AgentOsConfig.ResourceMetadata.WELL_KNOWN)) {
        router.get(meta.metadataPath()).handler(ctx -> JsonBodies.respond(ctx, 200, body));
      }
    });
  }

  /**
   * RFC 9728 §2: {@code resource}, {@code authorization_servers}, {@code scopes_supported} (every scope the route map
   * can require, and the admin scope: the scope catalog's), {@code bearer_methods_supported} (RFC 6750's {@code header}
   * when the token is read from the Authorization header; a cookie is no RFC 6750 method), and the optional names.
   */
  JsonObject document(AgentOsConfig.ResourceMetadata meta) {
    AgentOsConfig.Authorization authz = config.authorization();
    java.util.Set<String> scopes = RouteScopeMap.withDefaults(authz.scopeMappings()).catalog(authz.adminScope()).keySet();
    JsonArray methods = new JsonArray();
    if (authz.tokenSource() != AgentOsConfig.TokenSource.COOKIE && authz.tokenHeaderKey().equalsIgnoreCase("Authorization")) {
      methods.add("header");
    }
    JsonObject doc = new JsonObject().put("resource", meta.resource())
        .put("authorization_servers", new JsonArray(meta.authorizationServers()))
        .put("scopes_supported", new JsonArray(new java.util.ArrayList<>(scopes)))
        .put("bearer_methods_supported", methods);
    config.os().name().ifPresent(name -> doc.put("resource_name", name));
    meta.documentation().ifPresent(url -> doc.put("resource_documentation", url));
    return doc;
  }
}
