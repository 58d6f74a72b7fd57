package dev.agentos.cluster.impl;

import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.Merged;
import org.infinispan.notifications.cachemanagerlistener.event.MergeEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * vertx-infinispan's cluster manager, plus what it does not do after partitions merge: put this node's own
 * entries back. When two partitions merge (a node restarted before it could find the others and formed a cluster
 * of its own, or a healed network split), Infinispan keeps one partition's copy of the replicated
 * {@code __vertx.subs} and {@code __vertx.nodeInfo} caches; the other side's consumers and event-bus addresses are
 * gone, and requests go to stale entries or nowhere (seen in ClusterIT: a restarted policy node was unreachable
 * for good). So every registration this node made is remembered, and after a merge (at once, and again once the
 * caches have settled) its node info and registrations are written again; a repeated write is a no-op.
 */
public final class MergeHealingClusterManager extends InfinispanClusterManager {
  private static final Logger log = LoggerFactory.getLogger("agentos.cluster");
  /** After a merge: write again now, and again when Infinispan's merge of the cache contents has surely finished. */
  private static final List<Long> REASSERT_AFTER_MS = List.of(500L, 3_000L, 10_000L);

  /** address → this node's registrations for it (one per consumer). */
  private final Map<String, Map<RegistrationInfo, Boolean>> registrations = new ConcurrentHashMap<>();
  private volatile Vertx vertx;

  public MergeHealingClusterManager(DefaultCacheManager caches) {
    super(caches);
    caches.addListener(new MergeListener());
  }

  @Override
  public void init(Vertx vertx) {
    this.vertx = vertx;
    super.init(vertx);
  }

  @Override
  public void addRegistration(String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    registrations.computeIfAbsent(address, a -> new ConcurrentHashMap<>()).put(registrationInfo, Boolean.TRUE);
    super.addRegistration(address, registrationInfo, promise);
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    Map<RegistrationInfo, Boolean> mine = registrations.get(address);
    if (mine != null) {
      mine.remove(registrationInfo);
      if (mine.isEmpty()) registrations.remove(address, mine);
    }
    super.removeRegistration(address, registrationInfo, promise);
  }

  /** Writes this node's info and registrations again (idempotent). */
  void reassert() {
    if (!isActive()) return;
    NodeInfo info = getNodeInfo();
    if (info != null) setNodeInfo(info, (v, err) -> {
      if (err != null) log.warn("after a merge, this node's info could not be written again: {}", err.getMessage());
    });
    int count = 0;
    for (Map.Entry<String, Map<RegistrationInfo, Boolean>> entry : registrations.entrySet()) {
      for (RegistrationInfo registration : entry.getValue().keySet()) {
        count++;
        super.addRegistration(entry.getKey(), registration, (v, err) -> {
          if (err != null) log.warn("after a merge, a registration could not be written again: {}", err.getMessage());
        });
      }
    }
    log.info("after a merge: this node's info and {} consumer registration(s) written again", count);
  }

  @Listener(sync = false)
  public final class MergeListener {
    @Merged
    public void merged(MergeEvent event) {
      Vertx v = vertx;
      if (v == null) return;
      for (long delay : REASSERT_AFTER_MS) v.setTimer(delay, id -> v.executeBlocking(() -> {
        reassert();
        return null;
      }, false));
    }
  }
}
