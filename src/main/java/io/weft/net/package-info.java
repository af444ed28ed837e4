/**
 * Sockets whose blocking-style calls park the calling virtual thread on Weft's reactor [Tokio: {@code net}].
 *
 * <p>Pick by what you talk to: {@link io.weft.net.TcpListener} and {@link io.weft.net.TcpStream} for
 * TCP, {@link io.weft.net.UdpSocket} for datagrams, {@link io.weft.net.UnixListener} and
 * {@link io.weft.net.UnixStream} for Unix domain sockets on the same machine. Every call looks like
 * ordinary blocking Java; while it waits, the virtual thread is parked and its carrier runs other tasks.
 *
 * {@snippet :
 * try (var rt = Runtime.builder().build()) {
 *     rt.blockOn(() -> {
 *         try (TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 7000))) {
 *             while (true) {
 *                 TcpStream stream = listener.accept();
 *                 Task.spawn(() -> {              // one task per connection
 *                     try (stream) {
 *                         Io.copy(stream, stream); // echo until the client closes
 *                     }
 *                     return null;
 *                 });
 *             }
 *         }
 *     });
 * }
 * }
 *
 * <h2>How it works</h2>
 * Each runtime has one NIO selector, polled by the thread that also drives its timers. A read that
 * would block records the task as the socket's reader, arms read interest and parks; when the
 * selector reports the socket readable, the driver unparks the task, which reads. See
 * {@code docs/ARCHITECTURE.md}.
 *
 * <h2>Cancellation and timeouts</h2>
 * Reads, accepts and receives are cancel-safe: an aborted task, or a {@code Time.timeout} around
 * the call, leaves the socket open and loses no data. Per-stream read and write timeouts
 * ({@link io.weft.net.TcpStream#readTimeout(java.time.Duration)}) throw
 * {@link java.net.SocketTimeoutException} and also leave the stream usable.
 */
package io.weft.net;
