package dev.agentos.contract;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import java.util.List;
import java.util.function.Function;

/**
 * The event-bus contract: its version, and the typed messages that travel on it with their codecs
 * (docs/architecture.md's tables are checked against {@link #MESSAGES} and the API classes by ContractDocsTest).
 * Nodes agree on {@link #NAME} before they may join a cluster (SettingsAgreement), and a clustered message of
 * another version is refused by its codec.
 */
public final class Contract {
  /**
   * 2: owners, principals, decisions and seals carry a tenant (a version-1 node would read a tenant-scoped request as the
   * implicit tenant). 3: the users directory; a decision may be {@code revoked} (a disabled user), and a version-2 policy
   * node, which knows no disabled users, would let one in.
   */
  public static final int VERSION = 3;
  public static final String NAME = "agentos.v" + VERSION;

  private Contract() {}

  /** Every typed message, with its codec. */
  public static final List<ContractCodec<?>> MESSAGES = messages();

  private static List<ContractCodec<?>> messages() {
    List<ContractCodec<?>> all = new java.util.ArrayList<>(List.of(
        codec(AuthorizeRequest.class, "authorize-request", AuthorizeRequest::fromJson),
        codec(AuthorizeReply.class, "authorize-reply", AuthorizeReply::fromJson),
        codec(CheckRequest.class, "check-request", CheckRequest::fromJson),
        codec(CheckReply.class, "check-reply", CheckReply::fromJson),
        codec(Document.class, "document", Document::fromJson),
        codec(JsonText.class, "json-text", JsonText::fromJson),
        codec(RunRequest.class, "run-request", RunRequest::fromJson),
        codec(RunEvent.class, "run-event", RunEvent::fromJson),
        codec(RunCancel.class, "run-cancel", RunCancel::fromJson),
        codec(RunResume.class, "run-resume", RunResume::fromJson)));
    // one codec per storage request type, named by its action
    for (StorageRequest.Type<?> type : StorageRequest.TYPES) all.add(storageCodec(type));
    return List.copyOf(all);
  }

  private static <T extends StorageRequest> ContractCodec<T> storageCodec(StorageRequest.Type<T> type) {
    return codec(type.type(), "storage." + type.action(), type.fromJson());
  }

  private static <T extends ContractMessage> ContractCodec<T> codec(Class<T> type, String name,
      Function<io.vertx.core.json.JsonObject, T> fromJson) {
    return new ContractCodec<>(type, name, fromJson);
  }

  /** Registers every codec as its type's default on this Vert.x instance; calling it again is a no-op. */
  public static void registerCodecs(Vertx vertx) {
    EventBus bus = vertx.eventBus();
    synchronized (bus) {
      for (ContractCodec<?> codec : MESSAGES) register(bus, codec);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void register(EventBus bus, ContractCodec codec) {
    try {
      bus.registerDefaultCodec(codec.type(), codec);
    } catch (IllegalStateException alreadyRegistered) {
      // this instance has it (several verticles register on start)
    }
  }
}
