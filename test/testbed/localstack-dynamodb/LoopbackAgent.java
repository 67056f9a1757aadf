import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Makes the DynamoDB Local that LocalStack starts listen on 127.0.0.1 only. LocalStack runs
 * {@code java -javaagent:<its agent jar> ... -jar DynamoDBLocal.jar <options>} with no way to
 * change the command, and DynamoDB Local binds every interface and checks no credentials. The test
 * bed puts this agent where LocalStack looks for its own (which patches the limit of 20 GSIs and
 * would come from the internet), so it runs in that JVM before DynamoDB Local's main.
 *
 * <p>It starts DynamoDB Local itself with the same options through {@link LoopbackLauncher} (the
 * launcher the local run uses) and then never returns: DynamoDB Local's own main, which would bind
 * the port again on every interface, never runs. If the options cannot be found or the server
 * cannot be bound to loopback, the JVM halts without listening at all.
 */
public final class LoopbackAgent {
  private LoopbackAgent() {}

  public static void premain(String agentArgs) throws Exception {
    List<String> jvmArgs = ProcessHandle.current().info().arguments().map(List::of).orElse(List.of());
    int jar = jvmArgs.indexOf("-jar");
    if (jar < 0 || jar + 1 >= jvmArgs.size()) {
      System.err.println("LoopbackAgent: no -jar DynamoDBLocal.jar on the command line " + jvmArgs);
      Runtime.getRuntime().halt(2);
    }
    List<String> launcherArgs = new ArrayList<>(List.of("--host", "127.0.0.1", "--"));
    launcherArgs.addAll(jvmArgs.subList(jar + 2, jvmArgs.size()));
    LoopbackLauncher.main(launcherArgs.toArray(String[]::new));
    new CountDownLatch(1).await();
  }
}
