package io.weft.io;

import static io.weft.io.IoTesting.bytes;
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
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Framed [tokio-util: tests/framed.rs, framed_read.rs, framed_write.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FramedTest {

    /** A codec of single bytes; its decodeEof is the default. */
    static final class ByteCodec implements Codec<Byte> {
        @Override
        public Byte decode(ByteBuffer src) {
            return src.hasRemaining() ? src.get() : null;
        }

        @Override
        public void encode(Byte b, ByteArrayOutputStream dst) {
            dst.write(b);
        }
    }

    /** A codec of fixed 4-byte frames, using the default decodeEof. */
    static final class FourBytes implements Codec<String> {
        @Override
        public String decode(ByteBuffer src) {
            if (src.remaining() < 4) {
                return null;
            }
            byte[] b = new byte[4];
            src.get(b);
            return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
        }

        @Override
        public void encode(String s, ByteArrayOutputStream dst) {
            dst.writeBytes(bytes(s));
        }
    }

    static Framed<String> lines(byte[] in, RecordingSink out) {
        return new Framed<>(IoTesting.byteChannel(ChunkedSource.whole(in), out), new LinesCodec(1024));
    }

    @Test
    void writeFrameWritesEveryByteEvenThreeAtATime() throws IOException {
        var sink = new RecordingSink(3);
        var f = lines(new byte[0], sink);
        f.writeFrame("hello");
        f.writeFrame("world");
        assertThat(sink.toByteArray()).isEqualTo(bytes("hello\nworld\n"));
        assertThat(sink.writes).allMatch(n -> n <= 3);
        assertThat(f.writeBuffered()).isZero();
    }

    @Test
    void feedBuffersAndFlushWritesOnce() throws IOException {
        var sink = new RecordingSink();
        var f = lines(new byte[0], sink);
        for (int i = 0; i < 10; i++) {
            f.feed("line " + i);
        }
        assertThat(sink.writes).isEmpty();
        assertThat(f.writeBuffered()).isEqualTo(10 * 7);
        f.flush();
        assertThat(sink.writes).containsExactly(70);
        assertThat(f.writeBuffered()).isZero();
        f.flush(); // nothing pending: no write
        assertThat(sink.writes).hasSize(1);
    }

    @Test
    void feedWritesOnceTheHighWaterMarkIsReached() throws IOException {
        var sink = new RecordingSink();
        var f = lines(new byte[0], sink);
        String line = "x".repeat(999); // 1000 bytes with its newline
        for (int i = 0; i < 8; i++) {
            f.feed(line);
        }
        assertThat(sink.writes).isEmpty();
        f.feed(line); // 9000 >= 8192
        assertThat(sink.writes).containsExactly(9000);
        assertThat(f.writeBuffered()).isZero();
    }

    @Test
    void readFrameReturnsNullAtTheEndAndAfterwards() throws IOException {
        var f = lines(bytes("a\nb\n"), new RecordingSink());
        assertThat(f.readFrame()).isEqualTo("a");
        assertThat(f.readFrame()).isEqualTo("b");
        assertThat(f.readFrame()).isNull();
        assertThat(f.readFrame()).isNull();
    }

    @Test
    void theDefaultDecodeEofReportsAnIncompleteFrame() throws IOException {
        var f = new Framed<>(IoTesting.byteChannel(ChunkedSource.bytewise(bytes("abcdefg")), new RecordingSink()),
            new FourBytes());
        assertThat(f.readFrame()).isEqualTo("abcd");
        assertThatThrownBy(f::readFrame).isInstanceOf(EOFException.class)
            .hasMessageContaining("3 bytes left").hasMessageContaining("FourBytes");
        assertThat(f.readFrame()).isNull();
    }

    @Test
    void manySmallFramesInOneRead() throws IOException {
        byte[] data = IoTesting.randomBytes(100_000, 7);
        var f = new Framed<>(IoTesting.byteChannel(ChunkedSource.whole(data), new RecordingSink()), new ByteCodec());
        for (byte b : data) {
            assertThat(f.readFrame()).isEqualTo(b);
        }
        assertThat(f.readFrame()).isNull();
    }

    /** A codec that never finds a frame, but promises to need at most 100 bytes: Framed stops it at its bound. */
    @Test
    void aCodecThatBreaksItsBoundIsStoppedThere() {
        Codec<String> greedy = new Codec<>() {
            @Override
            public String decode(ByteBuffer src) {
                return null;
            }

            @Override
            public void encode(String s, ByteArrayOutputStream dst) {}

            @Override
            public int maxBufferedBytes() {
                return 100;
            }
        };
        var source = new IoTesting.GeneratedSource(1L << 30, (byte) 0, new byte[0]);
        var f = new Framed<>(IoTesting.byteChannel(source, new RecordingSink()), greedy);
        assertThatThrownBy(f::readFrame).isInstanceOfSatisfying(FrameTooLongException.class,
            e -> assertThat(e.limit()).isEqualTo(100));
        assertThat(f.readCapacity()).isLessThanOrEqualTo(100 + Framed.READ_CHUNK);
        assertThat(source.served).isLessThanOrEqualTo(100 + Framed.READ_CHUNK);
    }

    @Test
    void closeFlushesThenClosesTheChannel() throws IOException {
        var sink = new RecordingSink();
        var source = ChunkedSource.whole(new byte[0]);
        var f = new Framed<>(IoTesting.byteChannel(source, sink), new LinesCodec(10));
        f.feed("bye");
        f.close();
        assertThat(sink.toByteArray()).isEqualTo(bytes("bye\n"));
        assertThat(sink.open).isFalse();
        assertThat(source.open).isFalse();
        assertThat(f.codec()).isInstanceOf(LinesCodec.class);
        assertThat(f.channel().isOpen()).isFalse();
        assertThat(f.toString()).contains("LinesCodec").contains("writeBuffered=0");
    }

    /** An abort while readFrame is parked mid-frame loses nothing: the next readFrame returns the whole frame. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void readFrameIsCancelSafe(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            PipeEnd[] p = IoTesting.duplexPair(1024);
            var f = new Framed<>(p[1], new LengthDelimitedCodec(100));
            JoinHandle<byte[]> first = rt.spawn(f::readFrame);
            p[0].writeAll(new byte[] {0, 0, 0, 6, 'h', 'a', 'l'});
            WeftTesting.eventually(LONG, () -> f.readBuffered() == 3 && p[1].in.parkedReaders() == 1,
                () -> "reader never parked mid-frame: " + f);
            first.abort();
            assertThatThrownBy(() -> first.join(LONG))
                .isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
            JoinHandle<byte[]> second = rt.spawn(f::readFrame);
            p[0].writeAll(bytes("ves"));
            assertThat(second.join(LONG)).isEqualTo(bytes("halves"));
        }
    }

    /** An abort while writeFrame is parked keeps the unwritten rest pending; flush completes the frame. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void anAbortedWriteResumesOnFlush(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            PipeEnd[] p = IoTesting.duplexPair(10);
            var f = new Framed<>(p[0], new LinesCodec(1000));
            String line = "0123456789".repeat(10);
            JoinHandle<Void> w = rt.spawn(() -> {
                f.writeFrame(line);
                return null;
            });
            WeftTesting.eventually(LONG, () -> p[0].out.parked() == 1, () -> "writer never parked: " + f);
            w.abort();
            assertThatThrownBy(() -> w.join(LONG))
                .isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
            assertThat(f.writeBuffered()).isEqualTo(101 - 10);
            JoinHandle<byte[]> reader = rt.spawn(() -> p[1].readExactly(101));
            rt.blockOn(() -> {
                f.flush();
                return null;
            });
            assertThat(reader.join(LONG)).isEqualTo(bytes(line + "\n"));
        }
    }

    /** One task reads while another writes on the same Framed: an echo over a pipe pair. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void oneReaderAndOneWriterAtOnce(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            List<String> got = rt.blockOn(() -> {
                PipeEnd[] p = IoTesting.duplexPair(64);
                var client = new Framed<>(p[0], new LinesCodec(100));
                var server = new Framed<>(p[1], new LinesCodec(100));
                var echo = Task.spawn(() -> {
                    String l;
                    while ((l = server.readFrame()) != null) {
                        server.writeFrame("echo " + l);
                    }
                    p[1].shutdownOutput();
                    return null;
                });
                var sender = Task.spawn(() -> {
                    for (int i = 0; i < 500; i++) {
                        client.writeFrame("msg " + i);
                    }
                    p[0].shutdownOutput();
                    return null;
                });
                List<String> out = new ArrayList<>();
                String l;
                while ((l = client.readFrame()) != null) {
                    out.add(l);
                }
                sender.join(LONG);
                echo.join(LONG);
                return out;
            });
            assertThat(got).hasSize(500);
            for (int i = 0; i < 500; i++) {
                assertThat(got.get(i)).isEqualTo("echo msg " + i);
            }
        }
    }

    /** A line echo server over a loopback TCP connection. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void linesOverALoopbackSocket(RuntimeFlavor flavor) throws Exception {
        var ends = IoTesting.loopbackPair();
        try (Runtime rt = runtime(flavor); var clientCh = ends[0]; var serverCh = ends[1]) {
            List<String> got = rt.blockOn(() -> {
                var server = new Framed<>(serverCh, new LinesCodec(1 << 16));
                var client = new Framed<>(clientCh, new LinesCodec(1 << 16));
                Task.spawn(() -> {
                    String l;
                    while ((l = server.readFrame()) != null) {
                        server.writeFrame(l.toUpperCase());
                    }
                    serverCh.shutdownOutput();
                    return null;
                });
                Task.spawn(() -> {
                    for (int i = 0; i < 200; i++) {
                        client.feed("line " + i + " " + "é".repeat(i * 10));
                    }
                    client.flush();
                    clientCh.shutdownOutput();
                    return null;
                });
                List<String> out = new ArrayList<>();
                String l;
                while ((l = client.readFrame()) != null) {
                    out.add(l);
                }
                return out;
            });
            assertThat(got).hasSize(200);
            for (int i = 0; i < 200; i++) {
                assertThat(got.get(i)).isEqualTo(("line " + i + " " + "é".repeat(i * 10)).toUpperCase());
            }
        }
    }

    @Test
    @org.junit.jupiter.api.Tag(WeftTesting.CONTRACT)
    void framesAsAStream() {
        try (var rt = runtime(io.weft.runtime.RuntimeFlavor.MULTI_THREAD)) {
            java.util.List<String> got = rt.blockOn(() -> {
                var in = ChunkedSource.bytewise(bytes("alpha\n\nbeta\r\ngamma\n"));
                var framed = new Framed<>(IoTesting.byteChannel(in, new RecordingSink()), new LinesCodec(64));
                try (io.weft.stream.Stream<String> lines = framed.stream()) {
                    return lines.filter(l -> !l.isEmpty()).map(String::toUpperCase).toList();
                }
            });
            org.assertj.core.api.Assertions.assertThat(got).containsExactly("ALPHA", "BETA", "GAMMA");
        }
    }

    @Test
    @org.junit.jupiter.api.Tag(WeftTesting.CONTRACT)
    void closingTheStreamClosesTheChannel() {
        try (var rt = runtime(io.weft.runtime.RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                PipeEnd[] pair = IoTesting.duplexPair(64);
                var framed = new Framed<>(pair[0], new LinesCodec(64));
                pair[1].write(java.nio.ByteBuffer.wrap(bytes("one\n")));
                io.weft.stream.Stream<String> lines = framed.stream();
                org.assertj.core.api.Assertions.assertThat(lines.next()).isEqualTo("one");
                lines.close();
                org.assertj.core.api.Assertions.assertThat(pair[0].isOpen()).isFalse();
                return null;
            });
        }
    }
}
