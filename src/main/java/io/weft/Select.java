package io.weft;

import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Parker;
import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.SyncArms;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.internal.task.Bridge;
import io.weft.internal.task.TaskImpl;
import io.weft.internal.task.WaitStack;
import io.weft.internal.time.Sleeps;
import io.weft.internal.time.TimeDriver;
import io.weft.sync.Broadcast;
import io.weft.sync.CancellationToken;
import io.weft.sync.Mpsc;
import io.weft.sync.Notify;
import io.weft.sync.Oneshot;
import io.weft.sync.Semaphore;
import io.weft.sync.Watch;
import io.weft.task.JoinHandle;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Waits on several things at once and runs the arm of the first one ready [Tokio: {@code select!}].
 *
 * <p>Arms: a channel receive, a task's end, a sleep or deadline, a {@link Notify}, semaphore permits.
 * {@link #run()} parks until one arm is ready, then returns what that arm's function makes of it.
 * Arms are checked in a random order each time, so no arm starves the others; {@link #biased()}
 * checks them in the order they were added.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var commands = Mpsc.<String>channel(16);
 * var shutdown = new Notify();
 * while (true) {
 *     String action = Select.<String>create()
 *         .recv(commands.receiver(), cmd -> cmd == null ? "closed" : "run " + cmd)
 *         .notified(shutdown, () -> "stop")
 *         .sleep(Duration.ofSeconds(1), () -> "tick")
 *         .run();
 *     if (action.equals("stop") || action.equals("closed")) break;
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * Cancel-safe by construction: only the winning arm takes anything. A message stays in its channel
 * unless its arm wins; a {@code notifyOne} notification or semaphore permits that reached a losing
 * arm are handed on to the next waiter. If the selecting task is aborted while parked, {@code run}
 * throws {@link io.weft.task.CancelledException} and every arm loses nothing.
 *
 * <h2>Memory consistency effects</h2>
 * Those of the winning arm's source: for a channel, the send happens-before {@code run} returns its
 * message; for a task, its actions happen-before; for a {@code Notify}, the notify happens-before.
 *
 * @param <R> what {@link #run()} returns
 */
public final class Select<R> {
    /*
     * Implementation overview
     *
     * Algorithm (the try / register / re-check / park protocol of io.weft.internal.sync.SelectArm):
     *   poll every arm in order (random rotation unless biased); if none is ready, make one Parker,
     *   register a Waiter on it with every source, poll again, and park until the first source claims
     *   the parker or the earliest sleep deadline passes. Then deregister everywhere, poll again
     *   (the claimed arm may use what it was handed), and forward an unused hand-over. Sources never
     *   hand over a message on claim; a channel arm takes its message in poll, on this thread, only
     *   when it wins.
     */
    private interface Arm<R> {
        SelectArm source(); // null for sleep arms

        boolean poll(Waiter claimed);

        R result();
    }

    private final List<Arm<R>> arms = new ArrayList<>();
    private final List<SleepArm<R>> sleeps = new ArrayList<>();
    private boolean biased;

    private Select() {}

    /**
     * {@return a new, empty select}
     *
     * {@snippet :
     * var s = Select.<String>create();
     * }
     *
     * @param <R> what {@link #run()} returns
     */
    public static <R> Select<R> create() {
        return new Select<>();
    }

    /**
     * Checks arms in the order they were added instead of a random order [Tokio: {@code biased;}].
     *
     * {@snippet :
     * Select.<String>create().biased().recv(urgent, v -> v).recv(normal, v -> v).run();
     * }
     *
     * @return this select
     */
    public Select<R> biased() {
        this.biased = true;
        return this;
    }

    /**
     * Adds an arm that receives from an mpsc channel; {@code f} gets the message, or null if the
     * channel has ended.
     *
     * {@snippet :
     * select.recv(rx, msg -> "got " + msg);
     * }
     *
     * @param rx the receiver
     * @param f makes the result from the message
     * @param <T> the message type
     * @return this select
     */
    public <T> Select<R> recv(Mpsc.Receiver<T> rx, Function<? super T, ? extends R> f) {
        return channelArm(rx, f);
    }

    /**
     * Adds an arm that receives from a oneshot channel; {@code f} gets the value, or null if the
     * sender closed without sending.
     *
     * {@snippet :
     * select.recv(reply, v -> v);
     * }
     *
     * @param rx the receiver
     * @param f makes the result from the value
     * @param <T> the value type
     * @return this select
     */
    public <T> Select<R> recv(Oneshot.Receiver<T> rx, Function<? super T, ? extends R> f) {
        return channelArm(rx, f);
    }

    /**
     * Adds an arm that receives from a broadcast channel; {@code f} gets the value, or null if the
     * channel has ended. If the receiver lagged, {@link #run()} throws
     * {@link io.weft.sync.LaggedException} (and the receiver resumes at the oldest kept value).
     *
     * {@snippet :
     * select.recv(events, e -> "event " + e);
     * }
     *
     * @param rx the receiver
     * @param f makes the result from the value
     * @param <T> the value type
     * @return this select
     */
    public <T> Select<R> recv(Broadcast.Receiver<T> rx, Function<? super T, ? extends R> f) {
        return channelArm(rx, f);
    }

    /**
     * Adds an arm ready when a watch receiver sees a value newer than the last it saw; {@code f} gets
     * the new value (the receiver marks it seen). If the sender has closed and nothing new is there,
     * {@link #run()} throws {@link io.weft.sync.ClosedException}.
     *
     * {@snippet :
     * select.changed(config, cfg -> "reload " + cfg);
     * }
     *
     * @param rx the watch receiver
     * @param f makes the result from the new value
     * @param <T> the value type
     * @return this select
     */
    public <T> Select<R> changed(Watch.Receiver<T> rx, Function<? super T, ? extends R> f) {
        Objects.requireNonNull(rx, "receiver");
        Objects.requireNonNull(f, "function");
        SelectArm src = SyncArms.get().changed(rx);
        arms.add(new SourceArm<>(src, () -> f.apply(rx.borrowAndUpdate())));
        return this;
    }

    @SuppressWarnings("unchecked")
    private <T> Select<R> channelArm(Object rx, Function<? super T, ? extends R> f) {
        Objects.requireNonNull(rx, "receiver");
        Objects.requireNonNull(f, "function");
        Object[] out = new Object[1];
        SelectArm src = SyncArms.get().recv(rx, out);
        arms.add(new SourceArm<>(src, () -> f.apply((T) out[0])));
        return this;
    }

    /**
     * Adds an arm ready when the task ends; {@code f} gets its value. If the task failed or was
     * cancelled, {@link #run()} throws its {@link io.weft.task.JoinException}.
     *
     * {@snippet :
     * select.join(worker, v -> "worker finished with " + v);
     * }
     *
     * @param handle the task
     * @param f makes the result from the task's value
     * @param <T> the task's result type
     * @return this select
     */
    public <T> Select<R> join(JoinHandle<T> handle, Function<? super T, ? extends R> f) {
        Objects.requireNonNull(f, "function");
        @SuppressWarnings("unchecked")
        TaskImpl<T> task = (TaskImpl<T>) Bridge.taskOf(Objects.requireNonNull(handle, "handle"));
        arms.add(new JoinArm<>(task, f));
        return this;
    }

    /**
     * Adds an arm ready once {@code duration} has passed since {@link #run()} began.
     *
     * {@snippet :
     * select.sleep(Duration.ofMillis(500), () -> "timeout");
     * }
     *
     * @param duration how long, zero or more
     * @param f makes the result
     * @return this select
     */
    public Select<R> sleep(Duration duration, Supplier<? extends R> f) {
        Objects.requireNonNull(f, "function");
        if (Objects.requireNonNull(duration, "duration").isNegative()) {
            throw new IllegalArgumentException("negative duration: " + duration);
        }
        SleepArm<R> a = new SleepArm<>(duration, null, f);
        arms.add(a);
        sleeps.add(a);
        return this;
    }

    /**
     * Adds an arm ready at {@code deadline} (wall-clock).
     *
     * {@snippet :
     * select.sleepUntil(Instant.now().plusSeconds(5), () -> "deadline");
     * }
     *
     * @param deadline when
     * @param f makes the result
     * @return this select
     */
    public Select<R> sleepUntil(Instant deadline, Supplier<? extends R> f) {
        Objects.requireNonNull(f, "function");
        SleepArm<R> a = new SleepArm<>(null, Objects.requireNonNull(deadline, "deadline"), f);
        arms.add(a);
        sleeps.add(a);
        return this;
    }

    /**
     * Adds an arm ready when {@code notify} is notified (consuming a stored permit or a
     * {@code notifyOne} only if this arm wins).
     *
     * {@snippet :
     * select.notified(shutdown, () -> "stop");
     * }
     *
     * @param notify the Notify
     * @param f makes the result
     * @return this select
     */
    public Select<R> notified(Notify notify, Supplier<? extends R> f) {
        Objects.requireNonNull(f, "function");
        SelectArm src = SyncArms.get().notified(Objects.requireNonNull(notify, "notify"));
        arms.add(new SourceArm<>(src, f));
        return this;
    }

    /**
     * Adds an arm that acquires one permit; {@code f} gets it (close it when done).
     *
     * {@snippet :
     * select.acquire(limit, permit -> { try (permit) { return work(); } });
     * }
     *
     * @param semaphore the semaphore
     * @param f makes the result from the permit
     * @return this select
     */
    public Select<R> acquire(Semaphore semaphore, Function<Semaphore.Permit, ? extends R> f) {
        Objects.requireNonNull(f, "function");
        Object[] out = new Object[1];
        SelectArm src = SyncArms.get().acquire(Objects.requireNonNull(semaphore, "semaphore"), 1, out);
        arms.add(new SourceArm<>(src, () -> f.apply((Semaphore.Permit) out[0])));
        return this;
    }

    /**
     * Adds an arm ready when {@code token} is cancelled.
     *
     * {@snippet :
     * select.cancelled(token, () -> "cancelled");
     * }
     *
     * @param token the token
     * @param f makes the result
     * @return this select
     */
    public Select<R> cancelled(CancellationToken token, Supplier<? extends R> f) {
        Objects.requireNonNull(f, "function");
        SelectArm src = SyncArms.get().cancelled(Objects.requireNonNull(token, "token"));
        arms.add(new SourceArm<>(src, f));
        return this;
    }

    /**
     * Parks until an arm is ready and returns its result.
     *
     * {@snippet :
     * String what = select.run();
     * }
     *
     * @return the winning arm's result
     * @throws IllegalStateException if there are no arms
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked
     * @throws io.weft.task.JoinException if a winning join arm's task failed or was cancelled
     */
    public R run() {
        final int n = arms.size();
        if (n == 0) {
            throw new IllegalStateException("select has no arms");
        }
        Waits.checkCancelled("Select.run");
        for (SleepArm<R> s : sleeps) {
            s.start();
        }
        final int start = biased ? 0 : ThreadLocalRandom.current().nextInt(n);
        int winner = pollAll(null, null, start);
        if (winner >= 0) {
            Coop.proceed(); // ready without parking: spend budget so a select loop cannot monopolise its carrier
        }
        while (winner < 0) {
            Parker parker = new Parker();
            Waiter[] ws = new Waiter[n];
            Waiter fired = null;
            boolean settled = false;
            try {
                for (int i = 0; i < n; i++) {
                    SelectArm src = arms.get(i).source();
                    if (src != null) {
                        ws[i] = new Waiter(parker);
                        src.register(ws[i]);
                    }
                }
                winner = pollAll(null, null, start);
                if (winner < 0) {
                    fired = parker.await(0);
                }
                if (fired == null && parker.cancel() instanceof Waiter w) {
                    fired = w;
                }
                deregisterAll(ws);
                settled = true;
                if (winner < 0) {
                    if (Waits.interrupted()) {
                        forward(ws, fired, -1);
                        throw Waits.cancelled("Select.run");
                    }
                    winner = pollAll(ws, fired, start);
                }
                forward(ws, fired, winner);
            } catch (RuntimeException | Error e) {
                // An arm's poll threw (a closed semaphore, a lagged broadcast receiver): leave no waiter
                // registered and hand on whatever a source gave us, then let the exception through.
                if (!settled) {
                    if (parker.cancel() instanceof Waiter w) {
                        fired = w;
                    }
                    deregisterAll(ws);
                }
                forwardQuietly(ws, fired, e);
                throw e;
            }
        }
        return arms.get(winner).result();
    }

    private void deregisterAll(Waiter[] ws) {
        for (int i = 0; i < ws.length; i++) {
            if (ws[i] != null) {
                arms.get(i).source().deregister(ws[i]);
            }
        }
    }

    /** On the error path: forward a claimed waiter's token unless its own arm already consumed it. */
    private void forwardQuietly(Waiter[] ws, Waiter fired, Throwable primary) {
        try {
            if (fired != null && !fired.consumed) {
                forward(ws, fired, -1);
            }
        } catch (RuntimeException | Error e) {
            primary.addSuppressed(e);
        }
    }

    private int pollAll(Waiter[] ws, Waiter fired, int start) {
        final int n = arms.size();
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            Waiter claimed = ws != null && fired != null && ws[i] == fired ? fired : null;
            if (arms.get(i).poll(claimed)) {
                if (claimed != null) {
                    claimed.consumed = true;
                }
                return i;
            }
        }
        return -1;
    }

    /**
     * A claimed waiter whose token was not used hands it on: its arm lost, or its arm won through the
     * plain re-check (a stored permit, a second notification) without using what the claim gave it.
     */
    private void forward(Waiter[] ws, Waiter fired, int winner) {
        if (fired == null || fired.consumed) {
            return;
        }
        fired.consumed = true; // settled: never forwarded twice (the error path calls this again)
        for (int i = 0; i < ws.length; i++) {
            if (ws[i] == fired) {
                arms.get(i).source().forward(fired);
            }
        }
    }

    private static final class SourceArm<R> implements Arm<R> {
        private final SelectArm source;
        private final Supplier<? extends R> result;

        SourceArm(SelectArm source, Supplier<? extends R> result) {
            this.source = source;
            this.result = result;
        }

        @Override
        public SelectArm source() {
            return source;
        }

        @Override
        public boolean poll(Waiter claimed) {
            return source.poll(claimed);
        }

        @Override
        public R result() {
            return result.get();
        }
    }

    private static final class JoinArm<T, R> implements Arm<R>, SelectArm {
        private final TaskImpl<T> task;
        private final Function<? super T, ? extends R> f;
        private WaitStack.Node node;

        JoinArm(TaskImpl<T> task, Function<? super T, ? extends R> f) {
            this.task = task;
            this.f = f;
        }

        @Override
        public SelectArm source() {
            return this;
        }

        @Override
        public boolean poll(Waiter claimed) {
            return task.isDone();
        }

        @Override
        public R result() {
            return f.apply(task.report());
        }

        @Override
        public void register(Waiter w) {
            node = task.registerDone(w);
        }

        @Override
        public void deregister(Waiter w) {
            task.deregisterDone(node);
            node = null;
        }
    }

    /** A sleep or deadline arm on the runtime's timer wheel (and so on paused test time too). */
    private static final class SleepArm<R> implements Arm<R>, SelectArm {
        private final Duration duration;
        private final Instant until;
        private final Supplier<? extends R> f;
        private TimeDriver driver;
        private Sleeps.ClaimEntry entry;
        long deadline;

        SleepArm(Duration duration, Instant until, Supplier<? extends R> f) {
            this.duration = duration;
            this.until = until;
            this.f = f;
        }

        void start() {
            driver = Sleeps.driver();
            deadline = duration != null
                ? driver.nanos() + TimeDriver.saturatedNanos(duration)
                : driver.toNanos(until);
        }

        @Override
        public SelectArm source() {
            return this;
        }

        @Override
        public boolean poll(Waiter claimed) {
            return claimed != null || driver.nanos() >= deadline;
        }

        @Override
        public R result() {
            return f.get();
        }

        @Override
        public void register(Waiter w) {
            entry = new Sleeps.ClaimEntry(w);
            if (!driver.register(entry, deadline)) {
                w.claim();
            }
        }

        @Override
        public void deregister(Waiter w) {
            driver.cancel(entry);
            entry = null;
        }
    }
}
