package dev.agentos.bench;

import java.util.concurrent.TimeUnit;
import org.casbin.jcasbin.main.Enforcer;
import org.casbin.jcasbin.model.Model;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The peer baseline: jCasbin answering the same question as {@link PolicyBenchmark} (may alice run agent a7?)
 * with the same grants written as a Casbin RBAC model: the user holds {@code scopes} grants directly (the
 * matching one last) and {@code roles} roles.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class CasbinBaselineBenchmark {
  @Param({"1", "10", "100", "1000"})
  public int scopes;

  @Param({"0", "10", "100"})
  public int roles;

  private Enforcer enforcer;

  @Setup
  public void setup() {
    Model model = new Model();
    model.addDef("r", "r", "sub, obj, act");
    model.addDef("p", "p", "sub, obj, act");
    model.addDef("g", "g", "_, _");
    model.addDef("e", "e", "some(where (p.eft == allow))");
    model.addDef("m", "m", "g(r.sub, p.sub) && (p.obj == r.obj || p.obj == \"agents:*\") && r.act == p.act");
    enforcer = new Enforcer(model);
    for (int i = 0; i < scopes - 1; i++) enforcer.addPolicy("alice", "sessions:s" + i, "read");
    enforcer.addPolicy("alice", "agents:a7", "run");
    for (int i = 0; i < roles; i++) {
      enforcer.addPolicy("role" + i, "teams:t" + i, "read");
      enforcer.addRoleForUser("alice", "role" + i);
    }
  }

  @Benchmark
  public boolean enforceRun() {
    return enforcer.enforce("alice", "agents:a7", "run");
  }
}
