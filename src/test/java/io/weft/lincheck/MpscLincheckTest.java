package io.weft.lincheck;

import io.weft.sync.Mpsc;
import java.time.Duration;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of {@link Mpsc}'s non-parking operations against a sequential FIFO queue (the
 * sequential specification is each scenario class run on one thread). The consumer side is always one
 * thread at a time ({@code nonParallelGroup = "consumer"}): Mpsc is single-consumer.
 *
 * <p>What is, and is not, linearizable. A bounded send takes a capacity permit and then enqueues, as
 * Tokio's does; between the two the slot is reserved but the message not yet visible. With two
 * producers this is observable and by design: producer B holds a permit, producer A sees FULL, the
 * consumer takes one, A sends and the consumer takes A's message before B's (no sequential FIFO of
 * capacity 2 explains it; Tokio behaves the same). So capacity is checked with one producer thread
 * ({@link Spsc}, {@code nonParallelGroup = "producer"}), and several producers are checked on a channel
 * they cannot fill ({@link ManyProducers}).
 */
@Tag("lincheck")
@Timeout(120)
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

    /** Plus a send that queues on the full channel's capacity semaphore and gives up at once. */
    public static class SpscWithTimedOutSends extends Spsc {
        /** Returns "sent", or throws ElapsedException (full). */
        @Operation(nonParallelGroup = "producer")
        public String sendZeroTimeout(@Param(name = "value") int v) {
            ch.sender().sendTimeout(v, Duration.ZERO);
            return "sent";
        }
    }

    /** Plus the consumer closing the receiver: later sends report CLOSED; what was sent drains. */
    public static class SpscWithReceiverClose extends Spsc {
        @Operation(nonParallelGroup = "consumer")
        public void closeReceiver() {
            ch.receiver().close();
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

    @Test
    void spscModelChecking() {
        new ModelCheckingOptions().iterations(10).invocationsPerIteration(200).check(Spsc.class);
    }

    @Test
    void spscWithTimedOutSendsModelChecking() {
        new ModelCheckingOptions().iterations(10).invocationsPerIteration(200).check(SpscWithTimedOutSends.class);
    }

    @Test
    void manyProducersModelChecking() {
        new ModelCheckingOptions().iterations(10).invocationsPerIteration(200).check(ManyProducers.class);
    }

    @Test
    void manyProducersStress() {
        new StressOptions().iterations(5).invocationsPerIteration(200).check(ManyProducers.class);
    }

    @Test
    void spscWithReceiverCloseModelChecking() {
        new ModelCheckingOptions().iterations(30).invocationsPerIteration(500).check(SpscWithReceiverClose.class);
    }

    /** The settings of a thorough run (excluded by default: tag stress-long). */
    @Test
    @Tag("stress-long")
    void thorough() {
        new ModelCheckingOptions().iterations(20).invocationsPerIteration(1000).check(SpscWithTimedOutSends.class);
        new ModelCheckingOptions().iterations(20).invocationsPerIteration(1000).check(ManyProducers.class);
        new StressOptions().iterations(20).invocationsPerIteration(1000).check(ManyProducers.class);
    }
}
