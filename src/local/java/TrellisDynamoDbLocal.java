import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * DynamoDB Local on 127.0.0.1 only. The jar has no option for the address it listens on and its
 * Jetty server listens on every interface; this launcher builds the server as the jar's own
 * ServerRunner.main does (same command-line arguments), sets each connector's host to
 * 127.0.0.1 before starting it, and refuses to run when a connector cannot be bound that way.
 * Everything is reached by reflection, so it compiles without the jar and a newer jar that
 * changed these internals fails loudly instead of listening everywhere.
 *
 * Run: java -Djava.library.path=<DynamoDBLocal_lib> -cp <DynamoDBLocal.jar>:<this folder>
 *      TrellisDynamoDbLocal -port N (-dbPath DIR | -inMemory) [-sharedDb] -disableTelemetry
 */
public final class TrellisDynamoDbLocal {
  private static final String HOST = "127.0.0.1";

  private TrellisDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    Object proxy;
    try {
      Class<?> runner = Class.forName("software.amazon.dynamodb.services.local.main.ServerRunner");
      Method create = runner.getMethod("createServerFromCommandLineArgs", String[].class);
      proxy = create.invoke(null, (Object) args);
    } catch (ReflectiveOperationException e) {
      fail("DynamoDB Local could not be set up: " + cause(e));
      return;
    }
    Object server = jettyServer(proxy);
    Class<?> serverConnector = Class.forName("org.eclipse.jetty.server.ServerConnector");
    Object[] connectors = (Object[]) server.getClass().getMethod("getConnectors").invoke(server);
    if (connectors.length == 0) fail("DynamoDB Local's server has no connector to bind to " + HOST);
    for (Object connector : connectors) {
      if (!serverConnector.isInstance(connector)) {
        fail("DynamoDB Local has a connector (" + connector.getClass().getName() + ") that cannot be bound to " + HOST + "; refusing to listen on every interface");
      }
      serverConnector.getMethod("setHost", String.class).invoke(connector, HOST);
    }
    // As ServerRunner.main: start and return; Jetty's threads keep the JVM running until it is stopped.
    proxy.getClass().getMethod("start").invoke(proxy);
    for (Object connector : connectors) {
      Object host = serverConnector.getMethod("getHost").invoke(connector);
      int port = (Integer) serverConnector.getMethod("getLocalPort").invoke(connector);
      if (!HOST.equals(host) || port <= 0) {
        fail("DynamoDB Local did not start on " + HOST + " (connector host " + host + ", port " + port + ")");
      }
    }
    System.out.println("Trellis: DynamoDB Local listens on " + HOST + " only");
  }

  private static Object jettyServer(Object proxy) {
    try {
      Field field = proxy.getClass().getDeclaredField("server");
      field.setAccessible(true);
      Object server = field.get(proxy);
      if (server == null) fail("DynamoDB Local's server field is empty");
      return server;
    } catch (ReflectiveOperationException | RuntimeException e) {
      fail("DynamoDB Local's Jetty server was not found (a DynamoDB Local version this launcher does not know?): " + cause(e));
      return null;
    }
  }

  private static String cause(Throwable e) {
    Throwable inner = e.getCause() != null ? e.getCause() : e;
    return inner.getClass().getName() + ": " + inner.getMessage();
  }

  private static void fail(String message) {
    System.err.println("Trellis: " + message);
    System.exit(2);
  }
}
