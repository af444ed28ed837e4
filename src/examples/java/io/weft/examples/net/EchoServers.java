package io.weft.examples.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.weft.net.TcpListener;
import io.weft.net.TcpStream;
import io.weft.runtime.Runtime;
import io.weft.task.Task;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * The three echo servers the echo benchmark compares, each with two worker threads:
 * <ul>
 *   <li>{@code weft}: a task per connection on Weft's runtime, parked on Weft's reactor, reading into
 *       a 16 KiB direct buffer ({@code -Decho.heapBuffers=true} for a heap one);</li>
 *   <li>{@code weft-driver}: the same, with readiness polled only by the runtime's driver thread
 *       ({@code -Dweft.io.carrierPolling=false}), to measure what carrier polling buys;</li>
 *   <li>{@code jdk}: a virtual thread per connection on the JDK default scheduler with blocking
 *       {@code java.net} sockets, parked by the JDK's own poller;</li>
 *   <li>{@code netty}: Netty 4.2, NIO transport, two event loops.</li>
 * </ul>
 * Run as {@code EchoServers <impl> <port>}; it prints {@code listening on <port>} when ready.
 */
public final class EchoServers {
    private EchoServers() {}

    static final int WORKERS = Integer.getInteger("echo.workers", 2); // experiments: -Decho.workers=N

    /**
     * Starts one server and blocks.
     *
     * @param args impl, port (0 for any)
     * @throws Exception if it cannot start
     */
    public static void main(String[] args) throws Exception {
        String impl = args[0];
        int port = Integer.parseInt(args[1]);
        InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        switch (impl) {
            case "weft" -> weft(addr);
            case "weft-driver" -> {
                // Weft with readiness polled only by the driver thread, not by the carriers.
                System.setProperty("weft.io.carrierPolling", "false");
                weft(addr);
            }
            case "jdk" -> jdk(addr);
            case "netty" -> netty(addr);
            default -> throw new IllegalArgumentException("unknown server " + impl + " (weft, weft-driver, jdk, netty)");
        }
    }

    static void ready(int port) {
        System.out.println("listening on " + port);
        System.out.flush();
    }

    /** {@code -Decho.heapBuffers=true}: the Weft server reads into heap buffers instead of direct ones. */
    static final boolean HEAP_BUFFERS = Boolean.getBoolean("echo.heapBuffers");

    static void weft(InetSocketAddress addr) {
        Runtime.Builder b = Runtime.builder().workerThreads(WORKERS);
        // Tuning knobs for experiments: -Decho.eventInterval=N, -Decho.globalQueueInterval=N, -Decho.noLifo=true.
        Integer ei = Integer.getInteger("echo.eventInterval");
        if (ei != null) {
            b.eventInterval(ei);
        }
        Integer gi = Integer.getInteger("echo.globalQueueInterval");
        if (gi != null) {
            b.globalQueueInterval(gi);
        }
        if (Boolean.getBoolean("echo.noLifo")) {
            b.disableLifoSlot();
        }
        try (Runtime rt = b.build()) {
            String metricsFile = System.getProperty("echo.metricsFile");
            if (metricsFile != null) {
                dumpMetrics(rt, java.nio.file.Path.of(metricsFile));
            }
            rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(addr, 4096)) {
                    ready(((InetSocketAddress) listener.localAddress()).getPort());
                    while (true) {
                        TcpStream s = listener.accept();
                        s.noDelay(true);
                        Task.spawn(() -> {
                            try (s) {
                                // Direct, as a Weft server would use: a heap buffer costs a copy
                                // through the JDK's temporary direct buffer on every read and write.
                                ByteBuffer buf = HEAP_BUFFERS ? ByteBuffer.allocate(16 * 1024)
                                    : ByteBuffer.allocateDirect(16 * 1024);
                                while (s.read(buf.clear()) >= 0) {
                                    s.writeAll(buf.flip());
                                }
                            } catch (IOException e) {
                                // a client went away: the others go on
                            }
                            return null;
                        });
                    }
                }
            });
        }
    }

    /**
     * Experiments: {@code -Decho.metricsFile=PATH} appends the runtime's counters, per second, to PATH:
     * where wake-ups came from (remote schedules go through the inject queue) and what carriers did.
     */
    static void dumpMetrics(Runtime rt, java.nio.file.Path file) {
        Thread.ofPlatform().daemon().name("echo-metrics").start(() -> {
            var m = rt.metrics();
            long[] last = new long[4 + 3 * m.workerCount()];
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                long[] now = new long[last.length];
                now[0] = m.remoteScheduleCount();
                now[1] = m.ioDriverReadyCount();
                now[2] = m.spawnedTasks();
                now[3] = 0;
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < m.workerCount(); i++) {
                    now[4 + 3 * i] = m.workerPollCount(i);
                    now[5 + 3 * i] = m.workerParkCount(i);
                    now[6 + 3 * i] = m.workerStealCount(i);
                }
                line.append("remote=").append(now[0] - last[0]).append(" ready=").append(now[1] - last[1]);
                for (int i = 0; i < m.workerCount(); i++) {
                    line.append(" w").append(i).append(" polls=").append(now[4 + 3 * i] - last[4 + 3 * i])
                        .append(" parks=").append(now[5 + 3 * i] - last[5 + 3 * i])
                        .append(" steals=").append(now[6 + 3 * i] - last[6 + 3 * i]);
                }
                last = now;
                try {
                    java.nio.file.Files.writeString(file, line + "\n", java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    static void jdk(InetSocketAddress addr) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(addr, 4096);
            ready(server.getLocalPort());
            while (true) {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                Thread.ofVirtual().start(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        byte[] buf = new byte[16 * 1024];
                        int n;
                        while ((n = in.read(buf)) >= 0) {
                            out.write(buf, 0, n);
                        }
                    } catch (IOException e) {
                        // a client went away
                    }
                });
            }
        }
    }

    static void netty(InetSocketAddress addr) throws InterruptedException {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(WORKERS, NioIoHandler.newFactory());
        try {
            var ch = new ServerBootstrap().group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ctx.write(msg);
                            }

                            @Override
                            public void channelReadComplete(ChannelHandlerContext ctx) {
                                ctx.flush();
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                })
                .bind(addr).sync().channel();
            ready(((InetSocketAddress) ch.localAddress()).getPort());
            ch.closeFuture().sync();
        } finally {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
        }
    }
}
