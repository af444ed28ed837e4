/**
 * Weft's facade: {@link io.weft.Select} and the combinators of {@link io.weft.Weft}
 * [Tokio: {@code select!}, {@code join!}, {@code try_join!}].
 *
 * {@snippet :
 * String first = Select.<String>create()
 *     .recv(rx, msg -> "message " + msg)
 *     .sleep(Duration.ofSeconds(1), () -> "timeout")
 *     .run();
 * }
 */
package io.weft;
