package io.weft.runtime;

import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.internal.scheduler.WeftScheduler;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JDK's socket poller threads must never live on a Weft runtime's carriers.
 *
 * <p>On JDK 25 the sub-poller virtual threads are created when {@code sun.nio.ch.Poller} is
 * initialised, and inherit the scheduler of the thread that triggers it; were that a Weft task, every
 * blocking socket in the JVM would depend on that runtime. The check needs a fresh JVM, where the first
 * socket operation of all happens inside a Weft task, so it runs {@link Probe} in a child JVM.
 */
@Timeout(120)
class PollerIsolationTest {

    @Test
    void socketsInAWeftTaskDoNotTieTheJdkPollersToWeft() throws Exception {
        assumeTrue(weftScheduler(), "the pollers can only land on Weft's carriers when Weft's scheduler is in use");
        String out = runProbe("default");
        assertThat(out).contains("weft-task-used-sockets on weft-worker-", "plain-vt-sockets-after-shutdown OK", "PROBE OK");
        assertThat(out).contains("poller SubPoller-").doesNotContain("on-weft=true");
    }

    @Test
    void pollersInheritedByAWeftRuntimeKeepServingSocketsAfterItShutsDown() throws Exception {
        // -Dweft.jdkPollers=inherit: the sub-pollers start in the first Weft task that blocks on a
        // socket and live on that runtime's carriers. Once it shuts down, their continuations run on
        // the LateExecutor, so every other socket in the JVM keeps working.
        assumeTrue(weftScheduler(), "the pollers can only land on Weft's carriers when Weft's scheduler is in use");
        String out = runProbe("inherit");
        assertThat(out).contains("on-weft=true");
        assertThat(out).contains("plain-vt-sockets-after-shutdown OK", "PROBE OK");
    }

    /** Runs {@link Probe} in a fresh JVM with {@code weft.jdkPollers=mode}; {@return its output} */
    private static String runProbe(String mode) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(),
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "-Djdk.pollerMode=2",
            "-Dweft.jdkPollers=" + mode,
            "-Xshare:off",
            "-cp", System.getProperty("java.class.path"),
            Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child exited: %s", out).isTrue();
        assertThat(p.exitValue()).as("child output:%n%s", out).isZero();
        return out;
    }

    /** Runs in the child JVM. */
    public static final class Probe {
        private Probe() {}

        public static void main(String[] args) throws Exception {
            try (Runtime rt = Runtime.builder().workerThreads(2).build()) {
                check(rt.usesWeftScheduler(), "Weft's scheduler is in use");
                String where = rt.blockOn(() -> {
                    String carrier = Thread.currentThread().toString();
                    exchange();
                    return carrier.substring(carrier.indexOf('@') + 1);
                });
                System.out.println("weft-task-used-sockets on " + where);
                reportPollers();
            }
            // The runtime is gone; plain JDK virtual threads must still be able to use sockets.
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread vt = Thread.ofVirtual().start(() -> {
                try {
                    exchange();
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            vt.join(20_000);
            check(!vt.isAlive(), "socket exchange on a plain virtual thread finished (it hangs if the pollers were on Weft)");
            check(failure.get() == null, "socket exchange on a plain virtual thread: " + failure.get());
            System.out.println("plain-vt-sockets-after-shutdown OK");
            System.out.println("PROBE OK");
            System.exit(0);
        }

        /** A blocking loopback exchange whose reads park (the writer waits first). */
        static void exchange() throws Exception {
            try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                boolean inWeft = Task.currentId().isPresent();
                Thread.Builder vts = Thread.ofVirtual();
                AtomicReference<Throwable> serverFailure = new AtomicReference<>();
                Runnable serve = () -> {
                    try (Socket s = server.accept(); OutputStream o = s.getOutputStream(); InputStream i = s.getInputStream()) {
                        Thread.sleep(50);
                        o.write("ping".getBytes(StandardCharsets.US_ASCII));
                        o.flush();
                        check(new String(i.readNBytes(4), StandardCharsets.US_ASCII).equals("pong"), "pong");
                    } catch (Throwable t) {
                        serverFailure.set(t);
                    }
                };
                JoinHandle<Void> weftServer = inWeft ? Task.spawn(serve) : null;
                Thread vtServer = inWeft ? null : vts.start(serve);
                try (Socket c = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                    c.setSoTimeout(10_000);
                    String got = new String(c.getInputStream().readNBytes(4), StandardCharsets.US_ASCII);
                    check(got.equals("ping"), "ping, got " + got);
                    c.getOutputStream().write("pong".getBytes(StandardCharsets.US_ASCII));
                }
                if (weftServer != null) {
                    weftServer.join();
                } else {
                    vtServer.join(10_000);
                }
                if (serverFailure.get() != null) {
                    throw new IOException("server side failed", serverFailure.get());
                }
            }
        }

        static void reportPollers() throws Exception {
            Class<?> pollerClass = Class.forName("sun.nio.ch.Poller");
            Field pollersField = pollerClass.getDeclaredField("POLLERS");
            pollersField.setAccessible(true);
            Object pollers = pollersField.get(null);
            Field owner = pollerClass.getDeclaredField("owner");
            owner.setAccessible(true);
            Field scheduler = Class.forName("java.lang.VirtualThread").getDeclaredField("scheduler");
            scheduler.setAccessible(true);
            int seen = 0;
            for (String name : new String[] {"readPollers", "writePollers"}) {
                Field f = pollers.getClass().getDeclaredField(name);
                f.setAccessible(true);
                for (Object poller : (Object[]) f.get(pollers)) {
                    Thread t = null;
                    for (int i = 0; i < 200 && (t = (Thread) owner.get(poller)) == null; i++) {
                        Thread.sleep(10);
                    }
                    check(t != null, "poller thread started");
                    boolean onWeft = false;
                    String sched = "platform";
                    if (t.isVirtual()) {
                        Executor e = (Executor) scheduler.get(t);
                        onWeft = e instanceof WeftScheduler;
                        sched = e.getClass().getName();
                        if (!"inherit".equals(System.getProperty("weft.jdkPollers"))) {
                            check(e instanceof ForkJoinPool, t.getName() + " runs on the JDK default scheduler, not " + sched);
                        }
                    }
                    System.out.println("poller " + t.getName() + " virtual=" + t.isVirtual() + " scheduler=" + sched
                        + " on-weft=" + onWeft);
                    seen++;
                }
            }
            check(seen > 0, "found the pollers");
        }

        static void check(boolean ok, String what) {
            if (!ok) {
                System.out.println("PROBE FAILED: " + what);
                System.out.flush();
                System.exit(1);
            }
        }
    }
}
