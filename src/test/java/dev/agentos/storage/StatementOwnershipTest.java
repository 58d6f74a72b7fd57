package dev.agentos.storage;

import dev.agentos.contract.Owner;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.storage.impl.MemoryStore;
import dev.agentos.storage.impl.SessionStore;
import dev.agentos.storage.impl.Sql;
import dev.agentos.storage.impl.TraceStore;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The structural guarantee of docs/isolation.md: no statement on an owned table and no store method exists
 * without the owner. Adding an unscoped query or a store method without an {@link Owner} fails this test.
 */
@DisplayName("Ownership is structural")
class StatementOwnershipTest {
  private static final Pattern OWNED = Pattern.compile("\\b(FROM|INTO|UPDATE|JOIN)\\s+(sessions|runs|memories|traces|spans)\\b");
  /** An insert that writes the owner's tenant and user ($1) into the row's first two columns. */
  private static final Pattern OWNER_INSERT = Pattern.compile(
      "^INSERT INTO (sessions|runs|memories|traces) \\(tenant_id, user_id,.*(VALUES \\(|SELECT )"
          + Pattern.quote("($1::text[])[1], ($1::text[])[2],") + ".*", Pattern.DOTALL);
  private static final Pattern TENANT_LEVEL = Pattern.compile("\\b(FROM|INTO|UPDATE|JOIN)\\s+(service_accounts|roles|subject_roles|authz_audit|authz_decisions|users|actor_consents)\\b");
  /** An insert into a tenant-level table that writes $1 into tenant_id. */
  private static final Pattern TENANT_INSERT = Pattern.compile(
      "^INSERT INTO (service_accounts|roles|subject_roles|authz_audit|authz_decisions|users|actor_consents) \\(tenant_id,.*(VALUES \\(\\$1,|SELECT \\$1,).*", Pattern.DOTALL);
  /** The service's own look-ups, made before a tenant is known or for every tenant (docs/isolation.md). */
  private static final List<String> SYSTEM_STATEMENTS = List.of("FIND_SERVICE_ACCOUNT", "ALL_ROLES", "ALL_SUBJECT_ROLES",
      "PRUNE_DECISIONS",
      "ALL_DISABLED_USERS", "ALL_UNASSIGNED_USERS", "ALL_ACTING_ACCOUNTS", "ALL_CONSENTS");

  private static List<String> statements() throws Exception {
    return statements(List.of());
  }

  private static List<String> statements(List<String> except) throws Exception {
    List<String> out = new ArrayList<>();
    for (Field f : Sql.class.getDeclaredFields()) {
      // fragments (select lists, shared WHERE parts) never run alone; the statements built from them are checked
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class && !f.getName().endsWith("_FRAGMENT")
          && !except.contains(f.getName()) && !List.of("TENANT", "USER").contains(f.getName())) {
        f.setAccessible(true);
        out.add((String) f.get(null));
      }
    }
    for (Method m : Sql.class.getDeclaredMethods()) {
      if (!Modifier.isStatic(m.getModifiers()) || m.getReturnType() != String.class) continue;
      m.setAccessible(true);
      Object[] args = new Object[m.getParameterCount()];
      for (int i = 0; i < args.length; i++) {
        Class<?> t = m.getParameterTypes()[i];
        args[i] = t == boolean.class ? Boolean.TRUE : t == int.class ? 2 : "created_at";
      }
      out.add((String) m.invoke(null, args));
    }
    return out;
  }

  @Test
  @DisplayName("every statement that touches sessions, runs, memories, traces or spans is bound to the owner's tenant and user ($1)")
  void everyStatementHasTheOwner() throws Exception {
    List<String> unscoped = new ArrayList<>();
    List<String> all = statements();
    for (String sql : all) {
      if (!OWNED.matcher(sql).find()) continue;
      boolean filtered = sql.contains(Sql.OWNER) || sql.contains(Sql.OWNER_T);
      boolean ownerInsert = OWNER_INSERT.matcher(sql).matches();
      if (!filtered && !ownerInsert) unscoped.add(sql);
    }
    assertThat(all).hasSizeGreaterThan(20);
    assertThat(unscoped).isEmpty();
  }

  @Test
  @DisplayName("every statement on service accounts, roles, assignments or the audit binds the tenant ($1), but the service's own look-ups")
  void everyTenantLevelStatementHasTheTenant() throws Exception {
    List<String> unscoped = new ArrayList<>();
    for (String sql : statements(SYSTEM_STATEMENTS)) {
      if (!TENANT_LEVEL.matcher(sql).find()) continue;
      if (!sql.contains("tenant_id = $1") && !TENANT_INSERT.matcher(sql).matches()) unscoped.add(sql);
    }
    assertThat(unscoped).isEmpty();
  }

  @Test
  @DisplayName("every ON CONFLICT target leads with the tenant, so an id taken in one tenant never blocks or reveals another")
  void everyConflictTargetHasTheTenant() throws Exception {
    List<String> global = new ArrayList<>();
    for (String sql : statements()) {
      int at = sql.indexOf("ON CONFLICT");
      if (at >= 0 && !sql.startsWith("ON CONFLICT (tenant_id,", at) && !sql.startsWith("ON CONFLICT DO NOTHING", at)) global.add(sql);
    }
    assertThat(global).isEmpty();
  }

  @Test
  @DisplayName("every public method of the stores takes the Owner as its first parameter")
  void everyStoreMethodTakesAnOwner() {
    List<String> missing = new ArrayList<>();
    for (Class<?> store : List.of(SessionStore.class, MemoryStore.class, TraceStore.class)) {
      for (Method m : store.getDeclaredMethods()) {
        if (!Modifier.isPublic(m.getModifiers()) || Modifier.isStatic(m.getModifiers())) continue;
        if (m.getParameterCount() == 0 || m.getParameterTypes()[0] != Owner.class) missing.add(store.getSimpleName() + "." + m.getName());
      }
    }
    assertThat(missing).isEmpty();
  }

  @Test
  @DisplayName("a storage request without an owner is refused, never read as 'everyone'")
  void requestWithoutOwner() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Owner.fromJson(new io.vertx.core.json.JsonObject()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("storage request without an owner");
    assertThat(Owner.fromJson(new io.vertx.core.json.JsonObject(Map.of("owner", "alice"))).userId()).contains("alice");
  }
}
