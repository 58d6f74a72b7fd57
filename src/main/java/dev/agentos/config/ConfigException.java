package dev.agentos.config;

/**
 * A configuration problem found at start-up. The message is one line that names the key and the
 * problem; it never contains a secret value. The launcher prints it and exits with code 2.
 */
public final class ConfigException extends RuntimeException {
  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
  }

  public ConfigException(String message) {
    super(message);
  }
}
