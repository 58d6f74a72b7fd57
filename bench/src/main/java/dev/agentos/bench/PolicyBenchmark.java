package dev.agentos.bench;

import dev.agentos.contract.Principal;
import dev.agentos.config.ConfigLoader;
import dev.agentos.contract.Decision;
import dev.agentos.policy.PolicyEngine;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Policy evaluation ({@code PolicyEngine.authorize}) against the number of scopes in a token, the size of the
 * route map and the number of roles. The request needs {@code agents:a7:run} (a per-resource rewrite plus the
 * route-level run check): the common, non-trivial case.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class PolicyBenchmark {
  @Param({"1", "10", "100", "1000"})
  public int scopes;

  @Param({"0", "1000", "10000"})
  public int customMappings;

  @Param({"0", "10", "100"})
  public int roles;

  private PolicyEngine engine;
  private Principal principal;

  @Setup
  public void setup() {
    JsonObject mappings = new JsonObject();
    for (int i = 0; i < customMappings; i++) mappings.put("GET /custom" + i + "/*", new JsonArray().add("custom:read"));
    JsonObject roleDefs = new JsonObject();
    List<String> roleNames = new ArrayList<>();
    for (int i = 0; i < roles; i++) {
      roleDefs.put("role" + i, new JsonObject().put("scopes", new JsonArray().add("teams:t" + i + ":read")));
      roleNames.add("role" + i);
    }
    engine = new PolicyEngine(ConfigLoader.fromJson(new JsonObject().put("authorization",
        new JsonObject().put("scope_mappings", mappings).put("roles", roleDefs)), Map.of()).authorization());
    List<String> granted = new ArrayList<>();
    for (int i = 0; i < scopes - 1; i++) granted.add("sessions:s" + i + ":read");
    granted.add("agents:a7:run"); // the granting scope comes last: the worst case for a scan
    principal = new Principal(Principal.Kind.JWT, Optional.of("alice"), granted, roleNames, Optional.empty(), new JsonObject(), 0);
  }

  @Benchmark
  public Decision authorizeRun() {
    return engine.authorize(principal, "POST", "/agents/a7/runs");
  }
}
