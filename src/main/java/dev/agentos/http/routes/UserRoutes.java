package dev.agentos.http.routes;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.contract.PolicyApi;
import dev.agentos.contract.Principal;
import dev.agentos.contract.StorageRequest;
import dev.agentos.http.support.DetailedFailure;
import dev.agentos.http.support.GrantRules;
import dev.agentos.http.support.JsonBodies;
import dev.agentos.http.support.RequestContext;
import dev.agentos.http.support.ValidationFailure;
import dev.agentos.http.support.VerticleFailures;
import dev.agentos.policy.PolicyClient;
import dev.agentos.storage.StorageClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The users directory (docs/authorization.md, "Users directory"): {@code GET /users}, {@code GET /users/metrics},
 * {@code GET|PATCH /users/{sub}}. A user is a token's subject in a tenant; {@code disabled} is the kill switch every
 * policy verticle checks on every request. Changes go through the policy verticle, as role changes do: it writes the
 * change with its audit row, then announces it, so every node refuses a disabled user within the reload bound.
 */
public final class UserRoutes {
  /** agno's sort fields of the users directory. */
  static final Set<String> SORT_FIELDS = Set.of("created_at", "updated_at", "id", "email", "name");
  /** The id {@code GET /users/metrics} takes: no user can be addressed by it. */
  static final String METRICS = "metrics";

  private final AgentOsConfig.Authorization config;
  private final PolicyClient policy;
  private final StorageClient storage;

  public UserRoutes(AgentOsConfig.Authorization config, PolicyClient policy, StorageClient storage) {
    this.config = config;
    this.policy = policy;
    this.storage = storage;
  }

  public void mount(Router router) {
    router.get("/users").handler(this::list);
    router.get("/users/" + METRICS).handler(this::metrics);
    router.get("/users/:sub").handler(this::get);
    router.patch("/users/:sub").handler(this::update);
  }

  private void list(RoutingContext ctx) {
    int page = AuthzRoutes.intParam(ctx, "page", 1, Integer.MAX_VALUE);
    int limit = AuthzRoutes.intParam(ctx, "limit", 20, 100);
    String sortBy = Optional.ofNullable(ctx.queryParams().get("sort_by")).orElse("created_at");
    if (!SORT_FIELDS.contains(sortBy)) {
      throw new ValidationFailure("query", "sort_by", "Input should be one of " + String.join(", ", SORT_FIELDS.stream().sorted().toList()),
          "literal_error");
    }
    String order = Optional.ofNullable(ctx.queryParams().get("sort_order")).orElse("desc");
    if (!order.equals("asc") && !order.equals("desc")) {
      throw new ValidationFailure("query", "sort_order", "Input should be 'asc' or 'desc'", "literal_error");
    }
    String search = ctx.queryParams().get("search");
    if (search != null && (search.length() > 200 || hasControl(search))) {
      throw new ValidationFailure("query", "search", "Input should be at most 200 printable characters", "string_too_long");
    }
    Boolean disabled = bool(ctx, "disabled");
    Boolean includeDisabled = bool(ctx, "include_disabled");
    if (Boolean.FALSE.equals(includeDisabled)) {
      if (Boolean.TRUE.equals(disabled)) {
        throw new ValidationFailure("query", "disabled", "disabled=true contradicts include_disabled=false", "value_error");
      }
      disabled = false;
    }
    storage.request(new StorageRequest.UsersList(tenant(ctx), search == null || search.isEmpty() ? null : search, disabled, sortBy,
        order, page, limit)).onComplete(ar -> respond(ctx, ar));
  }

  private void metrics(RoutingContext ctx) {
    storage.request(new StorageRequest.UsersMetrics(tenant(ctx))).onComplete(ar -> respond(ctx, ar));
  }

  private void get(RoutingContext ctx) {
    storage.request(new StorageRequest.UsersGet(tenant(ctx), subject(ctx))).onComplete(ar -> respond(ctx, ar));
  }

  /**
   * {@code {email?, name?, disabled?}}; an unknown subject is added (so a user can be disabled before their first
   * request). Switching {@code disabled} is an admin's (an admin without denies), and nobody switches off themselves.
   */
  private void update(RoutingContext ctx) {
    String sub = subject(ctx);
    JsonObject body = JsonBodies.object(ctx);
    for (String field : body.fieldNames()) {
      if (!List.of("email", "name", "disabled").contains(field)) {
        throw new ValidationFailure("body", field, "Extra inputs are not permitted", "extra_forbidden");
      }
    }
    String email = label(body, "email", 320);
    String name = label(body, "name", 255);
    Object disabledValue = body.getValue("disabled");
    if (disabledValue != null && !(disabledValue instanceof Boolean)) {
      throw new ValidationFailure("body", "disabled", "Input should be a valid boolean", "bool_type");
    }
    Boolean disabled = (Boolean) disabledValue;
    Principal caller = RequestContext.principal(ctx);
    if (Boolean.TRUE.equals(disabled) && caller.userId().map(sub::equals).orElse(false)
        && caller.kind() != Principal.Kind.SERVICE_ACCOUNT) {
      throw new DetailedFailure(409, "You cannot disable yourself");
    }
    // the switch is an admin's: a user's grants may come from their token (scopes, an identity provider's roles), which
    // no one here can see, so "holds at least as much" cannot be checked for them
    Future<Void> allowed = disabled == null ? Future.succeededFuture() : GrantRules.isAdmin(policy, config, caller).compose(admin ->
        admin ? Future.succeededFuture() : Future.failedFuture(new DetailedFailure(403, "Only an admin can disable or enable a user")));
    allowed.compose(v -> policy.writeRoles(PolicyApi.USERS_UPDATE, new StorageRequest.UsersUpdate(sub, email, name, disabled,
            RequestContext.seal(ctx).orElse(null)), config.policyTimeoutMs() + storage.timeoutMs()))
        .onComplete(ar -> respond(ctx, ar));
  }

  /** A subject as the path names it: a token's {@code sub} (bounded, printable), never {@value #METRICS}. */
  private static String subject(RoutingContext ctx) {
    String sub = ctx.pathParam("sub");
    if (sub == null || sub.isEmpty() || sub.length() > 256 || hasControl(sub)) {
      throw new ValidationFailure("path", "sub", "A subject is 1 to 256 printable characters", "value_error");
    }
    if (sub.equals(METRICS)) throw new ValidationFailure("path", "sub", "'metrics' names the directory's counts, not a user", "value_error");
    return sub;
  }

  private static String label(JsonObject body, String field, int max) {
    Object v = body.getValue(field);
    if (v == null) return null;
    if (!(v instanceof String s)) throw new ValidationFailure("body", field, "Input should be a valid string", "string_type");
    if (s.length() > max || hasControl(s)) {
      throw new ValidationFailure("body", field, "Input should be at most " + max + " printable characters", "string_too_long");
    }
    return s;
  }

  private static boolean hasControl(String s) {
    return s.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.SURROGATE);
  }

  private static Boolean bool(RoutingContext ctx, String name) {
    String raw = ctx.queryParams().get(name);
    if (raw == null) return null;
    return switch (raw.toLowerCase(java.util.Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new ValidationFailure("query", name, "Input should be a valid boolean", "bool_parsing");
    };
  }

  private static String tenant(RoutingContext ctx) {
    return RequestContext.decision(ctx).tenantId();
  }

  private static void respond(RoutingContext ctx, io.vertx.core.AsyncResult<JsonObject> ar) {
    if (ar.succeeded()) JsonBodies.respond(ctx, 200, ar.result());
    else ctx.fail(VerticleFailures.storage(ar.cause(), "User not found"));
  }
}
