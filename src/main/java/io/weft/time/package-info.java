/**
 * Time: deadlines and the exceptions of timed calls [Tokio: {@code tokio::time}].
 *
 * {@snippet :
 * try {
 *     String v = handle.join(Duration.ofSeconds(2));
 * } catch (ElapsedException e) {
 *     handle.abort();
 * }
 * }
 */
package io.weft.time;
