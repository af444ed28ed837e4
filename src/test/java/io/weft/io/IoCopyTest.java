package io.weft.io;

import static io.weft.io.IoTesting.bytes;
import static io.weft.io.IoTesting.randomBytes;
import static io.weft.testing.SyncProbes.LONG;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.io.IoTesting.ChunkedSource;
import io.weft.io.IoTesting.PipeEnd;
import io.weft.io.IoTesting.RecordingSink;
import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Io.copy [Tokio: tests/io_copy.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IoCopyTest {

    @Test
    void copiesEveryByteAndReturnsTheCount() throws IOException {
        byte[] data = randomBytes(100_000, 1);
        var sink = new RecordingSink();
        long n = Io.copy(ChunkedSource.whole(data), sink);
        assertThat(n).isEqualTo(data.length);
        assertThat(sink.toByteArray()).isEqualTo(data);
    }

    @Test
    void emptySourceCopiesNothing() throws IOException {
        var sink = new RecordingSink();
        assertThat(Io.copy(ChunkedSource.whole(new byte[0]), sink)).isZero();
        assertThat(sink.writes).isEmpty();
    }

    @Test
    void oneBytePerReadAndThreeBytesPerWrite() throws IOException {
        byte[] data = randomBytes(20_000, 2);
        var source = ChunkedSource.bytewise(data);
        var sink = new RecordingSink(3);
        assertThat(Io.copy(source, sink)).isEqualTo(data.length);
        assertThat(sink.toByteArray()).isEqualTo(data);
        assertThat(source.reads).isEqualTo(data.length + 1); // the last read sees the end
    }

    @Test
    void copiesThroughACallerBuffer() throws IOException {
        byte[] data = randomBytes(50_000, 3);
        var sink = new RecordingSink();
        var buf = ByteBuffer.allocateDirect(7);
        assertThat(Io.copy(ChunkedSource.whole(data), sink, buf)).isEqualTo(data.length);
        assertThat(sink.toByteArray()).isEqualTo(data);
        assertThat(sink.writes).allMatch(w -> w <= 7);
    }

    @Test
    void rejectsUselessBuffersAndNonBlockingChannels() throws IOException {
        var src = ChunkedSource.whole(new byte[1]);
        var sink = new RecordingSink();
        assertThatThrownBy(() -> Io.copy(src, sink, ByteBuffer.allocate(0)))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Io.copy(src, sink, ByteBuffer.allocate(8).asReadOnlyBuffer()))
            .isInstanceOf(IllegalArgumentException.class);
        try (SocketChannel nb = SocketChannel.open()) {
            nb.configureBlocking(false);
            assertThatThrownBy(() -> Io.copy(nb, sink))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("non-blocking");
        }
    }

    @Test
    void aReadErrorPropagates() {
        ReadableByteChannel failing = new ReadableByteChannel() {
            int calls;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (calls++ < 3) {
                    dst.put((byte) 1);
                    return 1;
                }
                throw new IOException("boom");
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {}
        };
        var sink = new RecordingSink();
        assertThatThrownBy(() -> Io.copy(failing, sink)).isInstanceOf(IOException.class).hasMessage("boom");
        assertThat(sink.toByteArray()).hasSize(3);
    }

    @Test
    void aWriteErrorPropagates() {
        var sink = new RecordingSink(100);
        sink.failAfter = 1000;
        assertThatThrownBy(() -> Io.copy(ChunkedSource.whole(new byte[10_000]), sink))
            .isInstanceOf(IOException.class).hasMessageContaining("sink failed");
    }

    /** A producer task writes into a small pipe that the copying task drains: both park in turn. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void copiesFromAPipeBetweenTasks(RuntimeFlavor flavor) {
        byte[] data = randomBytes(1 << 20, 4);
        try (Runtime rt = runtime(flavor)) {
            byte[] got = rt.blockOn(() -> {
                PipeEnd[] p = IoTesting.duplexPair(1000);
                JoinHandle<Void> producer = Task.spawn(() -> {
                    try {
                        p[0].writeAll(data);
                        p[0].shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                var sink = new RecordingSink();
                long n = Io.copy(p[1], sink);
                producer.join();
                assertThat(n).isEqualTo(data.length);
                return sink.toByteArray();
            });
            assertThat(got).isEqualTo(data);
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void copiesOverALoopbackSocket() throws Exception {
        byte[] data = randomBytes(3 << 20, 5);
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            var ends = IoTesting.loopbackPair();
            try (var a = ends[0]; var b = ends[1]) {
                var sink = new RecordingSink();
                long n = rt.blockOn(() -> {
                    Task.spawn(() -> {
                        Io.copy(ChunkedSource.whole(data), a);
                        a.shutdownOutput();
                        return null;
                    });
                    return Io.copy(b, sink);
                });
                assertThat(n).isEqualTo(data.length);
                assertThat(sink.toByteArray()).isEqualTo(data);
            }
        }
    }

    @Test
    void worksOutsideARuntime() throws Exception {
        AtomicReference<Long> n = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                n.set(Io.copy(ChunkedSource.whole(bytes("plain thread")), new RecordingSink()));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        t.join();
        assertThat(n.get()).isEqualTo(12);
    }

    /** An abort while the copy is parked in the source's read ends the task as cancelled; the pipe lost nothing. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void abortWhileParkedInRead(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            PipeEnd[] p = IoTesting.duplexPair(64);
            var sink = new RecordingSink();
            JoinHandle<Long> copy = rt.spawn(() -> Io.copy(p[1], sink));
            p[0].writeAll(bytes("abc"));
            WeftTesting.eventually(LONG, () -> sink.bytes.size() == 3 && p[1].in.parkedReaders() == 1,
                () -> "copy never parked after 3 bytes");
            copy.abort();
            assertThatThrownBy(() -> copy.join(LONG))
                .isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
            p[0].writeAll(bytes("def"));
            p[0].shutdownOutput();
            assertThat(p[1].readAll()).isEqualTo(bytes("def"));
        }
    }
}
