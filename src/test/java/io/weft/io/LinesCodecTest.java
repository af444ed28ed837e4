package io.weft.io;

import static io.weft.io.IoTesting.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.io.IoTesting.ChunkedSource;
import io.weft.io.IoTesting.GeneratedSource;
import io.weft.io.IoTesting.RecordingSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.MalformedInputException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** LinesCodec, alone and in a Framed [tokio-util: tests/codecs.rs, lines_*]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LinesCodecTest {

    static ByteBuffer buf(String s) {
        return ByteBuffer.wrap(bytes(s));
    }

    /** All frames of {@code data} through a Framed whose source serves {@code chunk} bytes a read. */
    static List<String> readAll(byte[] data, int maxLength, int chunk) throws IOException {
        var framed = new Framed<>(IoTesting.byteChannel(new ChunkedSource(data, () -> chunk), new RecordingSink()),
            new LinesCodec(maxLength));
        List<String> out = new ArrayList<>();
        String line;
        while ((line = framed.readFrame()) != null) {
            out.add(line);
        }
        return out;
    }

    @Test
    void decodesLinesEndedByNewlineOrCrLf() throws IOException {
        var codec = new LinesCodec(100);
        var b = buf("line 1\nline 2\r\nline 3\n\r\n\r");
        assertThat(codec.decode(b)).isEqualTo("line 1");
        assertThat(codec.decode(b)).isEqualTo("line 2");
        assertThat(codec.decode(b)).isEqualTo("line 3");
        assertThat(codec.decode(b)).isEqualTo("");
        assertThat(codec.decode(b)).isNull();
        assertThat(codec.decodeEof(b)).isEqualTo(""); // the lone "\r" at the end
        assertThat(codec.decodeEof(b)).isNull();
        assertThat(b.hasRemaining()).isFalse();
    }

    @Test
    void aCarriageReturnInsideALineIsKept() throws IOException {
        assertThat(new LinesCodec(100).decode(buf("a\rb\n"))).isEqualTo("a\rb");
    }

    @Test
    void theLastLineNeedsNoNewline() throws IOException {
        assertThat(readAll(bytes("one\ntwo\nthree"), 100, 1)).containsExactly("one", "two", "three");
        assertThat(readAll(bytes("one\r\n"), 100, 1)).containsExactly("one");
        assertThat(readAll(bytes(""), 100, 1)).isEmpty();
        assertThat(readAll(bytes("\n"), 100, 1)).containsExactly("");
    }

    @Test
    void underrunThenTheRest() throws IOException {
        var codec = new LinesCodec(100);
        var b = ByteBuffer.allocate(64);
        b.put(bytes("hel")).flip();
        assertThat(codec.decode(b)).isNull();
        b.compact().put(bytes("lo\nwor")).flip();
        assertThat(codec.decode(b)).isEqualTo("hello");
        assertThat(codec.decode(b)).isNull();
        b.compact().put(bytes("ld\r\n")).flip();
        assertThat(codec.decode(b)).isEqualTo("world");
    }

    @Test
    void frameSplitAcrossReadsAndManyInOneRead() throws IOException {
        String text = "alpha\nbeta\r\ngamma\n\ndelta\n";
        List<String> expected = List.of("alpha", "beta", "gamma", "", "delta");
        for (int chunk : new int[] {1, 2, 3, 5, 7, 1000}) {
            assertThat(readAll(bytes(text), 10, chunk)).as("chunk %d", chunk).isEqualTo(expected);
        }
    }

    @Test
    void theLimitCountsBytesWithoutTheTerminator() throws IOException {
        assertThat(readAll(bytes("123456\n"), 6, 1)).containsExactly("123456");
        assertThat(readAll(bytes("123456\r\n"), 6, 1)).containsExactly("123456");
        assertThat(readAll(bytes("123456"), 6, 1)).containsExactly("123456");
        assertThat(readAll(bytes("123456\r"), 6, 1)).containsExactly("123456");
        assertThatThrownBy(() -> readAll(bytes("1234567\n"), 6, 1)).isInstanceOf(FrameTooLongException.class);
        assertThatThrownBy(() -> readAll(bytes("1234567"), 6, 1)).isInstanceOf(FrameTooLongException.class);
        assertThatThrownBy(() -> readAll(bytes("1234567\r\n"), 6, 100)).isInstanceOf(FrameTooLongException.class);
        // "é" is 2 bytes of UTF-8: the limit is in bytes
        assertThatThrownBy(() -> readAll(bytes("ééé\n"), 5, 100)).isInstanceOf(FrameTooLongException.class);
        assertThat(readAll(bytes("ééé\n"), 6, 100)).containsExactly("ééé");
    }

    /** An over-long line throws once, then is skipped up to its newline, and decoding goes on [lines_decoder_max_length]. */
    @Test
    void anOverLongLineIsReportedThenSkipped() throws IOException {
        for (int chunk : new int[] {1, 3, 1000}) {
            var framed = new Framed<>(IoTesting.byteChannel(
                new ChunkedSource(bytes("line 1 is too long\nline 2\nline 3\r\nline 4 too\nx"), () -> chunk),
                new RecordingSink()), new LinesCodec(6));
            assertThatThrownBy(framed::readFrame)
                .isInstanceOfSatisfying(FrameTooLongException.class, e -> {
                    assertThat(e.limit()).isEqualTo(6);
                    assertThat(e.length()).isEqualTo(-1);
                    assertThat(e).hasMessageContaining("longer than 6 bytes");
                });
            assertThat(framed.readFrame()).as("chunk %d", chunk).isEqualTo("line 2");
            assertThat(framed.readFrame()).isEqualTo("line 3");
            assertThatThrownBy(framed::readFrame).isInstanceOf(FrameTooLongException.class);
            assertThat(framed.readFrame()).isEqualTo("x");
            assertThat(framed.readFrame()).isNull();
        }
    }

    /** Decoding directly: the error comes as soon as the limit is passed, without a newline in sight. */
    @Test
    void theErrorComesBeforeTheNewline() throws IOException {
        var codec = new LinesCodec(4);
        var b = ByteBuffer.allocate(64);
        b.put(bytes("12345")).flip();
        assertThat(codec.decode(b)).isNull(); // 5 bytes: inside the window (4 bytes, "\r", "\n"), no verdict yet
        b.compact().put(bytes("6")).flip();
        assertThatThrownBy(() -> codec.decode(b)).isInstanceOf(FrameTooLongException.class);
        assertThat(b.hasRemaining()).isFalse(); // what was buffered is dropped
        b.compact().put(bytes("789\nok\n")).flip();
        assertThat(codec.decode(b)).isEqualTo("ok");
    }

    /** 100 MB without a newline through a 1 KiB limit: fails after a few KiB, and memory stays bounded throughout. */
    @Test
    void aHundredMegabyteLineFailsFastWithBoundedMemory() throws IOException {
        long huge = 100L << 20;
        var source = new GeneratedSource(huge, (byte) 'x', bytes("\nafter\n"));
        var framed = new Framed<>(IoTesting.byteChannel(source, new RecordingSink()), new LinesCodec(1024));
        long t0 = System.nanoTime();
        assertThatThrownBy(framed::readFrame).isInstanceOf(FrameTooLongException.class);
        assertThat(source.served).as("bytes read before the error").isLessThanOrEqualTo(1024 + 2 + Framed.READ_CHUNK);
        assertThat(framed.readCapacity()).isLessThanOrEqualTo(1024 + 2 + Framed.READ_CHUNK);
        assertThat(System.nanoTime() - t0).as("fails fast").isLessThan(2_000_000_000L);
        // Recovery: the rest of the line goes by without being kept.
        assertThat(framed.readFrame()).isEqualTo("after");
        assertThat(source.served).isEqualTo(huge + 7);
        assertThat(framed.readCapacity()).isLessThanOrEqualTo(1024 + 2 + Framed.READ_CHUNK);
        assertThat(framed.readFrame()).isNull();
    }

    @Test
    void multiByteCharactersSplitAcrossReads() throws IOException {
        String text = "héllo wörld ✓\n🎉 ünïcødé\n";
        assertThat(readAll(bytes(text), 100, 1)).containsExactly("héllo wörld ✓", "🎉 ünïcødé");
    }

    @Test
    void invalidUtf8IsAnErrorAndTheLineIsSkipped() throws IOException {
        byte[] data = {'o', 'k', '\n', (byte) 0xC3, (byte) 0x28, '\n', 'n', 'e', 'x', 't', '\n'};
        var framed = new Framed<>(IoTesting.byteChannel(ChunkedSource.bytewise(data), new RecordingSink()),
            new LinesCodec(100));
        assertThat(framed.readFrame()).isEqualTo("ok");
        assertThatThrownBy(framed::readFrame).isInstanceOf(MalformedInputException.class);
        assertThat(framed.readFrame()).isEqualTo("next");
        assertThat(framed.readFrame()).isNull();
    }

    @Test
    void encodesWithANewline() {
        var out = new ByteArrayOutputStream();
        var codec = new LinesCodec(10);
        codec.encode("hé", out);
        codec.encode("", out);
        assertThat(out.toByteArray()).isEqualTo(bytes("hé\n\n"));
        assertThat(codec.maxBufferedBytes()).isEqualTo(12);
        assertThat(new LinesCodec(Integer.MAX_VALUE).maxBufferedBytes()).isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> new LinesCodec(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(codec).hasToString("LinesCodec[maxLength=10]");
    }

    @Test
    void zeroMaxLengthAllowsOnlyEmptyLines() throws IOException {
        assertThat(readAll(bytes("\n\r\n"), 0, 1)).containsExactly("", "");
        assertThatThrownBy(() -> readAll(bytes("a\n"), 0, 1)).isInstanceOf(FrameTooLongException.class);
    }
}
