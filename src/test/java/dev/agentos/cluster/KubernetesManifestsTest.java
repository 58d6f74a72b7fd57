package dev.agentos.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigLoader;
import dev.agentos.config.ConfigSchema;
import dev.agentos.http.HttpVerticle;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Every manifest under k8s/ parses, and what it says agrees with the code and with the other manifests. */
@DisplayName("The Kubernetes manifests agree with the code")
class KubernetesManifestsTest {
  private static final Path DIR = Path.of("k8s");
  private static final Map<String, JsonObject> BY_KIND_AND_NAME = new HashMap<>();
  private static final List<Path> FILES = new ArrayList<>();

  private static JsonObject deployment;
  private static JsonObject container;
  private static AgentOsConfig config;
  private static Map<String, String> containerEnv;

  @BeforeAll
  static void parse() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      files.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(FILES::add);
    }
    for (Path file : FILES) {
      Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
      for (Object doc : yaml.loadAll(Files.readString(file))) {
        if (doc == null) continue;
        @SuppressWarnings("unchecked")
        JsonObject o = new JsonObject((Map<String, Object>) doc);
        String kind = o.getString("kind");
        String name = o.getJsonObject("metadata", new JsonObject()).getString("name", "");
        BY_KIND_AND_NAME.put(kind + "/" + name, o);
      }
    }
    deployment = get("Deployment/agentos");
    container = podSpec().getJsonArray("containers").getJsonObject(0);
    containerEnv = new HashMap<>();
    for (Object e : container.getJsonArray("env")) {
      JsonObject env = (JsonObject) e;
      // values from fieldRef/secretKeyRef get a stand-in of the right shape
      String value = env.getString("value");
      if (value == null && "AGENTOS_CLUSTER_HOST".equals(env.getString("name"))) value = "10.0.0.7";
      if (value == null && "JWT_VERIFICATION_KEY".equals(env.getString("name"))) value = "a-stand-in-secret-of-at-least-32-bytes!";
      if (value == null) value = "stand-in";
      containerEnv.put(env.getString("name"), value);
    }
    String configYaml = get("ConfigMap/agentos-config").getJsonObject("data").getString("config.yaml");
    @SuppressWarnings("unchecked")
    Map<String, Object> file = (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(configYaml);
    config = ConfigLoader.fromJson(new JsonObject(file), containerEnv);
  }

  private static JsonObject get(String kindAndName) {
    JsonObject o = BY_KIND_AND_NAME.get(kindAndName);
    assertThat(o).as(kindAndName + " in k8s/").isNotNull();
    return o;
  }

  private static JsonObject podSpec() {
    return deployment.getJsonObject("spec").getJsonObject("template").getJsonObject("spec");
  }

  private static JsonObject podLabels() {
    return deployment.getJsonObject("spec").getJsonObject("template").getJsonObject("metadata").getJsonObject("labels");
  }

  private static int containerPort(String name) {
    for (Object p : container.getJsonArray("ports")) {
      JsonObject port = (JsonObject) p;
      if (name.equals(port.getString("name"))) return port.getInteger("containerPort");
    }
    throw new AssertionError("no container port named " + name);
  }

  private static void assertSelects(JsonObject selectorLabels, String what) {
    assertThat(selectorLabels.getMap()).as(what + " selects the Deployment's pods").isNotEmpty();
    assertThat(podLabels().getMap()).as(what).containsAllEntriesOf(selectorLabels.getMap());
  }

  @Test
  @DisplayName("every manifest parses and carries the app label and the agentos namespace")
  void allParse() {
    assertThat(FILES).hasSizeGreaterThanOrEqualTo(10);
    for (JsonObject o : BY_KIND_AND_NAME.values()) {
      if ("Kustomization".equals(o.getString("kind"))) continue;
      JsonObject meta = o.getJsonObject("metadata");
      assertThat(meta.getJsonObject("labels").getString("app.kubernetes.io/name")).as(o.getString("kind")).isEqualTo("agentos");
      if (!"Namespace".equals(o.getString("kind"))) assertThat(meta.getString("namespace")).isEqualTo("agentos");
    }
  }

  @Test
  @DisplayName("the kustomization lists every manifest except the examples (Secrets, cert-manager)")
  void kustomizationComplete() {
    JsonArray resources = get("Kustomization/").getJsonArray("resources");
    List<String> expected = FILES.stream().map(p -> p.getFileName().toString())
        .filter(f -> !f.equals("kustomization.yaml") && !f.endsWith(".example.yaml")).toList();
    assertThat(resources.getList()).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  @DisplayName("the ConfigMap's config.yaml is a valid config: clustered, Kubernetes discovery through the headless Service")
  void configMapIsValid() {
    assertThat(config.os().devMode()).isFalse();
    assertThat(config.cluster().enabled()).isTrue();
    assertThat(config.cluster().discovery()).isEqualTo(AgentOsConfig.Discovery.KUBERNETES);
    assertThat(config.cluster().kubernetesServiceDns()).contains("agentos-cluster.agentos.svc.cluster.local");
    assertThat(config.cluster().host()).as("the pod IP from the Deployment's env").isEqualTo("10.0.0.7");
    assertThat(config.cluster().verticles().isAll()).isTrue();
    assertThat(config.http().host()).isEqualTo("0.0.0.0");
    assertThat(config.authorization().verificationKeys()).as("the key comes from the Secret").hasSize(1);
  }

  @Test
  @DisplayName("container ports are the ports the config makes the service listen on")
  void portsAgree() {
    assertThat(containerPort("http")).isEqualTo(config.http().port());
    assertThat(containerPort("membership")).isEqualTo(config.cluster().port());
    assertThat(containerPort("event-bus")).isEqualTo(config.cluster().eventBusPort());
    JsonObject headless = get("Service/agentos-cluster").getJsonObject("spec");
    assertThat(headless.getString("clusterIP")).isEqualTo("None");
    assertThat(headless.getBoolean("publishNotReadyAddresses")).as("members find each other before they are ready").isTrue();
    assertThat(headless.getJsonArray("ports").getJsonObject(0).getInteger("port")).isEqualTo(config.cluster().port());
    JsonObject service = get("Service/agentos").getJsonObject("spec");
    assertThat(service.getJsonArray("ports").getJsonObject(0).getString("targetPort")).isEqualTo("http");
  }

  @Test
  @DisplayName("probes use the served liveness and readiness paths, which need no token")
  void probes() {
    assertThat(container.getJsonObject("livenessProbe").getJsonObject("httpGet").getString("path")).isEqualTo(dev.agentos.http.pipeline.RequestPipeline.HEALTH_PATH);
    assertThat(container.getJsonObject("startupProbe").getJsonObject("httpGet").getString("path")).isEqualTo(dev.agentos.http.pipeline.RequestPipeline.HEALTH_PATH);
    assertThat(container.getJsonObject("readinessProbe").getJsonObject("httpGet").getString("path")).isEqualTo(dev.agentos.http.pipeline.RequestPipeline.READY_PATH);
    for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      assertThat(container.getJsonObject(probe).getJsonObject("httpGet").getString("port")).isEqualTo("http");
    }
    assertThat(config.authorization().excludedRoutePaths()).contains(dev.agentos.http.pipeline.RequestPipeline.HEALTH_PATH, dev.agentos.http.pipeline.RequestPipeline.READY_PATH);
  }

  @Test
  @DisplayName("Services, PodDisruptionBudget and NetworkPolicy select the Deployment's pods; the autoscaler targets it")
  void selectorsAgree() {
    assertSelects(deployment.getJsonObject("spec").getJsonObject("selector").getJsonObject("matchLabels"), "Deployment selector");
    assertSelects(get("Service/agentos").getJsonObject("spec").getJsonObject("selector"), "Service");
    assertSelects(get("Service/agentos-cluster").getJsonObject("spec").getJsonObject("selector"), "headless Service");
    assertSelects(get("PodDisruptionBudget/agentos").getJsonObject("spec").getJsonObject("selector").getJsonObject("matchLabels"), "PDB");
    JsonObject netpol = get("NetworkPolicy/agentos").getJsonObject("spec");
    assertSelects(netpol.getJsonObject("podSelector").getJsonObject("matchLabels"), "NetworkPolicy");
    JsonObject target = get("HorizontalPodAutoscaler/agentos").getJsonObject("spec").getJsonObject("scaleTargetRef");
    assertThat(target.getString("kind")).isEqualTo("Deployment");
    assertThat(target.getString("name")).isEqualTo("agentos");
    assertThat(get("HorizontalPodAutoscaler/agentos").getJsonObject("spec").getInteger("minReplicas"))
        .isEqualTo(deployment.getJsonObject("spec").getInteger("replicas")).isEqualTo(3);
    assertThat(podSpec().getString("serviceAccountName")).isEqualTo(get("ServiceAccount/agentos").getJsonObject("metadata").getString("name"));
  }

  @Test
  @DisplayName("the NetworkPolicy lets only the service's own pods reach the cluster ports")
  void clusterPortsArePrivate() {
    JsonArray ingress = get("NetworkPolicy/agentos").getJsonObject("spec").getJsonArray("ingress");
    for (Object r : ingress) {
      JsonObject rule = (JsonObject) r;
      List<Object> ports = rule.getJsonArray("ports").stream().map(p -> ((JsonObject) p).getValue("port")).toList();
      if (ports.contains("membership") || ports.contains("event-bus")) {
        JsonArray from = rule.getJsonArray("from");
        assertThat(from).as("a rule opening cluster ports names its peers").isNotNull().hasSize(1);
        assertSelects(from.getJsonObject(0).getJsonObject("podSelector").getJsonObject("matchLabels"), "cluster-port peers");
      } else {
        assertThat(ports).containsOnly("http");
      }
    }
  }

  @Test
  @DisplayName("the cluster credentials come from a Secret mounted (whole, so rotations reach the pod) at credentials_dir, under the file names the service reads")
  void clusterCredentialsMounted() {
    assertThat(config.cluster().credentialsDir()).as("the cluster is secure").isPresent();
    JsonObject mount = container.getJsonArray("volumeMounts").stream().map(JsonObject.class::cast)
        .filter(m -> m.getString("mountPath").equals(config.cluster().credentialsDir().get().toString())).findFirst().orElseThrow();
    assertThat(mount.containsKey("subPath")).as("a subPath mount is never updated by the kubelet").isFalse();
    JsonObject volume = podSpec().getJsonArray("volumes").stream().map(JsonObject.class::cast)
        .filter(v -> v.getString("name").equals(mount.getString("name"))).findFirst().orElseThrow();
    JsonObject secret = volume.getJsonObject("secret");
    Map<String, String> files = new HashMap<>();
    for (Object item : secret.getJsonArray("items")) files.put(((JsonObject) item).getString("key"), ((JsonObject) item).getString("path"));
    assertThat(files).containsEntry("ca.crt", ClusterCredentials.CA_FILE).containsEntry("tls.crt", ClusterCredentials.CERT_FILE)
        .containsEntry("tls.key", ClusterCredentials.KEY_FILE);
    // both ways of making that Secret name it and use the same keys
    assertThat(get("Secret/" + secret.getString("secretName")).getJsonObject("stringData").fieldNames()).containsAll(files.keySet());
    JsonObject certificate = get("Certificate/agentos-cluster-node").getJsonObject("spec");
    assertThat(certificate.getString("secretName")).isEqualTo(secret.getString("secretName"));
    assertThat(certificate.getJsonObject("privateKey").getString("encoding")).as("the service reads PKCS#8 keys").isEqualTo("PKCS8");
    assertThat(certificate.getJsonObject("subject").getJsonArray("organizationalUnits").getList()).contains(CredentialsIssuer.NODE_UNIT);
    assertThat(certificate.getJsonArray("usages").getList()).contains("server auth", "client auth");
  }

  @Test
  @DisplayName("the pod runs non-root with a read-only root filesystem, no privilege escalation and no API token")
  void hardenedPod() {
    JsonObject pod = podSpec().getJsonObject("securityContext");
    assertThat(pod.getBoolean("runAsNonRoot")).isTrue();
    assertThat(pod.getInteger("runAsUser")).isPositive();
    JsonObject sc = container.getJsonObject("securityContext");
    assertThat(sc.getBoolean("readOnlyRootFilesystem")).isTrue();
    assertThat(sc.getBoolean("allowPrivilegeEscalation")).isFalse();
    assertThat(sc.getJsonObject("capabilities").getJsonArray("drop").getList()).contains("ALL");
    assertThat(podSpec().getBoolean("automountServiceAccountToken")).isFalse();
    assertThat(container.getJsonObject("resources").getJsonObject("requests")).isNotNull();
    assertThat(container.getJsonObject("resources").getJsonObject("limits").getString("memory")).isNotNull();
  }

  @Test
  @DisplayName("the grace period covers the preStop pause and the HTTP drain bound")
  void gracePeriod() {
    int preStop = container.getJsonObject("lifecycle").getJsonObject("preStop").getJsonObject("sleep").getInteger("seconds");
    // Main's shutdown hook waits up to shutdown_timeout + 5 s for the verticles, then up to 20 s to leave the cluster
    assertThat(podSpec().getInteger("terminationGracePeriodSeconds"))
        .isGreaterThanOrEqualTo(preStop + config.http().shutdownTimeoutSeconds() + 5 + 20);
  }

  @Test
  @DisplayName("every environment variable the Deployment sets is one the service reads; secrets come from the Secret")
  void envVarsAreKnown() {
    List<String> known = new ArrayList<>(ConfigSchema.KEYS.stream().map(k -> k.envVar()).toList());
    known.addAll(List.of("AGENTOS_CONFIG", "JWT_VERIFICATION_KEY", "JWT_JWKS_FILE", "OS_SECURITY_KEY", "JAVA_TOOL_OPTIONS"));
    assertThat(containerEnv.keySet()).allSatisfy(name -> assertThat(known).contains(name));
    assertThat(containerEnv.get("AGENTOS_CONFIG")).startsWith(container.getJsonArray("volumeMounts").getJsonObject(0).getString("mountPath") + "/");
    JsonObject secret = get("Secret/agentos-secrets").getJsonObject("stringData");
    for (Object e : container.getJsonArray("env")) {
      JsonObject ref = ((JsonObject) e).getJsonObject("valueFrom", new JsonObject()).getJsonObject("secretKeyRef");
      if (ref == null) continue;
      assertThat(ref.getString("name")).isEqualTo("agentos-secrets");
      assertThat(secret.containsKey(ref.getString("key"))).as("example Secret has " + ref.getString("key")).isTrue();
    }
    assertThat(containerEnv).containsKeys("JWT_VERIFICATION_KEY", "AGENTOS_STORAGE_POSTGRES_PASSWORD");
  }

  @Test
  @DisplayName("the image runs as a numeric non-root user and exposes the same ports")
  void dockerfile() throws IOException {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    List<String> users = dockerfile.lines().filter(l -> l.startsWith("USER ")).toList();
    assertThat(users).isNotEmpty();
    String lastUser = users.get(users.size() - 1).substring(5).trim();
    assertThat(lastUser).matches("[1-9][0-9]*(:[1-9][0-9]*)?");
    String expose = dockerfile.lines().filter(l -> l.startsWith("EXPOSE ")).findFirst().orElseThrow();
    assertThat(expose).contains(String.valueOf(config.http().port()), String.valueOf(config.cluster().port()),
        String.valueOf(config.cluster().eventBusPort()));
    assertThat(podSpec().getJsonObject("securityContext").getInteger("runAsUser")).isEqualTo(Integer.parseInt(lastUser.split(":")[0]));
  }
}
