/**
 * The Weft runtime: carriers, the blocking pool, handles and metrics [Tokio: {@code tokio::runtime}].
 *
 * <h2>Which runtime to build</h2>
 * <ul>
 *   <li>{@link io.weft.runtime.Runtime#builder()}: the multi-thread runtime, one carrier per core by
 *       default, with work stealing. The right choice for servers and most programs.</li>
 *   <li>{@link io.weft.runtime.Runtime#builderCurrentThread()}: one carrier. No two tasks ever run in
 *       parallel, which makes tests deterministic and suits programs that must not use more than one
 *       core.</li>
 * </ul>
 *
 * {@snippet :
 * try (Runtime rt = Runtime.builder().workerThreads(2).build()) {
 *     String greeting = rt.blockOn(() -> Task.spawn(() -> "hello").join());
 *     System.out.println(greeting + " from " + rt.metrics().workerCount() + " carriers");
 * }
 * }
 *
 * <h2>How tasks run</h2>
 * Each task is a virtual thread whose continuations Weft's scheduler runs: a per-carrier local queue
 * with a LIFO slot for the task woken most recently, a global inject queue for work submitted from
 * outside, work stealing between carriers, and idle carriers that park without thundering herds
 * (see {@code docs/ARCHITECTURE.md}). This needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}
 * on the class path ({@code =io.weft} on the module path); without it Weft runs on the JDK default
 * scheduler, warns once, and {@link io.weft.runtime.Runtime#usesWeftScheduler()} is false.
 *
 * <h2>Blocking</h2>
 * Blocking-style calls (sockets, {@code Thread.sleep}, locks, Weft's own primitives) park the virtual
 * thread and free the carrier. Blocking file I/O, native calls and long class initialisers block the
 * carrier itself, and on a custom scheduler the JDK does not compensate: run them with
 * {@link io.weft.runtime.Runtime#spawnBlocking}. {@link io.weft.runtime.RuntimeMetrics#workerCurrentPollDuration(int)}
 * shows a carrier stuck in one continuation.
 */
package io.weft.runtime;
