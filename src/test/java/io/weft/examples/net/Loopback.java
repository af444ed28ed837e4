package io.weft.examples.net;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Test clients for the example servers: plain blocking {@code java.net} sockets on the JDK's own
 * threads, so the servers (on Weft) are driven by code that shares nothing with Weft.
 */
final class Loopback {
    private Loopback() {}

    /** Port 0 on the loopback interface. */
    static final InetSocketAddress ANY = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    /** How long a client read may block before the test fails instead of hanging. */
    static final int SO_TIMEOUT_MS = 20_000;

    /** A log that keeps the servers' lines, printed only if a test wants them. */
    static final class Log implements Consumer<String> {
        final CopyOnWriteArrayList<String> lines = new CopyOnWriteArrayList<>();

        @Override
        public void accept(String line) {
            lines.add(line);
        }

        boolean contains(String part) {
            return lines.stream().anyMatch(l -> l.contains(part));
        }
    }

    /** {@return a connected socket with a read timeout} */
    static Socket connect(InetSocketAddress address) throws IOException {
        return connect(address, 0);
    }

    /** {@return a connected socket with a read timeout and, if positive, a small receive buffer} */
    static Socket connect(InetSocketAddress address, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer); // before connect, so the window is small from the start
        }
        s.connect(address, SO_TIMEOUT_MS);
        s.setSoTimeout(SO_TIMEOUT_MS);
        return s;
    }

    /** Closes with {@code SO_LINGER 0}: the peer gets a reset, not an end of stream. */
    static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    /** {@return everything until end of stream} */
    static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        return all.toByteArray();
    }

    /**
     * Reads until the stream ends; true if it ended with end of stream, false if with a reset (after a
     * server closes a connection with bytes it never read, the kernel resets it).
     */
    static boolean drainToEnd(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try {
            while (in.read(buf) >= 0) {
                // discard
            }
            return true;
        } catch (SocketException e) {
            return false;
        }
    }

    /** Waits (at most 20 s) for a condition about the server's state, then fails with {@code what}. */
    static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    /** A line-oriented client (the chat server's). */
    static final class LineClient implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;

        LineClient(InetSocketAddress address) throws IOException {
            this(address, 0);
        }

        LineClient(InetSocketAddress address, int receiveBuffer) throws IOException {
            socket = connect(address, receiveBuffer);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8));
            out = socket.getOutputStream();
        }

        /** Sends one line. */
        void send(String line) throws IOException {
            out.write((line + "\n").getBytes(UTF_8));
            out.flush();
        }

        /** Sends raw bytes. */
        void sendRaw(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** {@return the next line, or null at end of stream} */
        String readLine() throws IOException {
            return in.readLine();
        }

        /** {@return the next line that is not a {@code ***} notice from the server} */
        String readMessage() throws IOException {
            String l;
            do {
                l = in.readLine();
            } while (l != null && l.startsWith("***"));
            return l;
        }

        /** Reads lines until one starts with {@code prefix}; fails at end of stream. */
        String readUntil(String prefix) throws IOException {
            String l;
            while ((l = in.readLine()) != null) {
                if (l.startsWith(prefix)) {
                    return l;
                }
            }
            return fail("end of stream before a line starting with " + prefix);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
