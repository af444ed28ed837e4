package io.weft.task;

import static io.weft.testing.WeftTesting.eventually;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.testing.WeftTesting;
import io.weft.time.ElapsedException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link JoinHandle}: join, timed join, and the whole {@link Future} contract [Tokio: task::JoinHandle]. */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class JoinHandleTest {

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinReturnsTheValueAgainAndAgain(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            JoinHandle<String> h = rt.spawn(() -> "v");
            assertThat(h.join()).isEqualTo("v");
            assertThat(h.join()).isEqualTo("v");
            assertThat(h.get()).isEqualTo("v");
            assertThat(h.get(1, TimeUnit.SECONDS)).isEqualTo("v");
            assertThat(h.join(Duration.ofSeconds(1))).isEqualTo("v");
            assertThat(h.isFinished()).isTrue();
            assertThat(h.isDone()).isTrue();
            assertThat(h.isCancelled()).isFalse();
            assertThat(h.state()).isEqualTo(Future.State.SUCCESS);
            assertThat(h.resultNow()).isEqualTo("v");
            assertThatThrownBy(h::exceptionNow).isInstanceOf(IllegalStateException.class);
            assertThat(h.abortHandle().isFinished()).isTrue();
            assertThat(h.toString()).contains("completed");
            // Joined from another task too.
            assertThat(rt.blockOn(() -> h.join())).isEqualTo("v");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void failureIsAJoinExceptionAndAnExecutionException(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            IOException io = new IOException("disk");
            JoinHandle<Object> h = rt.spawn(() -> { throw io; });
            assertThatThrownBy(h::join).isInstanceOfSatisfying(JoinException.class, e -> {
                assertThat(e.isFailed()).isTrue();
                assertThat(e.isCancelled()).isFalse();
                assertThat(e.getCause()).isSameAs(io);
                assertThat(e.id()).isEqualTo(h.id());
            });
            assertThatThrownBy(h::get).isInstanceOf(ExecutionException.class).cause().isSameAs(io);
            assertThatThrownBy(() -> h.get(1, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isSameAs(io);
            assertThat(h.state()).isEqualTo(Future.State.FAILED);
            assertThat(h.exceptionNow()).isSameAs(io);
            assertThat(h.isCancelled()).isFalse();
            assertThat(h.isDone()).isTrue();
            assertThat(h.cancel(true)).as("cancel after completion").isFalse();
            assertThat(h.state()).isEqualTo(Future.State.FAILED);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void timedWaitsTimeOutAndTheTaskCarriesOn(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch release = new CountDownLatch(1);
            JoinHandle<Integer> h = rt.spawn(() -> {
                release.await();
                return 3;
            });
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> h.join(Duration.ofMillis(50))).isInstanceOf(ElapsedException.class);
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
            assertThatThrownBy(() -> h.get(20, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            assertThatThrownBy(() -> h.get(0, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            assertThatThrownBy(() -> h.join(Duration.ZERO)).isInstanceOf(ElapsedException.class);
            // The same from inside a task.
            assertThatThrownBy(() -> rt.blockOn(() -> h.join(Duration.ofMillis(20))))
                .isInstanceOf(ElapsedException.class);
            assertThat(h.state()).isEqualTo(Future.State.RUNNING);
            assertThat(h.isDone()).isFalse();
            assertThatThrownBy(h::resultNow).isInstanceOf(IllegalStateException.class);
            release.countDown();
            assertThat(h.join()).isEqualTo(3);
            // A huge timeout means "forever", not an overflow.
            assertThat(h.join(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(3);
            assertThat(h.get(Long.MAX_VALUE, TimeUnit.DAYS)).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void cancelFollowsTheFutureContract(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch started = new CountDownLatch(1);
            AtomicBoolean interrupted = new AtomicBoolean();
            CountDownLatch unwound = new CountDownLatch(1);
            JoinHandle<Integer> h = rt.spawn(() -> {
                started.countDown();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    interrupted.set(true);
                } finally {
                    unwound.countDown();
                }
                return 1;
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(h.cancel(true)).isTrue();
            // Cancelled at once, whatever the body does afterwards.
            assertThat(h.isCancelled()).isTrue();
            assertThat(h.isDone()).isTrue();
            assertThat(h.state()).isEqualTo(Future.State.CANCELLED);
            assertThatThrownBy(h::get).isInstanceOf(CancellationException.class);
            assertThatThrownBy(() -> h.get(1, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
            assertThatThrownBy(h::join).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
            assertThat(h.cancel(true)).as("second cancel").isFalse();
            assertThat(h.cancel(false)).isFalse();
            assertThat(unwound.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(interrupted).as("cancel(true) interrupts the task").isTrue();
            // The body returned 1 after the cancel: the outcome stays cancelled.
            eventually(Duration.ofSeconds(5), () -> rt.metrics().aliveTasks() == 0, rt.metrics()::toString);
            assertThat(h.isCancelled()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void cancelWithoutInterruptLeavesTheBodyRunning(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean finishedNormally = new AtomicBoolean();
            JoinHandle<Integer> h = rt.spawn(() -> {
                started.countDown();
                release.await();
                finishedNormally.set(true);
                return 1;
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(h.cancel(false)).isTrue();
            assertThat(h.isCancelled()).isTrue();
            release.countDown();
            eventually(Duration.ofSeconds(5), finishedNormally::get, () -> "body ran to the end");
            assertThat(h.isCancelled()).isTrue();
            assertThatThrownBy(h::get).isInstanceOf(CancellationException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void cancelAfterCompletionReturnsFalse(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            JoinHandle<Integer> h = rt.spawn(() -> 5);
            assertThat(h.join()).isEqualTo(5);
            assertThat(h.cancel(true)).isFalse();
            assertThat(h.isCancelled()).isFalse();
            assertThat(h.get()).isEqualTo(5);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void getFromAnInterruptedPlatformThreadThrowsInterruptedExceptionAndClearsTheStatus(RuntimeFlavor flavor)
            throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch release = new CountDownLatch(1);
            JoinHandle<Integer> h = rt.spawn(() -> {
                release.await();
                return 1;
            });
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean statusAfter = new AtomicBoolean(true);
            CountDownLatch waiting = new CountDownLatch(1);
            Thread waiter = Thread.ofPlatform().start(() -> {
                waiting.countDown();
                try {
                    h.get();
                } catch (Throwable t) {
                    thrown.set(t);
                }
                statusAfter.set(Thread.currentThread().isInterrupted());
            });
            assertThat(waiting.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(20);
            waiter.interrupt();
            waiter.join(5_000);
            assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
            assertThat(statusAfter).as("interrupt status cleared, as Future.get does").isFalse();
            release.countDown();
            assertThat(h.get()).isEqualTo(1);

            // Already interrupted before the call: the same.
            Thread.currentThread().interrupt();
            JoinHandle<Integer> slow = rt.spawn(() -> {
                Thread.sleep(60_000);
                return 0;
            });
            try {
                assertThatThrownBy(() -> slow.get(10, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
            } finally {
                Thread.interrupted();
                slow.abort();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinInAnInterruptedPlatformThreadThrowsCancelledAndKeepsTheStatus(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            JoinHandle<Integer> slow = rt.spawn(() -> {
                Thread.sleep(60_000);
                return 0;
            });
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(slow::join).isInstanceOf(CancelledException.class);
                assertThat(Thread.currentThread().isInterrupted()).as("join keeps the interrupt status").isTrue();
            } finally {
                Thread.interrupted();
                slow.abort();
            }
            assertThatThrownBy(slow::join).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void toCompletableFutureCarriesEveryOutcome(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            assertThat(rt.spawn(() -> "cf").toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo("cf");

            IllegalStateException ise = new IllegalStateException("x");
            CompletableFuture<Object> failed = rt.spawn(() -> { throw ise; }).toCompletableFuture();
            assertThatThrownBy(() -> failed.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isSameAs(ise);

            CountDownLatch never = new CountDownLatch(1);
            JoinHandle<Object> h = rt.spawn(() -> {
                never.await();
                return null;
            });
            CompletableFuture<Object> cf = h.toCompletableFuture();
            assertThat(cf).isNotDone();
            // Cancelling the CompletableFuture does not abort the task.
            CompletableFuture<Object> other = h.toCompletableFuture();
            other.cancel(true);
            Thread.sleep(20);
            assertThat(h.isDone()).isFalse();
            h.abort();
            assertThatThrownBy(() -> cf.get(5, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
            assertThat(cf.isCancelled()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinHandleIsTheSameObjectForTheSameTaskAndAbortHandleShowsFinish(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch release = new CountDownLatch(1);
            JoinHandle<Integer> h = rt.spawn(() -> {
                release.await();
                return 1;
            });
            AbortHandle ah = h.abortHandle();
            assertThat(ah.id()).isEqualTo(h.id());
            assertThat(ah.isFinished()).isFalse();
            assertThat(h.isFinished()).isFalse();
            assertThat(ah.toString()).contains(h.id().toString());
            release.countDown();
            h.join();
            assertThat(ah.isFinished()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinersAreAllWokenWhenTheTaskEnds(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch release = new CountDownLatch(1);
            JoinHandle<Integer> h = rt.spawn(() -> {
                release.await();
                return 11;
            });
            int joiners = 50;
            JoinHandle<Integer>[] js = newArray(joiners);
            for (int i = 0; i < joiners; i++) {
                js[i] = rt.spawn(() -> h.join());
            }
            Thread platformJoiner = Thread.ofPlatform().start(() -> assertThat(h.join()).isEqualTo(11));
            Thread.sleep(20);
            release.countDown();
            for (JoinHandle<Integer> j : js) {
                assertThat(j.join(Duration.ofSeconds(5))).isEqualTo(11);
            }
            platformJoiner.join(5_000);
            assertThat(platformJoiner.isAlive()).isFalse();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> JoinHandle<T>[] newArray(int n) {
        return (JoinHandle<T>[]) new JoinHandle<?>[n];
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinSeesEverythingTheTaskWrote(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            for (int round = 0; round < 200; round++) {
                int[] plain = new int[8];
                JoinHandle<Void> h = rt.spawn(() -> {
                    for (int i = 0; i < plain.length; i++) {
                        plain[i] = i + 1;
                    }
                });
                h.join();
                assertThat(plain).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
            }
        }
    }
}
