package io.weft.internal.task;

import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import io.weft.task.TaskId;
import io.weft.time.ElapsedException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The state of one task: its body, its outcome, and the threads waiting for it.
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: run() (on the task's virtual thread, or a blocking-pool thread) binds CURRENT, calls the
 *   body and completes the outcome; the runtime then forgets the task. abort() asks the body to stop by
 *   interrupting its thread; Weft calls parked there throw CancelledException. Future.cancel() completes
 *   the outcome at once as CANCELLED (the Future contract) and interrupts if asked.
 *
 * State word (outcome): PENDING -> COMPLETING -> NORMAL | FAILED | CANCELLED. Only the thread that
 *   wins the PENDING -> COMPLETING CAS writes value/error, then publishes with a volatile write of the
 *   final state; a late completion (the body returning after Future.cancel) loses the CAS and is
 *   discarded. terminated becomes true when the body has returned or thrown.
 *
 * Memory ordering: value/error are plain fields written before the volatile outcome store and read
 *   after a volatile outcome load (the FutureTask pattern). Everything the task did happens-before a
 *   successful join.
 *
 * Abort vs. blocking-pool threads: a pool thread runs many tasks, so abort() interrupts it only under
 *   this task's monitor while the thread is still running this task, and the pool clears the flag
 *   between tasks.
 * </pre>
 *
 * @param <T> the result type
 */
public final class TaskImpl<T> extends WaitStack implements Runnable, Thread.UncaughtExceptionHandler {
    /** The task running on the current thread. */
    public static final ScopedValue<TaskImpl<?>> CURRENT = ScopedValue.newInstance();

    private static final AtomicLong IDS = new AtomicLong();
    private static final VarHandle OUTCOME;
    private static final VarHandle ENDED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            OUTCOME = l.findVarHandle(TaskImpl.class, "outcome", int.class);
            ENDED = l.findVarHandle(TaskImpl.class, "ended", WaitStack.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Outcome states. */
    public static final int PENDING = 0;
    static final int COMPLETING = 1;
    /** The body returned a value. */
    public static final int NORMAL = 2;
    /** The body threw. */
    public static final int FAILED = 3;
    /** The task was cancelled. */
    public static final int CANCELLED = 4;

    private volatile long id;
    private final String name;
    private final TaskOwner owner;
    private final boolean blocking;
    private Callable<? extends T> body;

    private volatile int outcome;
    private T value;
    private Throwable error;
    private volatile boolean abortRequested;
    private volatile boolean terminated;
    private volatile Thread thread;
    private volatile WaitStack ended;
    /** Released when the outcome is final: the task itself (it extends WaitStack, saving an object). */
    private final WaitStack done = this;

    /** The task's slot in its runtime's TaskRegistry, or -1. */
    int slot = -1;

    private volatile Object handle;


    /**
     * Creates a task.
     *
     * @param owner the runtime that runs it
     * @param body what it runs
     * @param name its name, or null
     * @param blocking true for a blocking-pool task
     */
    public TaskImpl(TaskOwner owner, Callable<? extends T> body, String name, boolean blocking) {
        this.owner = owner;
        this.body = body;
        this.name = name;
        this.blocking = blocking;
    }

    private static final VarHandle ID;

    static {
        try {
            ID = MethodHandles.lookup().findVarHandle(TaskImpl.class, "id", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * {@return the task's numeric id}, assigned on first request: most tasks never need one, and a
     * JVM-wide counter would be a contended atomic on every spawn.
     */
    public long id() {
        long i = id;
        if (i != 0) {
            return i;
        }
        long fresh = IDS.incrementAndGet();
        long witness = (long) ID.compareAndExchange(this, 0L, fresh);
        return witness == 0 ? fresh : witness;
    }

    /** {@return the task's id} */
    public TaskId taskId() {
        return new TaskId(id());
    }

    /** {@return the task's name, or null} */
    public String name() {
        return name;
    }

    /** {@return the runtime that runs this task} */
    public TaskOwner owner() {
        return owner;
    }

    /** {@return the thread running this task now, or null (not started, ended, or between pool tasks)} */
    public Thread thread() {
        return thread;
    }

    /** {@return true for a blocking-pool task} */
    public boolean isBlocking() {
        return blocking;
    }

    /**
     * Sets the virtual thread that will run this task; called before it starts.
     *
     * @param t the thread
     */
    public void bindThread(Thread t) {
        this.thread = t;
        t.setUncaughtExceptionHandler(this);
    }

    /**
     * {@return the current task, or null outside a task}
     *
     * <p>A task's virtual thread carries its TaskImpl as its uncaught-exception handler: a per-thread
     * slot that costs nothing to fill (no scoped-value binding, no thread-local map), and that no
     * exception ever reaches, since run() catches everything. Blocking-pool threads run many tasks,
     * so there the task is bound in the {@link #CURRENT} scoped value instead.
     */
    public static TaskImpl<?> current() {
        Thread t = Thread.currentThread();
        if (t.isVirtual()) {
            return t.getUncaughtExceptionHandler() instanceof TaskImpl<?> task ? task : null;
        }
        return CURRENT.isBound() ? CURRENT.get() : null;
    }

    /**
     * Never called in practice: run() catches every throwable. Present so a task can sit in its
     * thread's uncaught-exception-handler slot (see {@link #current()}).
     */
    @Override
    public void uncaughtException(Thread t, Throwable e) {
        owner.reportCallbackError(e);
    }

    @Override
    public void run() {
        if (blocking) {
            thread = Thread.currentThread();
        }
        try {
            if (abortRequested || outcome != PENDING) {
                complete(CANCELLED, null, null);
                return;
            }
            Callable<? extends T> b = body;
            T v = blocking ? ScopedValue.where(CURRENT, this).call(b::call) : b.call();
            complete(NORMAL, v, null);
        } catch (Throwable e) {
            if (abortRequested || owner.isAborting()) {
                complete(CANCELLED, null, e);
            } else if (complete(FAILED, null, e)) {
                owner.taskFailed(this, e);
            }
        } finally {
            body = null;
            if (blocking) {
                synchronized (this) {
                    thread = null;
                }
                Thread.interrupted(); // a pool thread must not carry this task's abort into the next one
            }
            terminated = true;
            owner.taskEnded(this);
            releaseEnded();
        }
    }

    /**
     * Completes a task that will never run (rejected at spawn, or dropped from a shut-down pool).
     *
     * @param cause why, or null
     */
    public void cancelUnstarted(Throwable cause) {
        complete(CANCELLED, null, cause);
        markTerminated();
    }

    /**
     * Fails a task that could not be started.
     *
     * @param cause why
     */
    public void failUnstarted(Throwable cause) {
        complete(FAILED, null, cause);
        markTerminated();
    }

    /** The body will never run: mark it ended and wake whoever waits for termination. */
    private void markTerminated() {
        terminated = true;
        releaseEnded();
    }

    private void releaseEnded() {
        WaitStack e = ended;
        if (e != null) {
            e.release(owner::reportCallbackError);
        }
    }

    private boolean complete(int state, T v, Throwable t) {
        if (!OUTCOME.compareAndSet(this, PENDING, COMPLETING)) {
            return false;
        }
        value = v;
        error = t;
        outcome = state; // release: publishes value/error; pairs with the outcome load in report()
        done.release(owner::reportCallbackError);
        return true;
    }

    /** Requests cancellation: the body's next Weft park point throws {@link CancelledException}. */
    public void abort() {
        if (terminated || outcome != PENDING) {
            return;
        }
        abortRequested = true;
        interruptRunner();
    }

    private void interruptRunner() {
        if (blocking) {
            synchronized (this) {
                Thread t = thread;
                if (t != null) {
                    t.interrupt();
                }
            }
        } else {
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }
    }

    /**
     * {@link java.util.concurrent.Future#cancel} semantics: completes the outcome as cancelled now.
     *
     * @param mayInterrupt whether to interrupt the running body
     * @return true if this call cancelled the task
     */
    public boolean cancel(boolean mayInterrupt) {
        if (!complete(CANCELLED, null, null)) {
            return false;
        }
        if (mayInterrupt && !terminated) {
            abortRequested = true;
            interruptRunner();
        }
        return true;
    }

    /** {@return true when abort was requested} */
    public boolean isAbortRequested() {
        return abortRequested;
    }

    /** {@return the outcome state} */
    public int outcome() {
        int s = outcome;
        return s == COMPLETING ? PENDING : s;
    }

    /** {@return true once the outcome is final} */
    public boolean isDone() {
        return outcome > COMPLETING;
    }

    /** {@return true once the body has returned or thrown (or will never run)} */
    public boolean isTerminated() {
        return terminated;
    }

    /**
     * Parks until the outcome is final.
     *
     * @param deadline a {@link System#nanoTime()} deadline, or 0 for none
     * @return true if final, false if the deadline passed
     * @throws CancelledException if the waiting thread is interrupted (its status is kept)
     */
    public boolean awaitDone(long deadline) {
        if (outcome > COMPLETING) {
            return true;
        }
        if (done.await(deadline)) {
            return true;
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new CancelledException("interrupted while joining task " + id());
        }
        return false;
    }

    /**
     * Parks until the body has ended (a cancelled task may still be unwinding after its outcome is final).
     *
     * @param deadline a {@link System#nanoTime()} deadline, or 0 for none
     * @return true if ended
     */
    public boolean awaitTermination(long deadline) {
        if (terminated) {
            return true;
        }
        WaitStack e = ended;
        if (e == null) {
            WaitStack fresh = new WaitStack();
            e = ENDED.compareAndExchange(this, null, fresh) instanceof WaitStack w ? w : fresh;
        }
        if (terminated) {
            return true;
        }
        return e.await(deadline) || terminated;
    }

    /**
     * Parks until the outcome is final and reports it.
     *
     * @param deadline a {@link System#nanoTime()} deadline, or 0 for none
     * @return the value
     * @throws JoinException if the task failed or was cancelled
     * @throws ElapsedException if the deadline passed
     * @throws CancelledException if the waiting thread is interrupted
     */
    public T join(long deadline) {
        if (outcome > COMPLETING) {
            io.weft.internal.scheduler.Coop.proceed();
        } else if (!awaitDone(deadline)) {
            throw new ElapsedException("task " + id() + " did not finish in time");
        }
        return report();
    }

    /**
     * Reports a final outcome.
     *
     * @return the value
     * @throws JoinException if the task failed or was cancelled
     */
    public T report() {
        int s = outcome; // acquire: pairs with the release in complete()
        return switch (s) {
            case NORMAL -> value;
            case FAILED -> throw new JoinException(taskId(), false, error);
            case CANCELLED -> throw new JoinException(taskId(), true, error);
            default -> throw new IllegalStateException("task " + id() + " has not finished");
        };
    }

    /** {@return the value of a NORMAL task} */
    public T valueNow() {
        return value;
    }

    /** {@return the exception of a FAILED task, or what a CANCELLED one threw while unwinding} */
    public Throwable errorNow() {
        return error;
    }

    /**
     * Runs {@code callback} once the outcome is final (at once, on the caller, if it already is).
     *
     * @param callback the callback
     */
    public void onDone(Runnable callback) {
        done.onRelease(callback);
    }

    /**
     * Registers a Select waiter, claimed when the outcome is final.
     *
     * @param w the waiter
     * @return the registration, or null if the outcome is already final
     */
    public WaitStack.Node registerDone(io.weft.internal.sync.Waiter w) {
        return done.register(w);
    }

    /**
     * Withdraws a registration made by {@link #registerDone}.
     *
     * @param node the registration (null is ignored)
     */
    public void deregisterDone(WaitStack.Node node) {
        done.remove(node);
    }

    /**
     * The public handle for this task, made once.
     *
     * @param factory makes it
     * @param <H> the handle type
     * @return the handle
     */
    @SuppressWarnings("unchecked")
    public <H> H handle(java.util.function.Function<TaskImpl<T>, H> factory) {
        Object h = handle;
        if (h == null) {
            // Benign race: two threads may each make a handle; both wrap this task and behave alike.
            h = factory.apply(this);
            handle = h;
        }
        return (H) h;
    }

    @Override
    public String toString() {
        String state = switch (outcome()) {
            case PENDING -> terminated ? "ended" : "running";
            case NORMAL -> "completed";
            case FAILED -> "failed";
            default -> "cancelled";
        };
        return "Task[" + id() + (name != null ? " " + name : "") + ", " + state + "]";
    }
}
