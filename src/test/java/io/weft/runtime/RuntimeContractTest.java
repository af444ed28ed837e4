package io.weft.runtime;

import static io.weft.testing.WeftTesting.builder;
import static io.weft.testing.WeftTesting.carrierName;
import static io.weft.testing.WeftTesting.liveThreads;
import static io.weft.testing.WeftTesting.runtime;
import static io.weft.testing.WeftTesting.uniquePrefix;
import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.JoinSet;
import io.weft.task.Task;
import io.weft.task.TaskId;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The runtime's contract, for both flavours and both scheduler modes (Weft's carriers, and the JDK
 * default scheduler when {@code java.lang} is not opened).
 */
@Tag(WeftTesting.CONTRACT)
@Timeout(60)
class RuntimeContractTest {

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void schedulerModeIsTheExpectedOne(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            assertThat(rt.usesWeftScheduler())
                .as("usesWeftScheduler() with weft.test.expectWeftScheduler=%s",
                    System.getProperty("weft.test.expectWeftScheduler"))
                .isEqualTo(weftScheduler());
            assertThat(rt.handle().usesWeftScheduler()).isEqualTo(rt.usesWeftScheduler());
            assertThat(rt.flavor()).isEqualTo(flavor);
            assertThat(rt.toString()).contains(flavor.name())
                .contains(weftScheduler() ? "weft scheduler" : "jdk default scheduler");
            assertThat(rt.isShutdown()).isFalse();
            assertThat(rt.isTerminated()).isFalse();
        }
    }

    @Test
    void expectationPropertyIsSetBySurefire() {
        // Both surefire executions declare which scheduler they expect; without it the mode checks are guesses.
        assertThat(WeftTesting.modeDeclared()).as("-Dweft.test.expectWeftScheduler is set").isTrue();
        assertThat(Boolean.getBoolean("weft.test.expectWeftScheduler"))
            .as("the property agrees with whether java.lang is open to the tests")
            .isEqualTo(Object.class.getModule().isOpen("java.lang", getClass().getModule()));
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void weftRuntimeRunsTasksOnItsCarriers(RuntimeFlavor flavor) {
        assumeTrue(weftScheduler(), "Weft's scheduler only");
        String prefix = uniquePrefix("contract");
        try (Runtime rt = WeftTesting.build(builder(flavor).threadName(prefix))) {
            String carrier = rt.blockOn(WeftTesting::carrierName);
            assertThat(carrier).startsWith(prefix);
            assertThat(rt.spawn(WeftTesting::carrierName).join()).startsWith(prefix);
            assertThat(rt.metrics().workerCount()).isEqualTo(flavor == RuntimeFlavor.MULTI_THREAD ? 2 : 1);
            assertThat(liveThreads(prefix)).hasSizeGreaterThanOrEqualTo(rt.metrics().workerCount());
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void fallbackRuntimeHasNoWeftWorkers(RuntimeFlavor flavor) {
        assumeTrue(!weftScheduler(), "JDK default scheduler only");
        try (Runtime rt = runtime(flavor)) {
            assertThat(rt.metrics().workerCount()).isZero();
            assertThatThrownBy(() -> rt.metrics().workerPollCount(0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(rt.blockOn(() -> Thread.currentThread().isVirtual())).isTrue();
            assertThat(rt.blockOn(WeftTesting::carrierName)).doesNotStartWith("weft-worker-");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void blockOnReturnsTheValueAndRunsOnAVirtualThread(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            assertThat(rt.blockOn(() -> 6 * 7)).isEqualTo(42);
            assertThat(rt.blockOn(() -> Thread.currentThread().isVirtual())).isTrue();
            assertThat(rt.<Object>blockOn(() -> null)).isNull();
            assertThat(rt.handle().blockOn(() -> "via handle")).isEqualTo("via handle");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void blockOnRethrowsUncheckedAsIsAndWrapsChecked(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            IllegalArgumentException iae = new IllegalArgumentException("bad");
            assertThatThrownBy(() -> rt.blockOn(() -> { throw iae; })).isSameAs(iae);

            AssertionError err = new AssertionError("boom");
            assertThatThrownBy(() -> rt.blockOn(() -> { throw err; })).isSameAs(err);

            IOException io = new IOException("io");
            assertThatThrownBy(() -> rt.blockOn(() -> { throw io; }))
                .isInstanceOfSatisfying(JoinException.class, e -> {
                    assertThat(e.isFailed()).isTrue();
                    assertThat(e.isCancelled()).isFalse();
                    assertThat(e.getCause()).isSameAs(io);
                    assertThat(e.id()).isNotNull();
                });
            // The runtime is unharmed.
            assertThat(rt.blockOn(() -> 1)).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void blockOnFromSeveralPlatformThreadsAtOnce(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            int n = 8;
            List<Thread> threads = new ArrayList<>();
            CopyOnWriteArrayList<Integer> results = new CopyOnWriteArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                threads.add(Thread.ofPlatform().start(() -> results.add(rt.blockOn(() -> {
                    Task.yieldNow();
                    return Task.spawn(() -> k * 10).join();
                }))));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(results).containsExactlyInAnyOrder(0, 10, 20, 30, 40, 50, 60, 70);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void spawnFromOutsideCallableAndRunnable(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            JoinHandle<String> h = rt.spawn(() -> "callable");
            AtomicBoolean ran = new AtomicBoolean();
            JoinHandle<Void> r = rt.spawn(() -> ran.set(true));
            assertThat(h.join()).isEqualTo("callable");
            assertThat(r.join()).isNull();
            assertThat(ran).isTrue();
            assertThat(rt.handle().spawn(() -> 5).join()).isEqualTo(5);
            assertThat(rt.handle().spawnNamed("named-one", () -> Thread.currentThread().getName()).join())
                .isEqualTo("named-one");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void spawnManyFromInsideAndJoinAll(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            long sum = rt.blockOn(() -> {
                List<JoinHandle<Long>> hs = new ArrayList<>();
                for (long i = 0; i < 2_000; i++) {
                    long n = i;
                    hs.add(Task.spawn(() -> n * n));
                }
                long s = 0;
                for (JoinHandle<Long> h : hs) {
                    s += h.join();
                }
                return s;
            });
            assertThat(sum).isEqualTo(1999L * 2000 * 3999 / 6);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void deepChainOfSpawnAndJoin(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            assertThat(rt.blockOn(() -> chain(300))).isEqualTo(300);
        }
    }

    private static int chain(int depth) {
        if (depth == 0) {
            return 0;
        }
        return Task.spawn(() -> chain(depth - 1)).join() + 1;
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void handleCurrentInsideTasksBlockingThreadsAndOutside(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            assertThat(rt.blockOn(Handle::current)).isSameAs(rt.handle());
            assertThat(rt.blockOn(Handle::tryCurrent)).containsSame(rt.handle());
            assertThat(rt.spawn(() -> Task.spawn(Handle::current).join()).join()).isSameAs(rt.handle());
            assertThat(rt.spawnBlocking(Handle::current).join()).isSameAs(rt.handle());
            assertThat(rt.handle().toString()).startsWith("Handle[runtime ");
        }
        assertThatThrownBy(Handle::current).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("not inside a Weft runtime");
        assertThat(Handle.tryCurrent()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void handleSpawnsFromPlainThreadsAndHandleCurrentIsUsableThere(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            Handle h = rt.blockOn(Handle::current);
            AtomicReference<Object> out = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                out.set(h.spawn(() -> Task.currentId().isPresent()).join());
                assertThat(Handle.tryCurrent()).isEmpty();
            });
            t.join();
            assertThat(out.get()).isEqualTo(true);
            Thread vt = Thread.ofVirtual().start(() -> out.set(h.spawn(() -> "from a jdk virtual thread").join()));
            vt.join();
            assertThat(out.get()).isEqualTo("from a jdk virtual thread");
        }
    }

    @Test
    void taskStaticsOutsideARuntimeThrow() {
        assertThatThrownBy(() -> Task.spawn(() -> 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Task.spawn(() -> { })).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Task.spawnBlocking(() -> 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(Task::scope).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Task.builder().name("x").spawn(() -> 1)).isInstanceOf(IllegalStateException.class);
        try (JoinSet<Integer> set = new JoinSet<>()) {
            assertThatThrownBy(() -> set.spawn(() -> 1)).isInstanceOf(IllegalStateException.class);
            assertThat(set.isEmpty()).isTrue();
        }
        assertThat(Task.currentId()).isEmpty();
        Task.yieldNow(); // outside a runtime it just yields the thread
        Task.checkCancelled();
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(Task::checkCancelled).isInstanceOf(io.weft.task.CancelledException.class);
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt status kept").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void currentIdIsTheHandleIdAndUnique(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            Set<TaskId> ids = new HashSet<>();
            for (int i = 0; i < 50; i++) {
                JoinHandle<TaskId> h = rt.spawn(() -> Task.currentId().orElseThrow());
                TaskId id = h.join();
                assertThat(id).isEqualTo(h.id()).isEqualTo(h.abortHandle().id());
                assertThat(id.value()).isPositive();
                ids.add(id);
            }
            assertThat(ids).hasSize(50);
            JoinHandle<TaskId> b = rt.spawnBlocking(() -> Task.currentId().orElseThrow());
            assertThat(b.join()).isEqualTo(b.id());
        }
        assertThatThrownBy(() -> new TaskId(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void taskBuilderNameIsTheThreadName(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            AtomicReference<String> runnableName = new AtomicReference<>();
            List<String> names = rt.blockOn(() -> {
                String callable = Task.builder().name("flusher-7").spawn(() -> Thread.currentThread().getName()).join();
                Task.builder().name("runnable-named").spawn(() -> runnableName.set(Thread.currentThread().getName())).join();
                String blocking = Task.builder().name("blocking-named")
                    .spawnBlocking(() -> Thread.currentThread().getName()).join();
                return List.of(callable, runnableName.get(), blocking);
            });
            assertThat(names.get(0)).isEqualTo("flusher-7");
            assertThat(names.get(1)).isEqualTo("runnable-named");
            // A blocking task runs on a pool thread, which keeps its own name.
            assertThat(names.get(2)).startsWith("weft-blocking-");
            assertThat(rt.blockOn(() -> Task.builder().name("v").spawn(() -> Thread.currentThread().isVirtual()).join()))
                .isTrue();
            assertThatThrownBy(() -> Task.builder().name(null)).isInstanceOf(NullPointerException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void sleepingTaskWakesUp(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            long elapsed = rt.blockOn(() -> {
                long t0 = System.nanoTime();
                Thread.sleep(30);
                return System.nanoTime() - t0;
            });
            assertThat(elapsed).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(30));
            // Many sleepers at once all wake.
            int sum = rt.blockOn(() -> {
                List<JoinHandle<Integer>> hs = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    int k = i;
                    hs.add(Task.spawn(() -> {
                        Thread.sleep(1 + k % 7);
                        return 1;
                    }));
                }
                int s = 0;
                for (JoinHandle<Integer> h : hs) {
                    s += h.join();
                }
                return s;
            });
            assertThat(sum).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void parkedTaskIsWokenByAPlatformThread(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            AtomicReference<Thread> parked = new AtomicReference<>();
            AtomicBoolean go = new AtomicBoolean();
            JoinHandle<String> h = rt.spawn(() -> {
                parked.set(Thread.currentThread());
                while (!go.get()) {
                    LockSupport.park();
                }
                return "woken";
            });
            WeftTesting.eventually(Duration.ofSeconds(5), () -> parked.get() != null, () -> "task started");
            Thread waker = Thread.ofPlatform().start(() -> {
                go.set(true);
                LockSupport.unpark(parked.get());
            });
            waker.join();
            assertThat(h.join(Duration.ofSeconds(5))).isEqualTo("woken");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void monitorsAndQueuesHandOffBetweenTasks(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            // Object.wait/notify (JEP 491: the JDK's unblocker thread resubmits the waiter).
            Object lock = new Object();
            int[] box = new int[1];
            int total = rt.blockOn(() -> {
                JoinHandle<Integer> consumer = Task.spawn(() -> {
                    int seen = 0;
                    synchronized (lock) {
                        while (box[0] < 100) {
                            lock.wait();
                            seen++;
                        }
                    }
                    return box[0];
                });
                for (int i = 0; i < 100; i++) {
                    synchronized (lock) {
                        box[0]++;
                        lock.notifyAll();
                    }
                    Task.yieldNow();
                }
                return consumer.join();
            });
            assertThat(total).isEqualTo(100);

            // A SynchronousQueue rendezvous, 2000 items.
            long sum = rt.blockOn(() -> {
                SynchronousQueue<Integer> q = new SynchronousQueue<>();
                JoinHandle<Long> consumer = Task.spawn(() -> {
                    long s = 0;
                    for (int i = 0; i < 2_000; i++) {
                        s += q.take();
                    }
                    return s;
                });
                for (int i = 0; i < 2_000; i++) {
                    q.put(i);
                }
                return consumer.join();
            });
            assertThat(sum).isEqualTo(1999L * 2000 / 2);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void yieldingLoopDoesNotStarveOtherTasks(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            AtomicBoolean flag = new AtomicBoolean();
            int spins = rt.blockOn(() -> {
                JoinHandle<Integer> spinner = Task.spawn(() -> {
                    int n = 0;
                    while (!flag.get()) {
                        Task.yieldNow();
                        n++;
                    }
                    return n;
                });
                JoinHandle<Void> setter = Task.spawn(() -> flag.set(true));
                setter.join();
                return spinner.join();
            });
            assertThat(flag).isTrue();
            assertThat(spins).isNotNegative();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void yieldSpinnersDoNotStarveTasksSpawnedFromOutside(RuntimeFlavor flavor) throws Exception {
        assumeTrue(weftScheduler(), "on JDK 25's default scheduler, Thread.yield spinners (as many as its "
            + "parallelism) starve virtual threads started from outside: a JDK limitation of the fallback");
        try (Runtime rt = runtime(flavor)) {
            AtomicBoolean stop = new AtomicBoolean();
            int spinnerCount = 4;
            CountDownLatch spinning = new CountDownLatch(spinnerCount);
            List<JoinHandle<Integer>> spinners = new ArrayList<>();
            for (int i = 0; i < spinnerCount; i++) {
                spinners.add(rt.spawn(() -> {
                    spinning.countDown();
                    int n = 0;
                    while (!stop.get()) {
                        Task.yieldNow();
                        n++;
                    }
                    return n;
                }));
            }
            try {
                assertThat(spinning.await(5, TimeUnit.SECONDS)).as("all spinners started").isTrue();
                for (int i = 0; i < 100; i++) {
                    int k = i;
                    assertThat(rt.spawn(() -> k).join(Duration.ofSeconds(5))).isEqualTo(k);
                }
            } finally {
                stop.set(true);
            }
            for (JoinHandle<Integer> s : spinners) {
                assertThat(s.join(Duration.ofSeconds(5))).isPositive();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void exceptionsAreHeldByTheHandleAndTheRuntimeCarriesOn(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            IllegalStateException ise = new IllegalStateException("task failed");
            JoinHandle<Integer> h = rt.spawn(() -> { throw ise; });
            assertThatThrownBy(h::join).isInstanceOfSatisfying(JoinException.class, e -> {
                assertThat(e.isFailed()).isTrue();
                assertThat(e.getCause()).isSameAs(ise);
                assertThat(e.id()).isEqualTo(h.id());
            });
            assertThat(rt.isShutdown()).as("IGNORE is the default policy").isFalse();
            assertThat(rt.spawn(() -> 7).join()).isEqualTo(7);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void errorsStayInTheHandleAndCarriersSurvive(RuntimeFlavor flavor) throws Exception {
        String prefix = uniquePrefix("errors");
        Thread.UncaughtExceptionHandler old = Thread.getDefaultUncaughtExceptionHandler();
        List<Throwable> uncaught = new CopyOnWriteArrayList<>();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(e));
        try (Runtime rt = WeftTesting.build(builder(flavor).threadName(prefix))) {
            int carriers = liveThreads(prefix).size();
            JoinHandle<Object> assertion = rt.spawn(() -> { throw new AssertionError("assert in a task"); });
            JoinHandle<Integer> overflow = rt.spawn(() -> recurse(0));
            JoinHandle<Object> oom = rt.spawn(() -> { throw new OutOfMemoryError("pretend"); });
            assertThatThrownBy(assertion::join).isInstanceOf(JoinException.class)
                .cause().isInstanceOf(AssertionError.class).hasMessage("assert in a task");
            assertThatThrownBy(overflow::join).isInstanceOf(JoinException.class)
                .cause().isInstanceOf(StackOverflowError.class);
            assertThatThrownBy(oom::join).isInstanceOf(JoinException.class)
                .cause().isInstanceOf(OutOfMemoryError.class);
            // Later tasks still run, on every carrier.
            int sum = rt.blockOn(() -> {
                List<JoinHandle<Integer>> hs = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    hs.add(Task.spawn(() -> 1));
                }
                int s = 0;
                for (JoinHandle<Integer> hh : hs) {
                    s += hh.join();
                }
                return s;
            });
            assertThat(sum).isEqualTo(500);
            if (weftScheduler()) {
                assertThat(liveThreads(prefix)).hasSize(carriers);
            }
            assertThat(uncaught).as("nothing reaches an uncaught-exception handler").isEmpty();
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(old);
        }
    }

    private static int recurse(int n) {
        return recurse(n + 1) + 1;
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void nestedBlockOnFromInsideATaskParksOnlyTheVirtualThread(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            assertThat(rt.blockOn(() -> rt.blockOn(() -> 1) + Handle.current().blockOn(() -> 2))).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void runtimesAreIndependent(RuntimeFlavor flavor) throws Exception {
        Runtime a = runtime(flavor);
        Runtime b = runtime(flavor);
        try {
            // A task of one runtime can join a task of another.
            assertThat(a.blockOn(() -> b.spawn(() -> "from b").join())).isEqualTo("from b");
            assertThat(b.blockOn(() -> Handle.current())).isSameAs(b.handle());
            assertThat(a.spawn(() -> b.spawn(Handle::current).join()).join()).isSameAs(b.handle());

            // a is busy with tasks that sleep and yield while b shuts down.
            CountDownLatch started = new CountDownLatch(20);
            List<JoinHandle<Integer>> busy = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int k = i;
                busy.add(a.spawn(() -> {
                    started.countDown();
                    for (int j = 0; j < 20; j++) {
                        Thread.sleep(2);
                        Task.yieldNow();
                    }
                    return k;
                }));
            }
            BlockingQueue<Integer> fromB = new ArrayBlockingQueue<>(1);
            JoinHandle<Void> bSleeper = b.spawn(() -> {
                Thread.sleep(60_000);
                fromB.add(1);
                return null;
            });
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            b.shutdownNow();
            assertThat(b.awaitTermination(Duration.ofSeconds(10))).isTrue();
            assertThatThrownBy(bSleeper::join).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
            int sum = 0;
            for (JoinHandle<Integer> h : busy) {
                sum += h.join(Duration.ofSeconds(10));
            }
            assertThat(sum).isEqualTo(190);
            assertThat(a.isShutdown()).isFalse();
            assertThat(a.blockOn(() -> Task.spawn(() -> 99).join())).isEqualTo(99);
            assertThat(fromB).isEmpty();
        } finally {
            a.close();
            b.close();
        }
    }
}
