package io.weft;

import static io.weft.testing.SyncProbes.LONG;
import static io.weft.testing.SyncProbes.abortAndAssertCancelled;
import static io.weft.testing.SyncProbes.assertCancelled;
import static io.weft.testing.SyncProbes.awaitWaiters;
import static io.weft.testing.SyncProbes.settle;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.sync.Mpsc;
import io.weft.sync.Notify;
import io.weft.sync.Oneshot;
import io.weft.sync.Semaphore;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Select [Tokio: tests/macros_select.rs], with Weft's cancel-safety promises. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectTest {

    // ---------------------------------------------------------------- which arm wins

    @Test
    @Tag(WeftTesting.CONTRACT)
    void theReadyArmWins() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var idle = Mpsc.<String>channel(4);
                var ready = Mpsc.<String>channel(4);
                ready.sender().send("hello");
                Notify quiet = new Notify();
                for (int i = 0; i < 20; i++) {
                    if (i > 0) {
                        ready.sender().send("hello");
                    }
                    String r = Select.<String>create()
                        .recv(idle.receiver(), v -> "idle " + v)
                        .notified(quiet, () -> "notified")
                        .recv(ready.receiver(), v -> "ready " + v)
                        .sleep(Duration.ofHours(1), () -> "slept")
                        .run();
                    assertThat(r).isEqualTo("ready hello");
                }
                assertThat(ready.receiver().tryRecv()).isNull();
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void parkedSelectWakesForTheArmThatBecomesReady() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var a = Mpsc.<Integer>channel(4);
                var b = Mpsc.<Integer>channel(4);
                JoinHandle<String> s = Task.spawn(() -> Select.<String>create()
                    .recv(a.receiver(), v -> "a" + v)
                    .recv(b.receiver(), v -> "b" + v)
                    .run());
                settle();
                assertThat(s.isFinished()).isFalse();
                b.sender().send(2);
                assertThat(s.join(LONG)).isEqualTo("b2");
                assertThat(a.receiver().tryRecv()).isNull();
                assertThat(b.receiver().tryRecv()).isNull();
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void defaultOrderIsRandom() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var a = Mpsc.<Integer>unboundedChannel();
                var b = Mpsc.<Integer>unboundedChannel();
                int aWins = 0;
                int bWins = 0;
                for (int i = 0; i < 400; i++) {
                    a.sender().send(i);
                    b.sender().send(i);
                    String r = Select.<String>create()
                        .recv(a.receiver(), v -> "a")
                        .recv(b.receiver(), v -> "b")
                        .run();
                    if (r.equals("a")) {
                        aWins++;
                    } else {
                        bWins++;
                    }
                }
                // Both always ready: each wins about half; fewer than 40 of 400 has odds below 1e-50.
                assertThat(aWins).as("a wins (b won %d)", bWins).isGreaterThan(40);
                assertThat(bWins).as("b wins (a won %d)", aWins).isGreaterThan(40);
                assertThat(a.receiver().size() + b.receiver().size()).as("one message taken per select").isEqualTo(400);
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void biasedChecksArmsInOrder() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var a = Mpsc.<Integer>unboundedChannel();
                var b = Mpsc.<Integer>unboundedChannel();
                for (int i = 0; i < 200; i++) {
                    a.sender().send(i);
                    b.sender().send(i);
                    String r = Select.<String>create().biased()
                        .recv(a.receiver(), v -> "a" + v)
                        .recv(b.receiver(), v -> "b" + v)
                        .sleep(Duration.ZERO, () -> "sleep")
                        .run();
                    assertThat(r).isEqualTo("a" + i);
                }
                assertThat(a.receiver().tryRecv()).isNull();
                assertThat(b.receiver().size()).as("b's messages were never taken").isEqualTo(200);
                // The second arm wins when the first is not ready.
                assertThat(Select.<String>create().biased()
                    .recv(a.receiver(), v -> "a" + v)
                    .recv(b.receiver(), v -> "b" + v)
                    .run()).isEqualTo("b0");
                return null;
            });
        }
    }

    @Test
    void twoReadySleepArmsAreChosenAtRandom() {
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                int first = 0;
                for (int i = 0; i < 400; i++) {
                    if (Select.<Integer>create().sleep(Duration.ZERO, () -> 1).sleep(Duration.ZERO, () -> 2).run() == 1) {
                        first++;
                    }
                }
                assertThat(first).isBetween(41, 359);
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- sleep, join, oneshot, end of channel

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void sleepArmFiresWhenNothingElseIsReady(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<String>channel(1);
                Notify n = new Notify();
                long t0 = System.nanoTime();
                String r = Select.<String>create()
                    .recv(ch.receiver(), v -> "recv")
                    .notified(n, () -> "notified")
                    .sleep(Duration.ofMillis(50), () -> "timeout")
                    .sleep(Duration.ofHours(1), () -> "later")
                    .run();
                assertThat(r).isEqualTo("timeout");
                assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(45_000_000L);
                // Nothing was left registered: both sources work normally afterwards.
                ch.sender().send("m");
                assertThat(ch.receiver().tryRecv()).isEqualTo("m");
                n.notifyOne();
                assertThat(n.tryNotified()).isTrue();
                awaitWaiters(n, 0);

                assertThat(Select.<String>create()
                    .recv(ch.receiver(), v -> "recv")
                    .sleepUntil(Instant.now().plusMillis(20), () -> "deadline")
                    .run()).isEqualTo("deadline");
                assertThat(Select.<String>create()
                    .sleepUntil(Instant.now().minusSeconds(1), () -> "past")
                    .run()).isEqualTo("past");
                return null;
            });
        }
    }

    @Test
    void argumentsAreValidated() {
        assertThatThrownBy(() -> Select.<String>create().run()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Select.<String>create().sleep(Duration.ofMillis(-1), () -> "x"))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Select.<String>create().notified(null, () -> "x")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Select.<String>create().recv((Mpsc.Receiver<String>) null, v -> v))
            .isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void joinArm(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                JoinHandle<Integer> worker = Task.spawn(() -> {
                    WeftTesting.sleep(Duration.ofMillis(20));
                    return 7;
                });
                var never = Mpsc.<Integer>channel(1);
                assertThat(Select.<String>create()
                    .recv(never.receiver(), v -> "recv")
                    .join(worker, v -> "joined " + v)
                    .sleep(LONG, () -> "timeout")
                    .run()).isEqualTo("joined 7");
                // Ready at once for a finished task.
                assertThat(Select.<Integer>create().join(worker, v -> v * 2).run()).isEqualTo(14);

                JoinHandle<Integer> failing = Task.spawn(() -> {
                    throw new IllegalStateException("boom");
                });
                assertThatThrownBy(() -> Select.<String>create().join(failing, v -> "ok").run())
                    .isInstanceOfSatisfying(JoinException.class, e -> {
                        assertThat(e.isFailed()).isTrue();
                        assertThat(e.getCause()).hasMessage("boom");
                    });

                JoinHandle<Integer> parked = Task.spawn(() -> {
                    new Notify().notified();
                    return 0;
                });
                JoinHandle<String> selecting = Task.spawn(() -> Select.<String>create().join(parked, v -> "ok").run());
                settle();
                parked.abort();
                assertThatThrownBy(() -> selecting.join(LONG))
                    .isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.getCause())
                        .isInstanceOfSatisfying(JoinException.class, inner -> assertThat(inner.isCancelled()).isTrue()));
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void channelArmsSeeTheEndOfTheirChannelAsNull() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<String>channel(2);
                ch.sender().send("last");
                ch.sender().close();
                assertThat(Select.<String>create().recv(ch.receiver(), v -> "got " + v).run()).isEqualTo("got last");
                assertThat(Select.<String>create().recv(ch.receiver(), v -> "got " + v).run()).isEqualTo("got null");

                var one = Oneshot.<String>channel();
                JoinHandle<String> s = Task.spawn(() -> Select.<String>create()
                    .recv(one.receiver(), v -> "oneshot " + v)
                    .sleep(LONG, () -> "timeout")
                    .run());
                settle();
                one.sender().send("v");
                assertThat(s.join(LONG)).isEqualTo("oneshot v");

                var closed = Oneshot.<String>channel();
                closed.sender().close();
                assertThat(Select.<String>create().recv(closed.receiver(), v -> "oneshot " + v).run())
                    .isEqualTo("oneshot null");
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- cancel safety: notified arm

    @Test
    @Tag(WeftTesting.CONTRACT)
    void storedPermitIsConsumedOnlyWhenTheNotifiedArmWins() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                var ch = Mpsc.<Integer>unboundedChannel();
                n.notifyOne();
                ch.sender().send(1);
                assertThat(Select.<String>create().biased()
                    .recv(ch.receiver(), v -> "recv")
                    .notified(n, () -> "notified")
                    .run()).isEqualTo("recv");
                assertThat(n.tryNotified()).as("the losing notified arm kept the permit").isTrue();

                // Random order: exactly one of the two is consumed each time.
                for (int i = 0; i < 200; i++) {
                    n.notifyOne();
                    ch.sender().send(i);
                    String r = Select.<String>create()
                        .recv(ch.receiver(), v -> "recv")
                        .notified(n, () -> "notified")
                        .run();
                    boolean permitLeft = n.tryNotified();
                    Integer msgLeft = ch.receiver().tryRecv();
                    if (r.equals("recv")) {
                        assertThat(permitLeft).as("iteration %d", i).isTrue();
                        assertThat(msgLeft).as("iteration %d", i).isNull();
                    } else {
                        assertThat(permitLeft).as("iteration %d", i).isFalse();
                        assertThat(msgLeft).as("iteration %d", i).isEqualTo(i);
                    }
                }
                return null;
            });
        }
    }

    /**
     * Deterministic on one carrier: notifyOne chooses the parked select's notified arm, but the select's
     * channel arm (biased, first) wins; the notification must go on to the next waiter.
     */
    @Test
    void notificationReceivedByALosingArmIsForwardedToTheNextWaiter() {
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                var ch = Mpsc.<String>channel(1);
                JoinHandle<String> s = Task.spawn(() -> Select.<String>create().biased()
                    .recv(ch.receiver(), v -> "recv " + v)
                    .notified(n, () -> "notified")
                    .run());
                awaitWaiters(n, 1);
                JoinHandle<Boolean> next = Task.spawn(() -> n.notified(LONG));
                awaitWaiters(n, 2);
                n.notifyOne(); // claims the select (first in line)
                ch.sender().send("m"); // ready too, and first in the biased order
                assertThat(s.join(LONG)).isEqualTo("recv m");
                assertThat(next.join(LONG)).as("the select's unused notification was forwarded").isTrue();
                assertThat(n.tryNotified()).isFalse();
                return null;
            });
        }
    }

    @Test
    void notificationReceivedByALosingArmIsStoredWhenNobodyElseWaits() {
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                var ch = Mpsc.<String>channel(1);
                JoinHandle<String> s = Task.spawn(() -> Select.<String>create().biased()
                    .recv(ch.receiver(), v -> "recv " + v)
                    .notified(n, () -> "notified")
                    .run());
                awaitWaiters(n, 1);
                n.notifyOne();
                ch.sender().send("m");
                assertThat(s.join(LONG)).isEqualTo("recv m");
                assertThat(n.tryNotified()).as("a later notified() returns at once").isTrue();
                return null;
            });
        }
    }

    /**
     * Two notifyOne calls while a select waits on a Notify must be worth two notified() returns (one
     * wakes the select, the other is stored), as with plain {@code notified()}. Regression test: the
     * re-poll after registering used to win the notified arm through the stored permit and drop the
     * notification its claimed waiter held (fixed in 4384e61).
     */
    @Test
    @Tag("stress")
    void twoNotificationsToAParkedSelectAreWorthTwoWakeUps() throws Exception {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            Notify n = new Notify();
            // Arms registered after the notified arm widen the window between register and re-poll.
            List<Mpsc.Receiver<Integer>> pads = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                pads.add(Mpsc.<Integer>channel(1).receiver());
            }
            AtomicInteger wins = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            JoinHandle<Void> selector = rt.spawn(() -> {
                while (!stop.get()) {
                    Select<Integer> s = Select.<Integer>create().biased().notified(n, () -> 1);
                    for (var p : pads) {
                        s.recv(p, v -> 0);
                    }
                    if (s.run() == 1) {
                        wins.incrementAndGet();
                    }
                }
            });
            try {
                long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
                for (int round = 1; System.nanoTime() < end; round++) {
                    awaitWaiters(n, 1);
                    n.notifyOne();
                    n.notifyOne();
                    int want = 2 * round;
                    WeftTesting.eventually(Duration.ofSeconds(5), () -> wins.get() >= want,
                        () -> "round " + want / 2 + ": two notifyOne calls woke the select only " + (wins.get() - want + 2)
                            + " time(s); " + n);
                    assertThat(wins.get()).isEqualTo(want);
                }
            } finally {
                stop.set(true);
                n.notifyWaiters();
                selector.abort();
            }
        }
    }

    // ---------------------------------------------------------------- cancel safety: acquire arm

    @Test
    @Tag(WeftTesting.CONTRACT)
    void acquireArm() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(1);
                var ch = Mpsc.<String>channel(1);
                ch.sender().send("m");
                // Losing in the first poll: no permit kept.
                assertThat(Select.<String>create().biased()
                    .recv(ch.receiver(), v -> "recv")
                    .acquire(sem, p -> "acquired")
                    .run()).isEqualTo("recv");
                assertThat(sem.availablePermits()).isEqualTo(1);
                // Winning: the permit is the caller's until closed.
                Semaphore.Permit[] got = new Semaphore.Permit[1];
                assertThat(Select.<String>create()
                    .recv(ch.receiver(), v -> "recv")
                    .acquire(sem, p -> {
                        got[0] = p;
                        return "acquired";
                    })
                    .run()).isEqualTo("acquired");
                assertThat(sem.availablePermits()).isZero();
                got[0].close();
                assertThat(sem.availablePermits()).isEqualTo(1);
                // Parked, then woken by a release.
                Semaphore.Permit held = sem.acquire();
                JoinHandle<String> s = Task.spawn(() -> Select.<String>create()
                    .recv(ch.receiver(), v -> "recv")
                    .acquire(sem, p -> {
                        p.close();
                        return "acquired";
                    })
                    .run());
                awaitWaiters(sem, 1);
                held.close();
                assertThat(s.join(LONG)).isEqualTo("acquired");
                assertThat(sem.availablePermits()).isEqualTo(1);
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void closingTheSemaphoreOfAParkedAcquireArmFailsTheSelectAndLeavesNothingRegistered(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(0);
                Notify n = new Notify();
                var ch = Mpsc.<String>channel(1);
                JoinHandle<String> s = Task.spawn(() -> Select.<String>create()
                    .recv(ch.receiver(), v -> "recv")
                    .notified(n, () -> "notified")
                    .acquire(sem, p -> "acquired")
                    .run());
                awaitWaiters(sem, 1);
                awaitWaiters(n, 1);
                sem.close();
                assertThatThrownBy(() -> s.join(LONG)).isInstanceOfSatisfying(JoinException.class, e -> {
                    assertThat(e.isFailed()).isTrue();
                    assertThat(e.getCause()).isInstanceOf(io.weft.sync.ClosedException.class);
                });
                awaitWaiters(n, 0);
                n.notifyOne();
                assertThat(n.tryNotified()).as("the failed select left no waiter on the Notify").isTrue();
                ch.sender().send("m");
                assertThat(ch.receiver().tryRecv()).isEqualTo("m");
                // Already closed when the select starts: it fails at once.
                assertThatThrownBy(() -> Select.<String>create().acquire(sem, p -> "acquired").run())
                    .isInstanceOf(io.weft.sync.ClosedException.class);
                return null;
            });
        }
    }

    /** Deterministic on one carrier: the permit handed to a losing acquire arm goes back. */
    @Test
    void permitHandedToALosingAcquireArmGoesBack() {
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(0);
                var ch = Mpsc.<String>channel(1);
                JoinHandle<String> s = Task.spawn(() -> Select.<String>create().biased()
                    .recv(ch.receiver(), v -> "recv " + v)
                    .acquire(sem, p -> "acquired")
                    .run());
                awaitWaiters(sem, 1);
                sem.addPermits(1); // assigned to the select's acquire arm
                ch.sender().send("m"); // but the biased recv arm wins
                assertThat(s.join(LONG)).isEqualTo("recv m");
                assertThat(sem.availablePermits()).as("the losing arm kept no permit").isEqualTo(1);
                awaitWaiters(sem, 0);
                return null;
            });
        }
    }

    /**
     * A select that acquires, racing with releases, must not make permits disappear. Regression test: the
     * re-poll used to win the acquire arm with a second permit and leak the one assigned to its claimed
     * waiter (fixed in 4384e61).
     */
    @Test
    @Tag("stress")
    void permitsReleasedToAParkedSelectAreNotLost() throws Exception {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            Semaphore sem = new Semaphore(0);
            List<Mpsc.Receiver<Integer>> pads = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                pads.add(Mpsc.<Integer>channel(1).receiver());
            }
            AtomicInteger wins = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            JoinHandle<Void> selector = rt.spawn(() -> {
                while (!stop.get()) {
                    Select<Integer> s = Select.<Integer>create().biased().acquire(sem, p -> {
                        p.forget(); // keep count by wins, not by returning permits
                        return 1;
                    });
                    for (var p : pads) {
                        s.recv(p, v -> 0);
                    }
                    if (s.run() == 1) {
                        wins.incrementAndGet();
                    }
                }
            });
            try {
                long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
                for (int round = 1; System.nanoTime() < end; round++) {
                    awaitWaiters(sem, 1);
                    sem.addPermits(1);
                    sem.addPermits(1);
                    int want = 2 * round;
                    WeftTesting.eventually(Duration.ofSeconds(5), () -> wins.get() >= want,
                        () -> "round " + want / 2 + ": 2 permits released, the select got " + (wins.get() - want + 2)
                            + "; " + sem);
                    assertThat(wins.get()).isEqualTo(want);
                }
            } finally {
                stop.set(true);
                sem.close();
                selector.abort();
            }
        }
    }

    // ---------------------------------------------------------------- abort

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void abortWhileParkedInRunLosesNothing(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<String>channel(1);
                Notify n = new Notify();
                Semaphore sem = new Semaphore(0);
                AtomicReference<Throwable> seen = new AtomicReference<>();
                JoinHandle<String> s = Task.spawn(() -> {
                    try {
                        return Select.<String>create()
                            .recv(ch.receiver(), v -> "recv")
                            .notified(n, () -> "notified")
                            .acquire(sem, p -> "acquired")
                            .sleep(Duration.ofHours(1), () -> "slept")
                            .run();
                    } catch (Throwable t) {
                        seen.set(t);
                        throw t;
                    }
                });
                awaitWaiters(n, 1);
                awaitWaiters(sem, 1);
                abortAndAssertCancelled(s);
                assertThat(seen.get()).isInstanceOf(CancelledException.class);
                awaitWaiters(n, 0);
                awaitWaiters(sem, 0);
                ch.sender().send("m");
                assertThat(ch.receiver().tryRecv()).isEqualTo("m");
                n.notifyOne();
                assertThat(n.tryNotified()).isTrue();
                sem.addPermits(1);
                assertThat(sem.availablePermits()).isEqualTo(1);
                return null;
            });
        }
    }

    /**
     * Deterministic on one carrier: the select is aborted and then chosen by notifyOne before it runs;
     * it throws CancelledException and hands the notification on.
     */
    @Test
    void abortedSelectForwardsTheNotificationItWasGiven() {
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                var ch = Mpsc.<String>channel(1);
                AtomicReference<Throwable> seen = new AtomicReference<>();
                JoinHandle<String> s = Task.spawn(() -> {
                    try {
                        return Select.<String>create()
                            .notified(n, () -> "notified")
                            .recv(ch.receiver(), v -> "recv")
                            .run();
                    } catch (Throwable t) {
                        seen.set(t);
                        throw t;
                    }
                });
                awaitWaiters(n, 1);
                JoinHandle<Boolean> next = Task.spawn(() -> n.notified(LONG));
                awaitWaiters(n, 2);
                s.abort();
                n.notifyOne();
                // It was parked when aborted, so run() throws CancelledException; the notification it was
                // handed meanwhile goes on to the next waiter.
                assertCancelled(s);
                assertThat(seen.get()).isInstanceOf(CancelledException.class);
                assertThat(next.join(LONG)).as("the notification was forwarded").isTrue();
                assertThat(n.tryNotified()).isFalse();
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- the key test

    static Stream<Arguments> seedsAndFlavors() {
        long base = System.nanoTime();
        return Stream.of(
            Arguments.of(RuntimeFlavor.MULTI_THREAD, base),
            Arguments.of(RuntimeFlavor.MULTI_THREAD, base * 31 + 7),
            Arguments.of(RuntimeFlavor.CURRENT_THREAD, base * 17 + 3));
    }

    /**
     * Two producers send tens of thousands of numbered messages on two small channels while a consumer
     * loops on a Select over both channels, a Notify and a short sleep: every message arrives exactly once
     * and in order (no loss, no duplicate), whatever arm wins each time.
     */
    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("seedsAndFlavors")
    @Tag("stress")
    void everyMessageIsReceivedExactlyOnceThroughSelect(RuntimeFlavor flavor, long seed) {
        final int perProducer = 30_000;
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var a = Mpsc.<Integer>channel(16);
                var b = Mpsc.<Integer>channel(16);
                Notify n = new Notify();
                AtomicBoolean producing = new AtomicBoolean(true);
                AtomicLong notifications = new AtomicLong();
                JoinHandle<Void> pa = Task.spawn(() -> produce(a.sender(), perProducer, seed));
                JoinHandle<Void> pb = Task.spawn(() -> produce(b.sender(), perProducer, seed + 1));
                JoinHandle<Void> notifier = Task.spawn(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed + 2);
                    while (producing.get()) {
                        n.notifyOne();
                        notifications.incrementAndGet();
                        if (rnd.nextInt(4) == 0) {
                            WeftTesting.sleep(Duration.ofNanos(50_000));
                        } else {
                            Task.yieldNow();
                        }
                    }
                });

                int nextA = 0;
                int nextB = 0;
                boolean aEnded = false;
                boolean bEnded = false;
                int notifiedWins = 0;
                int sleepWins = 0;
                final int[] got = new int[2];
                while (!aEnded || !bEnded) {
                    Select<Integer> s = Select.create();
                    if (!aEnded) {
                        s.recv(a.receiver(), v -> {
                            got[0] = v == null ? -1 : v;
                            return 0;
                        });
                    }
                    if (!bEnded) {
                        s.recv(b.receiver(), v -> {
                            got[1] = v == null ? -1 : v;
                            return 1;
                        });
                    }
                    s.notified(n, () -> 2).sleep(Duration.ofMillis(1), () -> 3);
                    int arm = s.run();
                    switch (arm) {
                        case 0 -> {
                            if (got[0] < 0) {
                                aEnded = true;
                            } else {
                                assertThat(got[0]).as("seed %d: channel a, message %d", seed, nextA).isEqualTo(nextA);
                                nextA++;
                            }
                        }
                        case 1 -> {
                            if (got[1] < 0) {
                                bEnded = true;
                            } else {
                                assertThat(got[1]).as("seed %d: channel b, message %d", seed, nextB).isEqualTo(nextB);
                                nextB++;
                            }
                        }
                        case 2 -> notifiedWins++;
                        default -> sleepWins++;
                    }
                }
                producing.set(false);
                notifier.join(LONG);
                pa.join(LONG);
                pb.join(LONG);
                assertThat(nextA).as("seed %d: all of a", seed).isEqualTo(perProducer);
                assertThat(nextB).as("seed %d: all of b", seed).isEqualTo(perProducer);
                long sent = notifications.get();
                int stored = n.tryNotified() ? 1 : 0;
                assertThat((long) notifiedWins + stored).as("seed %d: notified arm wins (sleep arm won %d)", seed, sleepWins)
                    .isLessThanOrEqualTo(sent);
                assertThat(notifiedWins).as("seed %d: the notified arm did win sometimes", seed).isPositive();
                return null;
            });
        }
    }

    private static void produce(Mpsc.Sender<Integer> tx, int count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (tx) {
            int i = 0;
            while (i < count) {
                int burst = 1 + rnd.nextInt(40);
                for (int k = 0; k < burst && i < count; k++, i++) {
                    if (rnd.nextInt(8) == 0) {
                        // Mix the ways of sending.
                        while (tx.trySend(i) != Mpsc.TrySendResult.SENT) {
                            Task.yieldNow();
                        }
                    } else {
                        tx.send(i);
                    }
                }
                if (rnd.nextInt(16) == 0) {
                    WeftTesting.sleep(Duration.ofNanos(200_000)); // let the consumer park (and the sleep arm fire)
                }
            }
        }
    }

    // ---------------------------------------------------------------- cooperative budget

    /**
     * A task that keeps completing Weft calls without parking must still let a task it woke into its
     * carrier's LIFO slot run (Tokio's coop budget). On one carrier: A wakes B, then loops selecting on an
     * ended channel (always ready) until B sets the flag. Without the budget B would never run.
     */
    @Test
    void selectLoopOnAnEndedChannelLetsTheTaskItWokeRun() {
        org.junit.jupiter.api.Assumptions.assumeTrue(WeftTesting.weftScheduler(), "the coop budget is Weft's scheduler's");
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            long spins = rt.blockOn(() -> {
                var ended = Mpsc.<Integer>channel(1);
                ended.sender().close();
                Notify wake = new Notify();
                AtomicBoolean flag = new AtomicBoolean();
                JoinHandle<Void> b = Task.spawn(() -> {
                    wake.notified();
                    flag.set(true);
                });
                awaitWaiters(wake, 1);
                JoinHandle<Long> a = Task.spawn(() -> {
                    wake.notifyOne(); // B goes to this carrier's LIFO slot
                    long n = 0;
                    while (!flag.get() && n < 5_000_000) {
                        Select.<Integer>create().recv(ended.receiver(), v -> 0).run();
                        n++;
                    }
                    return n;
                });
                long n = a.join(LONG);
                b.join(LONG);
                return n;
            });
            assertThat(spins).as("B ran while A was still looping (after about one budget of calls)")
                .isLessThan(5_000_000);
        }
    }

    /**
     * The budget makes a task yield only when something else waits for its carrier: alone, a yield
     * would resume the same task at the price of an unmount and a mount. Counted with the carrier's
     * poll count (continuations run): 10 000 ready Weft calls, about 78 budgets, cost no extra polls.
     */
    @Test
    void theBudgetDoesNotYieldATaskThatIsAloneOnItsCarrier() {
        org.junit.jupiter.api.Assumptions.assumeTrue(WeftTesting.weftScheduler(), "the coop budget is Weft's scheduler's");
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            long before = rt.metrics().workerPollCount(0);
            rt.blockOn(() -> {
                var sem = new io.weft.sync.Semaphore(1);
                for (int i = 0; i < 10_000; i++) {
                    sem.acquire().close();
                }
                return null;
            });
            assertThat(rt.metrics().workerPollCount(0) - before).as("continuations run for one blockOn")
                .isLessThan(5);
        }
    }

    @Test
    void recvLoopOnAlwaysFullChannelLetsTheTaskItWokeRun() {
        org.junit.jupiter.api.Assumptions.assumeTrue(WeftTesting.weftScheduler(), "the coop budget is Weft's scheduler's");
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            long spins = rt.blockOn(() -> {
                var ch = Mpsc.<Integer>unboundedChannel();
                Notify wake = new Notify();
                AtomicBoolean flag = new AtomicBoolean();
                JoinHandle<Void> b = Task.spawn(() -> {
                    wake.notified();
                    flag.set(true);
                });
                awaitWaiters(wake, 1);
                JoinHandle<Long> a = Task.spawn(() -> {
                    ch.sender().send(0);
                    wake.notifyOne();
                    long n = 0;
                    while (!flag.get() && n < 5_000_000) {
                        ch.sender().send(ch.receiver().recv()); // always one message there
                        n++;
                    }
                    return n;
                });
                long n = a.join(LONG);
                b.join(LONG);
                return n;
            });
            assertThat(spins).isLessThan(5_000_000);
        }
    }
}
