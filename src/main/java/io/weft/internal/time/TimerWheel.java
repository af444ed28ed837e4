package io.weft.internal.time;

import java.util.function.Consumer;

/**
 * A hierarchical hashed timing wheel: 6 levels of 64 slots at 1 ms resolution (Tokio's
 * {@code runtime/time/wheel}, after Varghese and Lauck, "Hashed and Hierarchical Timing Wheels", 1987).
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: level L slots each cover 64^L ms, so level 0 covers the next 64 ms one slot per
 *   millisecond, and level 5 slots are about 12 days wide; the wheel spans 2^36 ms (about 2.2 years).
 *   An entry goes into the lowest level whose window still contains both now (elapsed) and its
 *   deadline: the level of the highest bit in which they differ, divided by 6. Insert and remove are
 *   O(1) (intrusive doubly linked slot lists plus a 64-bit occupancy mask per level). poll(now) finds
 *   the earliest occupied slot (lowest level first: a rotate and a trailing-zero count), advances
 *   elapsed to that slot's start, fires its entries due at that instant, and re-inserts the others,
 *   which land in a lower level ("cascading") and fire in later rounds of the same poll, so one poll
 *   that jumps far ahead still fires everything in deadline order.
 * Ordering: entries with the same deadline fire in insertion order (slot lists are FIFO).
 * Thread safety: none; the TimeDriver's lock guards every call.
 * Invariant: every entry has when > elapsed; an entry due at or before elapsed is fired, not inserted.
 * </pre>
 */
final class TimerWheel {
    static final int LEVELS = 6;
    static final int BITS = 6;
    static final int SLOTS = 1 << BITS;
    /** The furthest deadline the wheel holds, in ticks past elapsed (Tokio's MAX_DURATION). */
    static final long MAX_SPAN = (1L << (BITS * LEVELS)) - 1;

    private final TimerEntry[][] heads = new TimerEntry[LEVELS][SLOTS];
    private final TimerEntry[][] tails = new TimerEntry[LEVELS][SLOTS];
    private final long[] occupied = new long[LEVELS];
    private long elapsed;
    private int count;

    /** {@return the tick up to which the wheel has been processed} */
    long elapsed() {
        return elapsed;
    }

    /** {@return entries in the wheel} */
    int size() {
        return count;
    }

    static int levelFor(long elapsed, long when) {
        long masked = (elapsed ^ when) | (SLOTS - 1);
        if (masked >= MAX_SPAN) {
            masked = MAX_SPAN - 1;
        }
        int significant = 63 - Long.numberOfLeadingZeros(masked);
        return significant / BITS;
    }

    /**
     * Inserts an entry due after {@link #elapsed()}.
     *
     * @param e the entry, with {@code when > elapsed}
     */
    void insert(TimerEntry e) {
        if (e.when <= elapsed) {
            throw new IllegalArgumentException("entry already due: " + e.when + " <= " + elapsed);
        }
        if (e.when - elapsed > MAX_SPAN) {
            e.when = elapsed + MAX_SPAN;
        }
        int level = levelFor(elapsed, e.when);
        int slot = (int) ((e.when >>> (level * BITS)) & (SLOTS - 1));
        e.level = level;
        e.slot = slot;
        e.next = null;
        TimerEntry t = tails[level][slot];
        e.prev = t;
        if (t == null) {
            heads[level][slot] = e;
        } else {
            t.next = e;
        }
        tails[level][slot] = e;
        occupied[level] |= 1L << slot;
        count++;
    }

    /**
     * Removes an entry that is in the wheel.
     *
     * @param e the entry
     */
    void remove(TimerEntry e) {
        int level = e.level;
        if (level < 0) {
            return;
        }
        int slot = e.slot;
        TimerEntry p = e.prev;
        TimerEntry n = e.next;
        if (p == null) {
            heads[level][slot] = n;
        } else {
            p.next = n;
        }
        if (n == null) {
            tails[level][slot] = p;
        } else {
            n.prev = p;
        }
        if (heads[level][slot] == null) {
            occupied[level] &= ~(1L << slot);
        }
        e.prev = null;
        e.next = null;
        e.level = -1;
        count--;
    }

    /** {@return the tick at which the earliest occupied slot must be processed, or -1 if empty} */
    long nextExpiration() {
        for (int level = 0; level < LEVELS; level++) {
            long occ = occupied[level];
            if (occ == 0) {
                continue;
            }
            long slotRange = 1L << (level * BITS);
            long levelRange = slotRange << BITS;
            int nowSlot = (int) ((elapsed / slotRange) & (SLOTS - 1));
            // The slot of elapsed itself can only be occupied at the top level, by entries of the next
            // rotation (deadlines up to MAX_SPAN ahead wrap around): look past it first, so an entry
            // of this rotation in a later slot is not hidden behind them.
            long others = occ & ~(1L << nowSlot);
            long search = others != 0 ? others : occ;
            int zeros = Long.numberOfTrailingZeros(Long.rotateRight(search, nowSlot));
            int slot = (zeros + nowSlot) & (SLOTS - 1);
            long levelStart = elapsed & ~(levelRange - 1);
            long deadline = levelStart + slot * slotRange;
            if (deadline <= elapsed && level > 0) {
                // Only the top level wraps: a slot "before" now is one rotation ahead.
                deadline += levelRange;
            }
            return Math.max(deadline, elapsed);
        }
        return -1;
    }

    /**
     * Advances to {@code now}, handing every entry due at or before it to {@code fire}, in deadline
     * order (insertion order among equal deadlines).
     *
     * @param now the current tick
     * @param fire receives each due entry, already removed from the wheel
     */
    void poll(long now, Consumer<TimerEntry> fire) {
        for (;;) {
            long exp = nextExpiration();
            if (exp < 0 || exp > now) {
                break;
            }
            int level = -1;
            int slot = 0;
            for (int l = 0; l < LEVELS; l++) {
                if (occupied[l] != 0) {
                    level = l;
                    long slotRange = 1L << (l * BITS);
                    slot = (int) ((exp / slotRange) & (SLOTS - 1));
                    break;
                }
            }
            TimerEntry e = heads[level][slot];
            heads[level][slot] = null;
            tails[level][slot] = null;
            occupied[level] &= ~(1L << slot);
            if (exp > elapsed) {
                elapsed = exp;
            }
            while (e != null) {
                TimerEntry next = e.next;
                e.prev = null;
                e.next = null;
                e.level = -1;
                count--;
                if (e.when <= exp) {
                    fire.accept(e);
                } else {
                    // Cascade to a lower level, even if already due: the next rounds of this loop then
                    // fire it in deadline order (Tokio's process_expiration does the same).
                    insert(e);
                }
                e = next;
            }
        }
        if (now > elapsed) {
            elapsed = now;
        }
    }
}
