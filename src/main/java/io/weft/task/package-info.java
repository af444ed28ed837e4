/**
 * Tasks: spawning, joining, aborting and structuring them [Tokio: {@code tokio::task}].
 *
 * <h2>Which to use</h2>
 * <ul>
 *   <li>{@link io.weft.task.Task#spawn} and {@link io.weft.task.JoinHandle}: start one task and wait
 *       for its value; {@link io.weft.task.JoinHandle#abort()} cancels it.</li>
 *   <li>{@link io.weft.task.JoinSet}: many tasks of one kind, joined as they finish; closing the set
 *       aborts the rest.</li>
 *   <li>{@link io.weft.task.Task#scope()}: forks that must not outlive a block; the first failure
 *       aborts the siblings.</li>
 *   <li>{@link io.weft.task.Task#spawnBlocking}: code that blocks a thread (file I/O, JNI).</li>
 *   <li>{@link io.weft.task.Task#yieldNow()}: let other tasks run during a long computation.</li>
 * </ul>
 *
 * {@snippet :
 * try (var set = new JoinSet<String>()) {
 *     for (String url : urls) set.spawn(() -> fetch(url));
 *     String first = set.joinNext();  // the fastest
 *     set.abortAll();                 // the rest are cancelled
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * Aborting a task interrupts its virtual thread. The Weft call it is parked in (a join, a yield, a
 * channel receive) throws {@link io.weft.task.CancelledException} and the interrupt status is kept, so
 * the task unwinds through its {@code finally} blocks and its handle reports
 * {@link io.weft.task.JoinException#isCancelled()}. A task that has already finished keeps its value.
 *
 * <h2>Failures</h2>
 * A task's exception never reaches a carrier: its {@link io.weft.task.JoinHandle} holds it and
 * {@code join()} throws {@link io.weft.task.JoinException} with it as the cause.
 */
package io.weft.task;
