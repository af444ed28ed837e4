package io.weft.lincheck;

import io.weft.sync.ClosedException;
import io.weft.sync.Mpsc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import kotlin.Unit;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.DSLScenarioBuilder;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of {@link Mpsc}'s non-parking operations against a sequential FIFO queue (the
 * sequential specification is each scenario class run on one thread). The consumer side is always one
 * thread at a time ({@code nonParallelGroup = "consumer"}): Mpsc is single-consumer.
 *
 * <p>A bounded send's admission and its enqueue are one step (JCTools' {@code offerIfBelowThreshold},
 * one CAS of the producer index), so {@code trySend}'s FULL is exact with several producers too
 * ({@link ManyProducersFull}). (Before, a send took a capacity permit and then enqueued, as Tokio's
 * does, and two producers could observe the gap between the two.)
 */
@Tag("lincheck")
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public class MpscLincheckTest {

    /** One producer thread and one consumer thread on a channel of capacity 2: trySend FULL is exact. */
    @Param(name = "value", gen = IntGen.class, conf = "1:9")
    public static class Spsc {
        final Mpsc.Channel<Integer> ch = Mpsc.channel(2);

        @Operation(nonParallelGroup = "producer")
        public Mpsc.TrySendResult trySend(@Param(name = "value") int v) {
            return ch.sender().trySend(v);
        }

        /** The message, or null when empty (ClosedException once ended and drained). */
        @Operation(nonParallelGroup = "consumer")
        public Integer tryRecv() {
            return ch.receiver().tryRecv();
        }
    }

    /** Plus a send that queues behind the full channel's parked senders and gives up at once. */
    public static class SpscWithTimedOutSends extends Spsc {
        /** Returns "sent", or throws ElapsedException (full). */
        @Operation(nonParallelGroup = "producer")
        public String sendZeroTimeout(@Param(name = "value") int v) {
            ch.sender().sendTimeout(v, Duration.ZERO);
            return "sent";
        }
    }

    /**
     * Sends racing with {@code Receiver.close()}, checked by invariants rather than against a sequential
     * queue. A strict sequential specification is too strict here: a send that is in flight when the
     * receiver closes is refused (CLOSED) but, until it has settled, {@code tryRecv} reports "empty" (null)
     * rather than the end, which no sequential order explains, yet loses nothing (Tokio reports Empty
     * while its semaphore is not idle, too). What must hold: every message a sender was told SENT is
     * received exactly once, a refused one never is, and nothing arrives after {@code tryRecv} reported
     * the end (ClosedException). Several producers; one consumer at a time.
     */
    public static class ReceiverCloseLosesNothing {
        private static final int MAX = 64; // far more sends than a scenario makes
        private static final int SENT = 1;
        private static final int REFUSED = 2;
        final Mpsc.Channel<Integer> ch = Mpsc.channel(2);
        // Plain atomics only: Lincheck's model checker would take the loops of a concurrent collection
        // for a livelock.
        private final AtomicInteger nextValue = new AtomicInteger();
        private final AtomicIntegerArray outcome = new AtomicIntegerArray(MAX);
        private final AtomicIntegerArray receivedTimes = new AtomicIntegerArray(MAX);
        private volatile boolean endSeen;
        private volatile String violation;

        @Operation
        public void trySend() {
            int v = nextValue.incrementAndGet();
            switch (ch.sender().trySend(v)) {
                case SENT -> outcome.set(v, SENT);
                case CLOSED -> outcome.set(v, REFUSED);
                case FULL -> { }
            }
        }

        @Operation(nonParallelGroup = "consumer")
        public void tryRecv() {
            try {
                Integer v = ch.receiver().tryRecv();
                if (v != null) {
                    if (endSeen) {
                        violation = "message " + v + " received after tryRecv reported the end";
                    }
                    receivedTimes.incrementAndGet(v);
                }
            } catch (ClosedException e) {
                endSeen = true;
            }
        }

        @Operation(nonParallelGroup = "consumer")
        public void closeReceiver() {
            ch.receiver().close();
        }

        @Validate
        public void everySentMessageIsReceivedOnceAndNothingAfterTheEnd() {
            if (violation != null) {
                throw new IllegalStateException(violation);
            }
            ch.receiver().close(); // every send has returned: the channel must now drain and end
            for (int i = 0; ; i++) {
                Integer v;
                try {
                    v = ch.receiver().tryRecv();
                } catch (ClosedException e) {
                    break;
                }
                if (v == null || i > 2) {
                    throw new IllegalStateException("closed, no send in flight, yet not ended (got " + v + ")");
                }
                if (endSeen) {
                    throw new IllegalStateException("message " + v + " was still queued after tryRecv reported the end");
                }
                receivedTimes.incrementAndGet(v);
            }
            for (int v = 1; v < MAX; v++) {
                int times = receivedTimes.get(v);
                if (outcome.get(v) == SENT && times != 1) {
                    throw new IllegalStateException("message " + v + " was SENT but received " + times + " times");
                }
                if (outcome.get(v) != SENT && times != 0) {
                    throw new IllegalStateException("message " + v + " was not SENT (" + outcome.get(v)
                        + ") but received " + times + " times");
                }
            }
        }
    }

    /** Several producers on a channel of capacity 2, which they do fill: FULL is exact, FIFO holds. */
    @Param(name = "value", gen = IntGen.class, conf = "1:9")
    public static class ManyProducersFull {
        final Mpsc.Channel<Integer> ch = Mpsc.channel(2);

        @Operation
        public Mpsc.TrySendResult trySend(@Param(name = "value") int v) {
            return ch.sender().trySend(v);
        }

        @Operation(nonParallelGroup = "consumer")
        public Integer tryRecv() {
            return ch.receiver().tryRecv();
        }
    }

    /** Several producers on a channel they cannot fill (capacity 64): FIFO of what became visible. */
    @Param(name = "value", gen = IntGen.class, conf = "1:9")
    public static class ManyProducers {
        final Mpsc.Channel<Integer> ch = Mpsc.channel(64);

        @Operation
        public Mpsc.TrySendResult trySend(@Param(name = "value") int v) {
            return ch.sender().trySend(v);
        }

        @Operation(nonParallelGroup = "consumer")
        public Integer tryRecv() {
            return ch.receiver().tryRecv();
        }
    }

    /** One producer, one consumer, capacity 2; the producer also times out at once on a full channel. */
    @Test
    void spscWithTimedOutSendsModelChecking() {
        new ModelCheckingOptions().iterations(10).invocationsPerIteration(200).check(SpscWithTimedOutSends.class);
    }

    @Test
    void manyProducersModelChecking() {
        new ModelCheckingOptions().iterations(10).invocationsPerIteration(200).check(ManyProducers.class);
    }

    @Test
    void manyProducersOnAFullChannelModelChecking() {
        new ModelCheckingOptions().iterations(10).invocationsPerIteration(200).check(ManyProducersFull.class);
    }

    @Test
    void manyProducersStress() {
        new StressOptions().iterations(5).invocationsPerIteration(200).check(ManyProducers.class);
    }

    /**
     * Regression test: before 0e9e468 a trySend that had passed its rxClosed check was told SENT while
     * tryRecv had already reported the end (T1 {closeReceiver(); tryRecv(): ClosedException} || T2
     * {trySend: SENT}), so the message was lost to a receiver stopping at the end.
     */
    @Test
    void receiverCloseLosesNothingModelChecking() {
        new ModelCheckingOptions().iterations(8).invocationsPerIteration(200).minimizeFailedScenario(false)
            .addCustomScenario(closeWhileSending())
            .check(ReceiverCloseLosesNothing.class);
    }

    /** Always explored: the consumer closes and polls while a producer sends. */
    private static ExecutionScenario closeWhileSending() {
        DSLScenarioBuilder b = new DSLScenarioBuilder();
        b.parallel(p -> {
            p.thread(t -> {
                t.add(actor("closeReceiver"));
                t.add(actor("tryRecv"));
                t.add(actor("tryRecv"));
                return Unit.INSTANCE;
            });
            p.thread(t -> {
                t.add(actor("trySend"));
                t.add(actor("trySend"));
                return Unit.INSTANCE;
            });
            return Unit.INSTANCE;
        });
        return b.buildScenario();
    }

    private static Actor actor(String operation) {
        try {
            return new Actor(ReceiverCloseLosesNothing.class.getMethod(operation), List.of());
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }

    /** The settings of a thorough run (excluded by default: tag stress-long). */
    @Test
    @Tag("stress-long")
    void thorough() {
        new ModelCheckingOptions().iterations(20).invocationsPerIteration(1000).check(SpscWithTimedOutSends.class);
        new ModelCheckingOptions().iterations(20).invocationsPerIteration(1000).check(ManyProducers.class);
        new StressOptions().iterations(20).invocationsPerIteration(1000).check(ManyProducers.class);
        new ModelCheckingOptions().iterations(20).invocationsPerIteration(1000).check(ManyProducersFull.class);
        new StressOptions().iterations(20).invocationsPerIteration(1000).check(ManyProducersFull.class);
    }
}
