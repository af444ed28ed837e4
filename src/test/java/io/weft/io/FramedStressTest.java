package io.weft.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.weft.io.IoTesting.ChunkedSource;
import io.weft.io.IoTesting.RecordingSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random frame streams cut into random reads decode to the frames that were encoded. The seed is
 * printed and can be fixed with {@code -Dweft.test.seed=N}.
 */
@Tag("stress")
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FramedStressTest {

    static long seed() {
        Long fixed = Long.getLong("weft.test.seed");
        return fixed != null ? fixed : System.nanoTime();
    }

    @Test
    void lengthDelimitedUnderRandomChunking() throws IOException {
        long seed = seed();
        System.out.println("FramedStressTest.lengthDelimitedUnderRandomChunking seed=" + seed);
        Random rnd = new Random(seed);
        for (int round = 0; round < 600; round++) {
            int fieldLength = 1 + rnd.nextInt(8);
            int max = fieldLength == 1 ? 255 : 3000;
            var codec = LengthDelimitedCodec.builder().lengthFieldLength(fieldLength).maxFrameLength(max).build();
            List<byte[]> frames = new ArrayList<>();
            var wire = new ByteArrayOutputStream();
            int n = rnd.nextInt(100);
            for (int i = 0; i < n; i++) {
                byte[] f = new byte[rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(max + 1)];
                rnd.nextBytes(f);
                frames.add(f);
                codec.encode(f, wire);
            }
            int maxChunk = 1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 20_000);
            var framed = new Framed<>(IoTesting.byteChannel(ChunkedSource.random(wire.toByteArray(), rnd, maxChunk),
                new RecordingSink()), LengthDelimitedCodec.builder().lengthFieldLength(fieldLength).maxFrameLength(max).build());
            for (int i = 0; i < n; i++) {
                byte[] got = framed.readFrame();
                assertThat(got).as("seed %d round %d frame %d", seed, round, i).isEqualTo(frames.get(i));
            }
            assertThat(framed.readFrame()).as("seed %d round %d: end", seed, round).isNull();
            assertThat(framed.readCapacity()).isLessThanOrEqualTo(max + fieldLength + Framed.READ_CHUNK);
        }
    }

    @Test
    void linesUnderRandomChunkingWithOverLongLines() throws IOException {
        long seed = seed();
        System.out.println("FramedStressTest.linesUnderRandomChunkingWithOverLongLines seed=" + seed);
        Random rnd = new Random(seed);
        String alphabet = "abcxyz \ré✓🎉";
        int[] cps = alphabet.codePoints().toArray();
        for (int round = 0; round < 600; round++) {
            int max = 1 + rnd.nextInt(200);
            var wire = new StringBuilder();
            List<String> expected = new ArrayList<>(); // "!" stands for a FrameTooLongException
            int n = rnd.nextInt(60);
            for (int i = 0; i < n; i++) {
                var line = new StringBuilder();
                int len = rnd.nextInt(max + max / 4 + 2);
                for (int j = 0; j < len; j++) {
                    line.appendCodePoint(cps[rnd.nextInt(cps.length)]);
                }
                String s = line.toString();
                boolean crlf = rnd.nextBoolean();
                wire.append(s).append(crlf ? "\r\n" : "\n");
                String content = crlf ? s : (s.endsWith("\r") ? s.substring(0, s.length() - 1) : s);
                int bytes = content.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                expected.add(bytes > max ? "!" : content);
            }
            byte[] data = wire.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int maxChunk = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 5000);
            var framed = new Framed<>(IoTesting.byteChannel(ChunkedSource.random(data, rnd, maxChunk), new RecordingSink()),
                new LinesCodec(max));
            List<String> got = new ArrayList<>();
            for (;;) {
                try {
                    String l = framed.readFrame();
                    if (l == null) {
                        break;
                    }
                    got.add(l);
                } catch (FrameTooLongException e) {
                    got.add("!");
                }
                assertThat(framed.readCapacity()).isLessThanOrEqualTo(max + 2 + Framed.READ_CHUNK);
            }
            assertThat(got).as("seed %d round %d max %d lines %s", seed, round, max, Arrays.toString(expected.toArray()))
                .isEqualTo(expected);
        }
    }
}
