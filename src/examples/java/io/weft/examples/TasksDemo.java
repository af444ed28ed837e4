package io.weft.examples;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeMetrics;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * The task showcase: a million tasks spawned, parked, woken and joined, with timings and metrics.
 */
public final class TasksDemo {
    private TasksDemo() {}

    /**
     * Entry point.
     *
     * @param args {@code --tasks N}, {@code --workers N}, {@code --rounds N}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int tasks = 1_000_000;
        int workers = java.lang.Runtime.getRuntime().availableProcessors();
        int rounds = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--tasks" -> tasks = Integer.parseInt(args[++i].replace("_", "").replace(",", ""));
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        final int n = tasks;
        try (Runtime rt = Runtime.builder().workerThreads(workers).build()) {
            System.out.printf("Weft %s runtime: %s%n", rt.flavor(), rt.usesWeftScheduler()
                ? "tasks run on Weft's own carrier scheduler, " + rt.metrics().workerCount() + " carriers"
                : "tasks run on the JDK default scheduler (start the JVM with --add-opens java.base/java.lang=ALL-UNNAMED for Weft's)");
            for (int round = 1; round <= rounds; round++) {
                System.out.printf("-- round %d of %d%s%n", round, rounds,
                    round == 1 ? " (cold JVM: JIT and heap still warming up)" : "");
                rt.blockOn(() -> showcase(n));
            }
            printMetrics(rt.metrics());
        }
    }

    private static Void showcase(int n) throws InterruptedException {
        CountDownLatch parked = new CountDownLatch(n);
        CountDownLatch open = new CountDownLatch(1);
        // The gate is itself a task: every task parks joining it, and its end wakes them all.
        JoinHandle<Void> gate = Task.spawn(() -> {
            open.await();
            return null;
        });
        LongAdder woken = new LongAdder();
        List<JoinHandle<Integer>> handles = new ArrayList<>(n);

        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int id = i;
            handles.add(Task.spawn(() -> {
                parked.countDown();
                gate.join(); // parks this task's virtual thread; its carrier runs others meanwhile
                woken.increment();
                return id & 1;
            }));
        }
        long spawned = System.nanoTime();
        parked.await();
        long allParked = System.nanoTime();
        System.out.printf("   spawned %,d tasks in %d ms; all parked after %d ms (alive now: %,d)%n",
            n, ms(spawned - t0), ms(allParked - t0), io.weft.runtime.Handle.current().metrics().aliveTasks());

        open.countDown();
        long sum = 0;
        for (JoinHandle<Integer> h : handles) {
            sum += h.join();
        }
        long joined = System.nanoTime();
        System.out.printf("   woke all %,d and joined them in %d ms (sum of results %,d)%n",
            woken.sum(), ms(joined - allParked), sum);
        System.out.printf("   total %d ms, %.0f ns per task%n", ms(joined - t0), (joined - t0) / (double) n);
        return null;
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    static void printMetrics(RuntimeMetrics m) {
        System.out.printf("metrics: spawned %,d, alive %,d, global queue %d, remote schedules %,d, blocking threads %d%n",
            m.spawnedTasks(), m.aliveTasks(), m.globalQueueDepth(), m.remoteScheduleCount(), m.blockingThreads());
        for (int i = 0; i < m.workerCount(); i++) {
            System.out.printf("  worker %d: %,d polls, %,d stolen, %,d parks, %,d overflows, busy %d ms%n", i,
                m.workerPollCount(i), m.workerStealCount(i), m.workerParkCount(i), m.workerOverflowCount(i),
                m.workerBusyDuration(i).toMillis());
        }
    }
}
