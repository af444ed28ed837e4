package io.weft.helidon;

import io.helidon.common.task.HelidonTaskExecutor;
import io.helidon.common.task.InterruptableTask;
import io.weft.internal.task.Bridge;
import io.weft.runtime.Handle;
import io.weft.task.JoinHandle;
import java.util.List;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The executors {@link HelidonHook} puts into a Helidon listener: each runs what Helidon hands it as a
 * Weft task, so connection and request code is a virtual thread of the runtime.
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: execute(work) = add an Entry to `live`; handle.spawn(body) where body runs the work and
 *   removes its Entry in a finally; a handle that is already cancelled means the runtime refused the
 *   spawn (it is shutting down): remove the Entry and throw RejectedExecutionException, which Helidon's
 *   accept loop answers by closing the socket and releasing its connection permit. The Entry's
 *   `started` flag tells that case from a task that ran and was aborted at once: a cancelled outcome
 *   is final only after the body ran or was skipped, so cancelled and not started means never run,
 *   and Helidon's handler never got to release the permit itself. A connection task aborted later but
 *   still before its body ran (shutdownNow, forceTerminate) is caught by a completion callback
 *   (`started` still false) and its handler is run by reap() on an interrupted platform thread, so it
 *   closes its socket: otherwise the client would wait on an open, unread connection for ever.
 *
 * State: RUNNING -> SHUTDOWN (no new work) -> TERMINATED (every Entry gone, or forced). Only these
 *   three values; `state` is volatile and written under CAS or by the one thread that stops the server.
 *
 * Liveness of `live`: an Entry leaves when its body ends. A task aborted before its body ran (the
 *   runtime's shutdownNow, or forceTerminate here) never runs the finally, so every wait also sweeps
 *   entries whose handle is finished. A handle is finished only after its body returned or threw, or
 *   when the body will never run, so the sweep never drops a running connection.
 *
 * Progress: execute is lock-free apart from ConcurrentHashMap's bin locks. The waits in terminate and
 *   awaitTermination poll with a backoff of 20 us doubling to 5 ms: they run once per server stop, on
 *   Helidon's stop threads, never on a carrier's hot path.
 * </pre>
 */
final class WeftExecutors {
    private WeftExecutors() {}

    static final int RUNNING = 0;
    static final int SHUTDOWN = 1;
    static final int TERMINATED = 2;

    private static final System.Logger LOGGER = System.getLogger(WeftWebServer.class.getName());

    /** One piece of work in flight. */
    static final class Entry {
        final InterruptableTask<?> interruptable; // null for the shared executor's plain runnables
        volatile JoinHandle<?> handle;            // set right after spawn; null only for an instant
        volatile boolean started;                 // the body began: written once, by the task

        Entry(InterruptableTask<?> interruptable) {
            this.interruptable = interruptable;
        }
    }

    /**
     * Runs a connection handler whose task was aborted before it started, so it releases what it owns:
     * on a platform thread with its interrupt status set, the handler's first channel operation closes
     * the socket (ClosedByInterruptException), and its own finally blocks release Helidon's connection
     * permit, as when Helidon's forceTerminate interrupts a connection thread. Only shutdown races get
     * here, so a thread each is cheap enough; a platform thread, because the caller may be a virtual
     * thread of a runtime that is stopping, whose scheduler a new virtual thread would inherit.
     */
    static void reap(InterruptableTask<?> task) {
        Thread.ofPlatform().daemon().name("weft-helidon-reaper").start(() -> {
            Thread.currentThread().interrupt();
            try {
                task.run();
            } catch (Throwable ignored) {
                // it ends the connection either way; there is no one to tell
            }
        });
    }

    /** What both executors share: spawning through the handle, tracking, and the waits. */
    abstract static class Tracker {
        final Handle handle;
        final String role;
        final Set<Entry> live = ConcurrentHashMap.newKeySet();
        volatile int state = RUNNING;

        Tracker(Handle handle, String role) {
            this.handle = handle;
            this.role = role;
        }

        final <T> JoinHandle<T> spawn(Callable<T> work, InterruptableTask<?> interruptable) {
            if (state != RUNNING) {
                throw new RejectedExecutionException(role + " is shut down");
            }
            Entry e = new Entry(interruptable);
            live.add(e);
            JoinHandle<T> h;
            try {
                h = spawnTracked(work, e);
            } catch (RuntimeException | Error failure) {
                live.remove(e); // no task was made (out of memory for a thread, say): Helidon closes the socket
                throw new RejectedExecutionException(role + " could not spawn a task", failure);
            }
            e.handle = h;
            if (h.isCancelled() && !e.started) {
                // The body never ran and never will: the runtime refused the spawn or aborted the task
                // before it started (it is shutting down). Helidon closes the socket itself.
                live.remove(e);
                throw new RejectedExecutionException("Weft runtime is shutting down; " + role + " takes no more work");
            }
            if (interruptable != null) {
                // Aborted from now on before its body ran (shutdownNow, forceTerminate), the task would
                // drop Helidon's handler, and with it the socket and the connection permit it owns.
                Bridge.taskOf(h).onDone(() -> {
                    if (!e.started) {
                        reap(interruptable);
                    }
                });
            }
            return h;
        }

        private <T> JoinHandle<T> spawnTracked(Callable<T> work, Entry e) {
            return handle.spawn(() -> {
                e.started = true;
                try {
                    return work.call();
                } catch (Throwable t) {
                    if (state == RUNNING && !handle.isShutdown()) {
                        // Helidon's own virtual threads log what escapes them; so do these.
                        LOGGER.log(System.Logger.Level.ERROR, "Uncaught exception in " + role + " task", t);
                    }
                    throw t;
                } finally {
                    live.remove(e);
                }
            });
        }

        /** Drops entries whose task has ended without running its body (see the class overview). */
        final void sweep() {
            live.removeIf(e -> {
                JoinHandle<?> h = e.handle;
                return h != null && h.isFinished();
            });
        }

        /** {@return true once nothing is in flight, false if the deadline passed first} */
        final boolean awaitEmpty(long deadline) {
            long backoff = 20_000;
            while (true) {
                sweep();
                if (live.isEmpty()) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, Math.min(left, backoff));
                backoff = Math.min(backoff * 2, 5_000_000);
                if (Thread.currentThread().isInterrupted()) {
                    return live.isEmpty();
                }
            }
        }

        final void abortAll() {
            for (Entry e : live) {
                JoinHandle<?> h = e.handle;
                if (h != null) {
                    h.abort();
                }
            }
        }

        /** {@return how many tasks are in flight (a snapshot)} */
        final int inFlight() {
            sweep();
            return live.size();
        }
    }

    /**
     * Replaces Helidon's {@code ThreadPerTaskExecutor} as a listener's reader executor: one Weft task
     * per accepted connection, which reads its requests and runs their handlers. Same contract as
     * Helidon's: {@code terminate} interrupts the tasks that say they may be interrupted (idle
     * connections) and waits for the rest; {@code forceTerminate} interrupts (aborts) them all.
     */
    static final class ConnectionExecutor extends Tracker implements HelidonTaskExecutor {
        private final HelidonHook.SocketAdopter adopter;

        ConnectionExecutor(Handle handle, String listener, HelidonHook.SocketAdopter adopter) {
            super(handle, "Helidon listener '" + listener + "' connection executor");
            this.adopter = adopter;
        }

        @Override
        public <T> Future<T> execute(InterruptableTask<T> task) {
            if (adopter == null) {
                return spawn(task, task);
            }
            return spawn(() -> {
                try {
                    adopter.adopt(task);
                } catch (java.io.IOException e) {
                    // the channel is closed: the handler's first read fails and it releases what it holds
                } catch (RuntimeException | Error e) {
                    // Never skip Helidon's handler: its finally releases the connection permit and closes
                    // the socket. adopt() left either the JDK channel or a closed one in place.
                    adopter.failed(e);
                }
                return task.call();
            }, task);
        }

        @Override
        public boolean isTerminated() {
            return state == TERMINATED;
        }

        @Override
        public boolean terminate(long timeout, TimeUnit unit) {
            if (state == TERMINATED) {
                return true;
            }
            state = SHUTDOWN;
            for (Entry e : live) {
                JoinHandle<?> h = e.handle;
                if (h != null && e.interruptable != null && e.interruptable.canInterrupt()) {
                    h.abort(); // an idle connection: interrupting its read closes the socket, as in Helidon
                }
            }
            if (awaitEmpty(System.nanoTime() + unit.toNanos(Math.max(0, timeout)))) {
                state = TERMINATED;
                return true;
            }
            return false;
        }

        @Override
        public void forceTerminate() {
            if (state == TERMINATED) {
                return;
            }
            if (state == RUNNING) {
                throw new IllegalArgumentException("Must call terminate(long, TimeUnit) first to attempt graceful termination");
            }
            state = TERMINATED;
            abortAll();
        }

        @Override
        public void close() {
            terminate(0, TimeUnit.SECONDS);
            forceTerminate();
        }
    }

    /**
     * Replaces a listener's shared executor (asynchronous writes, HTTP/2 streams, other helpers):
     * a thread-per-task {@code ExecutorService} whose threads are Weft tasks.
     */
    static final class SharedExecutor extends AbstractExecutorService {
        private final Tracker tracker;

        SharedExecutor(Handle handle, String listener) {
            this.tracker = new Tracker(handle, "Helidon listener '" + listener + "' shared executor") { };
        }

        Tracker tracker() {
            return tracker;
        }

        @Override
        public void execute(Runnable command) {
            tracker.spawn(() -> {
                command.run();
                return null;
            }, null);
        }

        @Override
        public void shutdown() {
            if (tracker.state == RUNNING) {
                tracker.state = SHUTDOWN;
            }
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown();
            tracker.abortAll();
            return List.of(); // every task was started at execute(): nothing waits in a queue
        }

        @Override
        public boolean isShutdown() {
            return tracker.state != RUNNING;
        }

        @Override
        public boolean isTerminated() {
            if (tracker.state == RUNNING) {
                return false;
            }
            tracker.sweep();
            return tracker.live.isEmpty();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return tracker.awaitEmpty(System.nanoTime() + unit.toNanos(Math.max(0, timeout)));
        }
    }
}
