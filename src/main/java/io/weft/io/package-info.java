/**
 * I/O utilities over Weft's sockets [Tokio: {@code io}, tokio-util {@code codec}].
 *
 * <p>{@link io.weft.io.DuplexChannel} is what a TCP or Unix stream offers: a parking
 * {@link java.nio.channels.ByteChannel} that can half-close.
 *
 * {@snippet :
 * DuplexChannel ch = TcpStream.connect(address);
 * ch.write(ByteBuffer.wrap(request));
 * ch.shutdownOutput();
 * }
 */
package io.weft.io;
