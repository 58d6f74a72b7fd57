package dev.agentos.authn;

import dev.agentos.authn.impl.KeyParser;
import dev.agentos.config.AgentOsConfig;
import dev.agentos.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the configured static keys and JWKS file once at start-up (off the event loop) and checks that every
 * key fits at least one enabled algorithm, so a typo can never leave the service accepting everything.
 */
public final class KeySources {
  private KeySources() {}

  public static KeySet loadStatic(AgentOsConfig.Authorization config) {
    List<VerificationKey> statics = new ArrayList<>();
    List<String> values = config.verificationKeys();
    for (int i = 0; i < values.size(); i++) {
      String origin = "authorization.verification_keys[" + i + "]";
      VerificationKey key = KeyParser.parseConfigured(values.get(i), origin);
      requireUsable(key, config, origin);
      statics.add(key);
    }
    List<VerificationKey> jwks = new ArrayList<>();
    if (config.jwksFile().isPresent()) {
      Path path = Path.of(config.jwksFile().get());
      String json;
      try {
        json = Files.readString(path, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ConfigException("authorization.jwks_file", "JWKS file not found or unreadable: " + path);
      }
      for (VerificationKey key : KeyParser.parseJwks(json, "authorization.jwks_file")) {
        if (config.algorithms().stream().anyMatch(key::accepts)) jwks.add(key);
      }
      if (jwks.isEmpty()) {
        throw new ConfigException("authorization.jwks_file", "no key in the JWKS fits the enabled algorithms " + config.algorithms());
      }
    }
    KeySet set = new KeySet(statics, jwks);
    // RBAC needs a JWT source (agno: "authorization=True requires a JWT verification source").
    if (config.enabled() && config.validate() && set.isEmpty() && !config.remoteJwks()) {
      throw new ConfigException("authorization.verification_keys",
          "no verification key configured (set verification_keys, jwks_file, jwks_url or JWT_VERIFICATION_KEY)");
    }
    return set;
  }

  private static void requireUsable(VerificationKey key, AgentOsConfig.Authorization config, String origin) {
    if (config.algorithms().stream().noneMatch(key::accepts)) {
      throw new ConfigException(origin, "a " + key.family() + " key, but none of its algorithms "
          + key.family().algorithms() + " is enabled in authorization.algorithms " + config.algorithms());
    }
  }
}
