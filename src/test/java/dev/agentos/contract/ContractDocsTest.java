package dev.agentos.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** docs/architecture.md's event-bus section is checked against the contract package, so the two cannot drift. */
@DisplayName("docs/architecture.md names every address, action, message type and failure code of the contract")
class ContractDocsTest {
  private static String doc;

  @BeforeAll
  static void read() throws Exception {
    doc = Files.readString(Path.of("docs/architecture.md"));
  }

  static Stream<Class<?>> apis() {
    return Stream.of(PolicyApi.class, StorageApi.class, RuntimeApi.class, LifecycleApi.class);
  }

  private static List<Field> constants(Class<?> type, Class<?> of) {
    List<Field> out = new ArrayList<>();
    for (Field f : type.getDeclaredFields()) {
      int m = f.getModifiers();
      if (Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == of) out.add(f);
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("apis")
  @DisplayName("every address and action of an API class appears in backticks, under its class's name")
  void addressesAndActions(Class<?> api) throws Exception {
    assertThat(doc).contains("`contract." + api.getSimpleName() + "`");
    for (Field f : constants(api, String.class)) {
      if (f.getName().equals("ACTION_HEADER")) continue;
      String value = (String) f.get(null);
      assertThat(doc).as(api.getSimpleName() + "." + f.getName()).contains("`" + value);
    }
  }

  @Test
  @DisplayName("every typed message appears with its codec name")
  void messages() {
    for (ContractCodec<?> codec : Contract.MESSAGES) {
      String name = codec.type().getName().substring("dev.agentos.".length()).replace('$', '.');
      assertThat(doc).as(name).contains("`" + name + "`").contains("`" + codec.name() + "`");
    }
    assertThat(doc).contains("`" + Contract.NAME + "`");
  }

  @Test
  @DisplayName("every failure code appears in the failure-code table with its number, and the API classes use only those")
  void failureCodes() throws Exception {
    for (Field f : constants(Failures.class, int.class)) {
      assertThat(doc).as(f.getName()).contains("| `" + f.getName() + "` | " + f.getInt(null) + " |");
    }
    List<Integer> codes = new ArrayList<>();
    for (Field f : constants(Failures.class, int.class)) codes.add(f.getInt(null));
    for (Class<?> api : apis().toList()) {
      for (Field f : constants(api, int.class)) {
        if (f.getName().endsWith("_SECONDS")) continue;
        assertThat(codes).as(api.getSimpleName() + "." + f.getName()).contains(f.getInt(null));
      }
    }
  }
}
