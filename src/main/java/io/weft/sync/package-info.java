/**
 * Channels and synchronisation primitives for tasks [Tokio: {@code tokio::sync}].
 *
 * <p>Every call that waits parks the calling virtual thread, never a carrier, and is a cancellation
 * point: a task aborted while parked in it throws {@link io.weft.task.CancelledException} and keeps
 * its interrupt status. Each type says under <em>Cancellation</em> what such an abort loses (for the
 * channels' receives: nothing) and under <em>Memory consistency effects</em> what it publishes.
 *
 * <h2>Message passing</h2>
 * <ul>
 *   <li>{@link io.weft.sync.Oneshot}: one value, one sender, one receiver; the reply to a request.</li>
 *   <li>{@link io.weft.sync.Mpsc}: a queue from many senders to one receiver, bounded (senders park
 *       when it is full) or unbounded; the work queue of a task.</li>
 *   <li>{@link io.weft.sync.Broadcast}: every value to every receiver, from a ring of the last
 *       {@code capacity} values; a slow receiver is told how many it missed
 *       ({@link io.weft.sync.LaggedException}) rather than slowing the senders down.</li>
 *   <li>{@link io.weft.sync.Watch}: only the latest value, and a way to wait until it changes;
 *       configuration, state, progress.</li>
 * </ul>
 *
 * {@snippet :
 * var config = Watch.channel(Config.defaults());
 * var events = Broadcast.<Event>channel(1024);
 * var jobs = Mpsc.<Job>channel(64);
 * }
 *
 * <h2>Synchronising state</h2>
 * <ul>
 *   <li>{@link io.weft.sync.Mutex} and {@link io.weft.sync.RwLock}: a value guarded across calls
 *       that park; FIFO-fair, and a queued writer holds back later readers.</li>
 *   <li>{@link io.weft.sync.Semaphore}: at most N at a time; FIFO-fair.</li>
 *   <li>{@link io.weft.sync.Notify}: wake one task or all of them, with one stored permit.</li>
 *   <li>{@link io.weft.sync.Barrier}: N tasks wait for each other, round after round.</li>
 *   <li>{@link io.weft.sync.OnceCell}: a value computed once, however many tasks ask at once.</li>
 *   <li>{@link io.weft.sync.CancellationToken}: tell a tree of tasks to stop [tokio-util].</li>
 * </ul>
 *
 * {@snippet :
 * var shutdown = new CancellationToken();
 * var cache = new Mutex<>(new HashMap<String, String>());
 * var db = new OnceCell<Connection>();
 * Task.spawn(() -> {
 *     while (!shutdown.isCancelled()) {
 *         var conn = db.getOrInit(() -> Connection.open(URL));
 *         try (var g = cache.lock()) {
 *             g.value().put("last", conn.query("select 1"));
 *         }
 *         shutdown.cancelled(Duration.ofSeconds(1));
 *     }
 *     return null;
 * });
 * }
 *
 * <p>Every channel factory returns a pair with {@code sender()} and {@code receiver()}; each side is
 * {@code AutoCloseable}, and closing is how it says it is done. Null is never a channel element. A
 * {@link io.weft.Select} can wait on receives, notifications, permits, token cancellation and
 * watch changes at once, taking something only in the arm that wins.
 */
package io.weft.sync;
