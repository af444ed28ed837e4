package io.weft.io;

import static io.weft.io.IoTesting.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.io.IoTesting.ChunkedSource;
import io.weft.io.IoTesting.RecordingSink;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** LengthDelimitedCodec [tokio-util: tests/length_delimited.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LengthDelimitedCodecTest {

    static Framed<byte[]> framed(byte[] data, int chunk, LengthDelimitedCodec codec) {
        return new Framed<>(IoTesting.byteChannel(new ChunkedSource(data, () -> chunk), new RecordingSink()), codec);
    }

    static List<String> readAll(Framed<byte[]> f) throws IOException {
        List<String> out = new ArrayList<>();
        byte[] b;
        while ((b = f.readFrame()) != null) {
            out.add(new String(b, java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        var out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void readsEmptyAndSingleFrames() throws IOException {
        byte[] data = concat(new byte[] {0, 0, 0, 0}, new byte[] {0, 0, 0, 9}, bytes("abcdefghi"));
        assertThat(readAll(framed(data, 1000, new LengthDelimitedCodec(100)))).containsExactly("", "abcdefghi");
    }

    @Test
    void manyFramesInOneReadAndFramesSplitAcrossReads() throws IOException {
        var enc = new ByteArrayOutputStream();
        var codec = new LengthDelimitedCodec(1000);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String s = "frame-" + i + "-" + "x".repeat(i * 7);
            expected.add(s);
            codec.encode(bytes(s), enc);
        }
        for (int chunk : new int[] {1, 2, 3, 4, 5, 13, 100_000}) {
            assertThat(readAll(framed(enc.toByteArray(), chunk, new LengthDelimitedCodec(1000))))
                .as("chunk %d", chunk).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,BIG_ENDIAN", "2,BIG_ENDIAN", "3,BIG_ENDIAN", "4,LITTLE_ENDIAN", "8,BIG_ENDIAN", "8,LITTLE_ENDIAN", "2,LITTLE_ENDIAN"})
    void headerSizesAndByteOrders(int fieldLength, String order) throws IOException {
        ByteOrder bo = order.equals("BIG_ENDIAN") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        var codec = LengthDelimitedCodec.builder().lengthFieldLength(fieldLength).byteOrder(bo).maxFrameLength(300).build();
        var out = new ByteArrayOutputStream();
        byte[] body = IoTesting.randomBytes(fieldLength == 1 ? 255 : 300, fieldLength);
        codec.encode(body, out);
        byte[] wire = out.toByteArray();
        assertThat(wire).hasSize(fieldLength + body.length);
        byte[] header = java.util.Arrays.copyOf(wire, fieldLength);
        if (bo == ByteOrder.LITTLE_ENDIAN) {
            for (int i = 0; i < fieldLength / 2; i++) {
                byte t = header[i];
                header[i] = header[fieldLength - 1 - i];
                header[fieldLength - 1 - i] = t;
            }
        }
        assertThat(new java.math.BigInteger(1, header).longValueExact()).isEqualTo(body.length);
        var decoder = LengthDelimitedCodec.builder().lengthFieldLength(fieldLength).byteOrder(bo).maxFrameLength(300).build();
        var f = framed(wire, 3, decoder);
        assertThat(f.readFrame()).isEqualTo(body);
        assertThat(f.readFrame()).isNull();
    }

    @Test
    void exactBytesOfTheDefaultHeader() throws IOException {
        var out = new ByteArrayOutputStream();
        new LengthDelimitedCodec(1 << 20).encode(new byte[0x010203], out);
        assertThat(out.toByteArray()).startsWith(0, 1, 2, 3).hasSize(4 + 0x010203);
        var le = new ByteArrayOutputStream();
        LengthDelimitedCodec.builder().byteOrder(ByteOrder.LITTLE_ENDIAN).build().encode(new byte[0x0102], le);
        assertThat(le.toByteArray()).startsWith(2, 1, 0, 0);
    }

    /** A header announcing a gigabyte is refused at once, before any body is read or allocated. */
    @Test
    void anOverLongLengthIsRejectedBeforeAllocating() {
        byte[] data = concat(new byte[] {0x40, 0, 0, 0}, new byte[100]); // 1 GiB announced
        var source = new ChunkedSource(data, () -> 4);
        var f = new Framed<>(IoTesting.byteChannel(source, new RecordingSink()), new LengthDelimitedCodec(1024));
        assertThatThrownBy(f::readFrame).isInstanceOfSatisfying(FrameTooLongException.class, e -> {
            assertThat(e.limit()).isEqualTo(1024);
            assertThat(e.length()).isEqualTo(1L << 30);
            assertThat(e).hasMessageContaining("1073741824 bytes announced").hasMessageContaining("limit of 1024");
        });
        assertThat(source.consumed()).isEqualTo(4);
        assertThat(f.readCapacity()).isLessThanOrEqualTo(Framed.READ_CHUNK);
    }

    /** After rejecting a frame, its body is skipped as it arrives and the next frame comes through. */
    @Test
    void theRejectedBodyIsSkipped() throws IOException {
        for (int chunk : new int[] {1, 7, 100_000}) {
            byte[] data = concat(new byte[] {0, 0, 0x07, (byte) 0xD0}, new byte[2000], new byte[] {0, 0, 0, 2}, bytes("ok"));
            var f = framed(data, chunk, new LengthDelimitedCodec(1000));
            assertThatThrownBy(f::readFrame).isInstanceOfSatisfying(FrameTooLongException.class,
                e -> assertThat(e.length()).isEqualTo(2000));
            assertThat(f.readFrame()).as("chunk %d", chunk).isEqualTo(bytes("ok"));
            assertThat(f.readFrame()).isNull();
        }
    }

    @Test
    void anEightByteLengthAboveLongMaxIsRejected() {
        var codec = LengthDelimitedCodec.builder().lengthFieldLength(8).build();
        var b = ByteBuffer.wrap(new byte[] {(byte) 0xFF, 0, 0, 0, 0, 0, 0, 1, 1, 2});
        assertThatThrownBy(() -> codec.decode(b)).isInstanceOfSatisfying(FrameTooLongException.class,
            e -> assertThat(e).hasMessageContaining(Long.toUnsignedString(0xFF00000000000001L)));
    }

    @Test
    void endOfStreamInsideAFrameIsAnError() throws IOException {
        var midBody = framed(concat(new byte[] {0, 0, 0, 5}, bytes("ab")), 1, new LengthDelimitedCodec(100));
        assertThatThrownBy(midBody::readFrame).isInstanceOf(EOFException.class).hasMessageContaining("3 of its bytes are missing");
        assertThat(midBody.readFrame()).isNull();

        var midHeader = framed(concat(new byte[] {0, 0, 0, 1}, bytes("x"), new byte[] {0, 0}), 1, new LengthDelimitedCodec(100));
        assertThat(midHeader.readFrame()).isEqualTo(bytes("x"));
        assertThatThrownBy(midHeader::readFrame).isInstanceOf(EOFException.class).hasMessageContaining("header");
        assertThat(midHeader.readFrame()).isNull();

        var justHeader = framed(new byte[] {0, 0, 0, 1}, 100, new LengthDelimitedCodec(100));
        assertThatThrownBy(justHeader::readFrame).isInstanceOf(EOFException.class);
    }

    @Test
    void encodingAFrameOverTheLimitWritesNothing() throws IOException {
        var sink = new RecordingSink();
        var f = new Framed<>(IoTesting.byteChannel(ChunkedSource.whole(new byte[0]), sink), new LengthDelimitedCodec(10));
        assertThatThrownBy(() -> f.writeFrame(new byte[11])).isInstanceOfSatisfying(FrameTooLongException.class, e -> {
            assertThat(e.length()).isEqualTo(11);
            assertThat(e.limit()).isEqualTo(10);
        });
        assertThat(f.writeBuffered()).isZero();
        f.writeFrame(bytes("fine"));
        assertThat(sink.toByteArray()).isEqualTo(concat(new byte[] {0, 0, 0, 4}, bytes("fine")));
    }

    @Test
    void builderValidatesAndCapsTheLimitToTheField() {
        assertThat(LengthDelimitedCodec.builder().lengthFieldLength(1).build().maxFrameLength()).isEqualTo(255);
        assertThat(LengthDelimitedCodec.builder().lengthFieldLength(2).build().maxFrameLength()).isEqualTo(65_535);
        assertThat(LengthDelimitedCodec.builder().build().maxFrameLength()).isEqualTo(8 << 20);
        assertThat(new LengthDelimitedCodec(100).maxBufferedBytes()).isEqualTo(104);
        assertThat(new LengthDelimitedCodec(Integer.MAX_VALUE).maxBufferedBytes()).isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> LengthDelimitedCodec.builder().lengthFieldLength(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthDelimitedCodec.builder().lengthFieldLength(9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LengthDelimitedCodec(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new LengthDelimitedCodec(100))
            .hasToString("LengthDelimitedCodec[lengthFieldLength=4, byteOrder=BIG_ENDIAN, maxFrameLength=100]");
    }

    /** A 5 MB frame arriving in small reads: the buffer grows to fit it, not beyond the bound. */
    @Test
    void aLargeFrameGrowsTheBufferWithinTheBound() throws IOException {
        byte[] body = IoTesting.randomBytes(5 << 20, 9);
        var out = new ByteArrayOutputStream();
        var codec = new LengthDelimitedCodec(6 << 20);
        codec.encode(body, out);
        var f = framed(out.toByteArray(), 64 * 1024, new LengthDelimitedCodec(6 << 20));
        assertThat(f.readFrame()).isEqualTo(body);
        assertThat(f.readCapacity()).isLessThanOrEqualTo(codec.maxBufferedBytes() + Framed.READ_CHUNK);
        assertThat(f.readFrame()).isNull();
    }
}
