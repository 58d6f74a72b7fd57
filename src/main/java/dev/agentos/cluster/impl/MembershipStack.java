package dev.agentos.cluster.impl;

import dev.agentos.config.AgentOsConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.configuration.global.ShutdownHookBehavior;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.JChannel;
import org.jgroups.protocols.BARRIER;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.dns.DNS_PING;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;

/**
 * The membership layer: a JGroups TCP stack (discovery by the static member list or by the DNS records of a
 * Kubernetes headless Service; never multicast) with {@link AgreementAuth} under GMS, and the Infinispan
 * cache manager Vert.x's cluster manager keeps its subscription and node maps in. With credentials, every
 * JGroups socket is mutual TLS ({@link MembershipSocketFactory}); without ({@code cluster.security.insecure}),
 * plain TCP.
 */
public final class MembershipStack {
  private MembershipStack() {}

  /** How long a joining node looks for the cluster before it forms one of its own. */
  static final long JOIN_TIMEOUT_MS = 5_000;

  public static JChannel channel(AgentOsConfig.Cluster cluster, ClusterTls tls /* nullable: insecure */,
                                 SettingsAgreement agreement) throws Exception {
    TCP tcp = new TCP();
    InetAddress bind = InetAddress.getByName(cluster.host());
    tcp.setBindAddress(bind).setBindPort(cluster.port()).setPortRange(0);
    if (!cluster.publicHost().equals(cluster.host())) tcp.setExternalAddr(InetAddress.getByName(cluster.publicHost()));
    tcp.getThreadPool().setMinThreads(0).setMaxThreads(64);
    if (tls != null) tcp.setSocketFactory(new MembershipSocketFactory(tls.sslContext(), tls.audit()));

    Protocol discovery = switch (cluster.discovery()) {
      case TCP -> new TCPPING().setInitialHosts(members(cluster)).setPortRange(0);
      case KUBERNETES -> new DNS_PING().setDNSQuery(cluster.kubernetesServiceDns().orElseThrow());
    };
    long timeoutMs = cluster.memberTimeoutSeconds() * 1000L;
    FD_ALL3 failureDetection = new FD_ALL3();
    failureDetection.setTimeout(timeoutMs).setInterval(Math.min(1000, timeoutMs / 3));
    NAKACK2 nakack = new NAKACK2();
    nakack.setValue("use_mcast_xmit", false);
    GMS gms = new GMS();
    // Long enough for the others to answer while they are busy (ClusterIT saw a node that joined a loaded cluster give
    // up after 2 s and form a partition of its own); a cluster's very first node waits this long once, alone.
    // Discovery asks three times within it: a request lost to a connection still being set up is asked again.
    gms.setJoinTimeout(JOIN_TIMEOUT_MS).printLocalAddress(false);
    discovery.setValue("num_discovery_runs", 3);
    AgreementAuth auth = new AgreementAuth();
    auth.setAuthToken(agreement);
    agreement.setAuth(auth);

    List<Protocol> stack = List.of(tcp, discovery, new MERGE3().setMinInterval(2000).setMaxInterval(5000), failureDetection,
        new VERIFY_SUSPECT2(), new BARRIER(), nakack, new UNICAST3(), new STABLE(), auth, gms, new UFC(), new MFC(), new FRAG4());
    return new JChannel(stack);
  }

  private static List<InetSocketAddress> members(AgentOsConfig.Cluster cluster) throws UnknownHostException {
    List<InetSocketAddress> hosts = new ArrayList<>();
    for (String member : cluster.members()) {
      int colon = member.lastIndexOf(':');
      String host = member.substring(0, colon).replace("[", "").replace("]", "");
      hosts.add(new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(member.substring(colon + 1))));
    }
    // a node finds itself too, so a list that names every node (the same file everywhere) works
    hosts.add(new InetSocketAddress(InetAddress.getByName(cluster.publicHost()), cluster.port()));
    return hosts;
  }

  /**
   * Starts the cache manager on {@code channel} (blocking: it joins the cluster). The caches are the ones
   * vertx-infinispan's default configuration declares: replicated subscription and node maps, and
   * distributed caches for Vert.x's shared data.
   */
  public static DefaultCacheManager startCaches(JChannel channel, String clusterName) {
    GlobalConfigurationBuilder global = GlobalConfigurationBuilder.defaultClusteredBuilder();
    global.transport().clusterName(clusterName).transport(new JGroupsTransport(channel));
    global.defaultCacheName("distributed-cache");
    // our shutdown hook drains HTTP first and then leaves the cluster; Infinispan must not leave before that
    global.shutdown().hookBehavior(ShutdownHookBehavior.DONT_REGISTER);
    global.jmx().disable();
    global.classLoader(MembershipStack.class.getClassLoader());
    DefaultCacheManager manager = new DefaultCacheManager(global.build(),
        new ConfigurationBuilder().clustering().cacheMode(CacheMode.DIST_SYNC).build(), false);
    for (String replicated : List.of("__vertx.subs", "__vertx.haInfo", "__vertx.nodeInfo")) {
      manager.defineConfiguration(replicated, new ConfigurationBuilder().clustering().cacheMode(CacheMode.REPL_SYNC).build());
    }
    manager.defineConfiguration("__vertx.distributed.cache.configuration",
        new ConfigurationBuilder().template(true).clustering().cacheMode(CacheMode.DIST_SYNC).build());
    manager.start();
    manager.addListener(new ViewLog());
    // a view installed while start() was still running reached no listener: say where we stand now
    ViewLog.log.info("cluster members now {} (at join)", manager.getMembers());
    return manager;
  }

  /** One line per membership change (a join, a leave, or partitions merging): who is in the cluster now. */
  @org.infinispan.notifications.Listener
  public static final class ViewLog {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("agentos.cluster");

    @org.infinispan.notifications.cachemanagerlistener.annotation.ViewChanged
    public void changed(org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent event) {
      log.info("cluster members now {} (joined {}, left {})", event.getNewMembers(),
          event.getNewMembers().stream().filter(m -> !event.getOldMembers().contains(m)).toList(),
          event.getOldMembers().stream().filter(m -> !event.getNewMembers().contains(m)).toList());
    }

    // Infinispan reports a merge of partitions (nodes that started at the same moment and each formed a cluster,
    // or a healed network split) as its own event, not as a view change
    @org.infinispan.notifications.cachemanagerlistener.annotation.Merged
    public void merged(org.infinispan.notifications.cachemanagerlistener.event.MergeEvent event) {
      log.info("cluster members now {} (partitions merged: {})", event.getNewMembers(), event.getSubgroupsMerged());
    }
  }
}
