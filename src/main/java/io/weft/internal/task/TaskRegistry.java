package io.weft.internal.task;

import java.util.ArrayList;
import java.util.List;

/**
 * Every live task of one runtime, so that shutdown can abort them (Tokio's {@code OwnedTasks}).
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: tasks are linked into one of 2^k shards by id; each shard is an intrusive doubly linked
 *   list with a count and a closed flag under its own monitor. add() refuses once the shard is closed,
 *   so a spawn that races with shutdown is either seen by closeAndSnapshot() or refused: never lost.
 * Progress: blocking (a monitor per shard, held for a few field writes); shards keep carriers apart.
 * </pre>
 */
public final class TaskRegistry {
    private static final class Shard {
        TaskImpl<?> head;
        int count;
        boolean closed;
    }

    private final Shard[] shards;
    private final int mask;

    /**
     * Creates a registry.
     *
     * @param concurrency expected number of threads adding at once
     */
    public TaskRegistry(int concurrency) {
        int n = Integer.highestOneBit(Math.max(1, concurrency) * 8 - 1) << 1;
        n = Math.min(Math.max(n, 8), 256);
        shards = new Shard[n];
        for (int i = 0; i < n; i++) {
            shards[i] = new Shard();
        }
        mask = n - 1;
    }

    /**
     * Adds a task.
     *
     * @param t the task
     * @return false if the registry is closed
     */
    public boolean add(TaskImpl<?> t) {
        int i = nextShard();
        t.shard = i;
        Shard s = shards[i];
        synchronized (s) {
            if (s.closed) {
                return false;
            }
            TaskImpl<?> h = s.head;
            t.next = h;
            t.prev = null;
            if (h != null) {
                h.prev = t;
            }
            s.head = t;
            s.count++;
            t.registered = true;
        }
        return true;
    }

    /**
     * Removes a task (no-op if absent).
     *
     * @param t the task
     */
    public void remove(TaskImpl<?> t) {
        Shard s = shards[t.shard];
        synchronized (s) {
            if (!t.registered) {
                return;
            }
            t.registered = false;
            TaskImpl<?> p = t.prev;
            TaskImpl<?> n = t.next;
            if (p != null) {
                p.next = n;
            } else {
                s.head = n;
            }
            if (n != null) {
                n.prev = p;
            }
            t.prev = null;
            t.next = null;
            s.count--;
        }
    }

    /**
     * Picks a shard without a shared counter: on a Weft carrier, that carrier's own spawn counter
     * (written only by its OS thread); elsewhere the thread's random generator.
     */
    private int nextShard() {
        return io.weft.internal.scheduler.WeftScheduler.spreadHint() & mask;
    }

    /** {@return the number of live tasks (racy sum)} */
    public long size() {
        long n = 0;
        for (Shard s : shards) {
            synchronized (s) {
                n += s.count;
            }
        }
        return n;
    }

    /** {@return the live tasks now} */
    public List<TaskImpl<?>> snapshot() {
        return collect(false);
    }

    /** Refuses further adds and {@return the live tasks} */
    public List<TaskImpl<?>> closeAndSnapshot() {
        return collect(true);
    }

    private List<TaskImpl<?>> collect(boolean close) {
        List<TaskImpl<?>> all = new ArrayList<>();
        for (Shard s : shards) {
            synchronized (s) {
                if (close) {
                    s.closed = true;
                }
                for (TaskImpl<?> t = s.head; t != null; t = t.next) {
                    all.add(t);
                }
            }
        }
        return all;
    }
}
