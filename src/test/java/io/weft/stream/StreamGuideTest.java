package io.weft.stream;

import static io.weft.stream.StreamTests.on;
import static org.assertj.core.api.Assertions.assertThat;

import io.weft.sync.Broadcast;
import io.weft.sync.LaggedException;
import io.weft.sync.Mpsc;
import io.weft.sync.Watch;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The examples of {@link Stream}'s and the package guide's Javadoc, run as written (with real types). */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class StreamGuideTest {

    @Test
    void streamClassExample() {
        List<Integer> squares = on(() -> {
            var ch = Mpsc.<Integer>channel(64);
            Task.spawn(() -> {
                try (var tx = ch.sender()) {
                    for (int i = 0; i < 100; i++) {
                        tx.send(i);
                    }
                } catch (io.weft.sync.SendException e) {
                    // take(5) closed the receiver: the producer stops here
                }
            });
            return ch.receiver().stream()
                .filter(i -> i % 2 == 0)
                .map(i -> i * i)
                .take(5)
                .toList();
        });
        assertThat(squares).containsExactly(0, 4, 16, 36, 64);
    }

    @Test
    void produceExample() {
        List<Integer> first = on(() -> {
            Stream<Integer> counter = Stream.produce(16, tx -> {
                for (int i = 0; ; i++) {
                    tx.send(i);
                }
            });
            return counter.take(3).toList();
        });
        assertThat(first).containsExactly(0, 1, 2);
    }

    @Test
    void broadcastLagExample() {
        List<String> log = on(() -> {
            var ch = Broadcast.<Integer>channel(2);
            var tx = ch.sender();
            var out = new ArrayList<String>();
            try (var s = ch.receiver().stream()) {
                for (int i = 0; i < 4; i++) {
                    tx.send(i);
                }
                tx.close();
                while (true) {
                    try {
                        var v = s.next();
                        if (v == null) {
                            break;
                        }
                        out.add("v" + v);
                    } catch (LaggedException e) {
                        out.add("missed " + e.skipped());
                    }
                }
            }
            return out;
        });
        assertThat(log).containsExactly("missed 2", "v2", "v3");
    }

    @Test
    void flowExampleBothWays() {
        List<String> got = on(() -> {
            var pub = new SubmissionPublisher<Integer>();
            Stream<Integer> s = Stream.fromPublisher(pub, 16);
            Flow.Publisher<String> out = s.map(String::valueOf).toPublisher();
            Stream<String> back = Stream.fromPublisher(out, 4);
            Task.spawn(() -> {
                for (int i = 0; i < 20; i++) {
                    pub.submit(i);
                }
                pub.close();
            });
            return back.toList();
        });
        assertThat(got).hasSize(20).startsWith("0", "1").endsWith("19");
    }

    @Test
    void watchAndZipExamples() {
        on(() -> {
            var ch = Watch.channel("starting");
            ch.sender().send("ready");
            ch.sender().close();
            assertThat(ch.receiver().stream().toList()).containsExactly("ready");
            assertThat(Stream.of("a", "b").zip(Stream.of(1, 2)).toList())
                .containsExactly(new Stream.Pair<>("a", 1), new Stream.Pair<>("b", 2));
            return null;
        });
    }
}
