import java.io.InputStream;
import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local (the official emulator, DynamoDBLocal.jar on the class path) listening on
 * one address only, normally 127.0.0.1. DynamoDB Local has no listen-address option: its server
 * builds a Jetty {@code Server(port)}, which binds every interface, and it checks no credentials,
 * so anyone who can reach the port could read and write the hub's table.
 *
 * <p>Its own classes do all the work: the command line is parsed and the server built by
 * {@link ServerRunner#createServerFromCommandLineArgs}, exactly as {@code java -jar DynamoDBLocal.jar}
 * does; this launcher only sets the host of the Jetty connector before the server starts. If that
 * cannot be done (a DynamoDB Local release that builds its server otherwise), it exits without
 * listening at all rather than fall back to every interface.
 *
 * <p>Usage: {@code LoopbackLauncher --host 127.0.0.1 [--exit-with-stdin] -- <DynamoDB Local options>}.
 * With {@code --exit-with-stdin} it exits when its standard input closes, that is when the process
 * that started it (and holds the other end of the pipe) is gone, even by SIGKILL.
 */
public final class LoopbackLauncher {
  private LoopbackLauncher() {}

  public static void main(String[] args) throws Exception {
    String host = null;
    boolean exitWithStdin = false;
    int i = 0;
    for (; i < args.length && !args[i].equals("--"); i++) {
      if (args[i].equals("--host") && i + 1 < args.length) host = args[++i];
      else if (args[i].equals("--exit-with-stdin")) exitWithStdin = true;
      else fail("unknown option " + args[i]);
    }
    if (host == null || host.isEmpty()) fail("--host is required");
    String[] dynamoArgs = Arrays.copyOfRange(args, Math.min(i + 1, args.length), args.length);

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(dynamoArgs);
    Server server = jettyServerOf(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) fail("DynamoDB Local's server has no connector to bind");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) fail("DynamoDB Local's server has a connector of an unknown kind: " + connector);
      ((ServerConnector) connector).setHost(host);
    }
    if (exitWithStdin) watchStdin();

    // start() reports a port in use on stderr and stops the server instead of throwing.
    proxy.start();
    for (Connector connector : connectors) {
      ServerConnector bound = (ServerConnector) connector;
      if (!bound.isOpen() || bound.getLocalPort() <= 0 || !host.equals(bound.getHost())) {
        fail("DynamoDB Local did not start on " + host);
      }
      System.out.println("DynamoDB Local listening on " + host + ":" + bound.getLocalPort());
    }
  }

  /** The Jetty server DynamoDB Local built, not yet started (its field is private). */
  private static Server jettyServerOf(DynamoDBProxyServer proxy) {
    try {
      Field field = DynamoDBProxyServer.class.getDeclaredField("server");
      field.setAccessible(true);
      return (Server) field.get(proxy);
    } catch (ReflectiveOperationException | ClassCastException e) {
      fail("this DynamoDB Local release builds its server in a way the launcher does not know (" + e + ")");
      return null;
    }
  }

  /** Exits once standard input reaches its end: the parent that holds the pipe is gone. */
  private static void watchStdin() {
    Thread watcher = new Thread(() -> {
      try (InputStream in = System.in) {
        while (in.read() >= 0) {
          // Nothing is ever sent; reading only waits for the end.
        }
      } catch (Exception e) {
        // A broken pipe means the same as its end.
      }
      System.exit(0);
    }, "exit-with-stdin");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static void fail(String why) {
    System.err.println("LoopbackLauncher: " + why);
    Runtime.getRuntime().halt(2);
  }
}
