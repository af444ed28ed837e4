package io.weft.internal.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hierarchical timer wheel on its own (6 levels of 64 slots, 1 ms ticks) [Tokio:
 * runtime/time/wheel tests]: where entries land, and, with seeded random deadlines across every level
 * (up to and beyond 64^5 ms) and random removals, that every entry fires exactly once, never early,
 * never late (in the first poll that reaches it), in deadline order, FIFO among equal deadlines.
 * Rerun one with {@code -Dweft.test.seed=N}.
 */
@Timeout(120) // pure computation, but a loaded 2-core machine has taken 30 s
class TimerWheelTest {

    /** 64^L ms: the width of one slot at level L. */
    private static long slotWidth(int level) {
        return 1L << (TimerWheel.BITS * level);
    }

    private static long seed() {
        Long fixed = Long.getLong("weft.test.seed");
        return fixed != null ? fixed : System.nanoTime();
    }

    /** A timer that records its insertion sequence and the deadline it was inserted with. */
    private static final class E extends TimerEntry {
        final long seq;
        long deadline;
        int fires;
        boolean removed;

        E(long seq) {
            this.seq = seq;
        }

        @Override
        protected void fire() {
            throw new AssertionError("the wheel never calls fire(); poll hands entries to its consumer");
        }

        @Override
        public String toString() {
            return "E#" + seq + "(when=" + deadline + ")";
        }
    }

    /** A model of the wheel's contract that checks every poll. */
    private static final class Harness {
        final TimerWheel wheel = new TimerWheel();
        final List<E> pending = new ArrayList<>();
        final List<E> fired = new ArrayList<>();
        final String context;
        long seq;
        long removed;
        long now;

        Runnable script;

        Harness(String context) {
            this.context = context;
        }

        void run() {
            script.run();
        }

        E insertAt(long when) {
            E e = new E(seq++);
            e.when = when;
            wheel.insert(e);
            e.deadline = e.when; // the wheel may clamp a deadline beyond its span
            pending.add(e);
            return e;
        }

        void remove(E e) {
            wheel.remove(e);
            e.removed = true;
            removed++;
            pending.remove(e);
        }

        /** Polls to {@code to}, checking never-early, exactly-once and order within this poll. */
        void poll(long to) {
            List<E> got = new ArrayList<>();
            wheel.poll(to, x -> got.add((E) x));
            for (E e : got) {
                if (e.removed) {
                    fail(context + ": removed entry fired: " + e);
                }
                if (++e.fires != 1) {
                    fail(context + ": entry fired twice: " + e);
                }
                if (e.deadline > to) {
                    fail(context + ": entry fired early: " + e + " at poll(" + to + ")");
                }
            }
            fired.addAll(got);
            pending.removeAll(got);
            now = to;
            for (E e : pending) {
                if (e.deadline <= to) {
                    fail(context + ": entry due at " + e.deadline + " not fired by poll(" + to + "): " + e);
                }
            }
            assertThat(wheel.size()).as(context + ": size").isEqualTo(pending.size());
            if (pending.isEmpty()) {
                assertThat(wheel.nextExpiration()).as(context + ": empty wheel").isEqualTo(-1);
            } else {
                long min = pending.stream().mapToLong(x -> x.deadline).min().orElseThrow();
                long next = wheel.nextExpiration();
                assertThat(next).as(context + ": nextExpiration must not pass the earliest deadline " + min)
                    .isBetween(to, min);
            }
        }

        /** Asserts the whole firing sequence is in deadline order, ties in insertion order. */
        void assertOrdered() {
            for (int i = 1; i < fired.size(); i++) {
                E a = fired.get(i - 1);
                E b = fired.get(i);
                if (a.deadline > b.deadline || (a.deadline == b.deadline && a.seq > b.seq)) {
                    fail(context + ": out of order at #" + i + ": " + a + " fired before " + b);
                }
            }
        }
    }

    @Test
    void entriesLandOnTheLevelOfTheirDistance() {
        Harness h = new Harness("levels");
        assertThat(h.insertAt(1).level).isZero();
        assertThat(h.insertAt(63).level).isZero();
        assertThat(h.insertAt(64).level).isEqualTo(1);
        assertThat(h.insertAt(64 * 64 - 1).level).isEqualTo(1);
        assertThat(h.insertAt(slotWidth(2)).level).isEqualTo(2);
        assertThat(h.insertAt(slotWidth(3)).level).isEqualTo(3);
        assertThat(h.insertAt(slotWidth(4)).level).isEqualTo(4);
        assertThat(h.insertAt(slotWidth(5)).level).isEqualTo(5);
        assertThat(h.insertAt(slotWidth(5) * 63).level).isEqualTo(5);
        E max = h.insertAt(TimerWheel.MAX_SPAN);
        assertThat(max.level).isEqualTo(5);
        assertThat(max.when).isEqualTo(TimerWheel.MAX_SPAN);
        assertThat(h.wheel.size()).isEqualTo(10);
        assertThat(h.wheel.nextExpiration()).isEqualTo(1);
    }

    @Test
    void deadlinesBeyondTheSpanAreClampedNotOverflowed() {
        Harness h = new Harness("clamp");
        h.poll(1000);
        E far = h.insertAt(Long.MAX_VALUE);
        assertThat(far.when).isEqualTo(1000 + TimerWheel.MAX_SPAN);
        assertThat(far.level).isEqualTo(5);
        E farther = h.insertAt(1000 + TimerWheel.MAX_SPAN + 12345);
        assertThat(farther.when).isEqualTo(1000 + TimerWheel.MAX_SPAN);
        h.poll(1000 + TimerWheel.MAX_SPAN - 1);
        assertThat(h.fired).isEmpty();
        h.poll(1000 + TimerWheel.MAX_SPAN);
        assertThat(h.fired).containsExactly(far, farther);
    }

    @Test
    void aTopLevelEntryOfThisRotationIsNotHiddenByOneOfTheNextRotationInTheCurrentSlot() {
        // Regression test: nextExpiration() looked at the top-level slot of elapsed first; when it held an
        // entry of the next rotation (deadline about MAX_SPAN ahead) it reported that one and hid an entry
        // of this rotation in a later slot.
        Harness h = new Harness("top-level rotation");
        h.poll(3 * slotWidth(5) + 5); // elapsed in top-level slot 3
        E nextRotation = h.insertAt(h.now + TimerWheel.MAX_SPAN);
        E thisRotation = h.insertAt(10 * slotWidth(5) + 7);
        assertThat(nextRotation.level).isEqualTo(5);
        assertThat(nextRotation.slot).isEqualTo(3);
        assertThat(thisRotation.level).isEqualTo(5);
        assertThat(thisRotation.slot).isEqualTo(10);
        assertThat(h.wheel.nextExpiration()).isLessThanOrEqualTo(thisRotation.when);
        while (h.fired.isEmpty()) {
            h.poll(Math.max(h.wheel.nextExpiration(), h.now + 1));
        }
        assertThat(h.fired).containsExactly(thisRotation);
        assertThat(h.now).isEqualTo(thisRotation.when);
        h.poll(nextRotation.when);
        assertThat(h.fired).containsExactly(thisRotation, nextRotation);
    }

    @Test
    void insertingADueEntryIsRefused() {
        TimerWheel w = new TimerWheel();
        w.poll(10, e -> { });
        E e = new E(0);
        e.when = 10;
        assertThatThrownBy(() -> w.insert(e)).isInstanceOf(IllegalArgumentException.class);
        assertThat(w.size()).isZero();
    }

    @Test
    void removeIsIdempotentAndClearsTheSlot() {
        Harness h = new Harness("remove");
        E a = h.insertAt(5);
        E b = h.insertAt(5);
        E c = h.insertAt(5);
        h.remove(b);
        h.wheel.remove(b); // second removal: a no-op
        assertThat(h.wheel.size()).isEqualTo(2);
        h.remove(a);
        h.remove(c);
        assertThat(h.wheel.size()).isZero();
        assertThat(h.wheel.nextExpiration()).isEqualTo(-1);
        E d = h.insertAt(7);
        h.poll(100);
        assertThat(h.fired).containsExactly(d);
    }

    @Test
    void pollFiresNothingBeforeTheDeadlineAndEverythingAtIt() {
        for (int level = 0; level < TimerWheel.LEVELS; level++) {
            Harness h = new Harness("level " + level);
            long when = level == 0 ? 37 : slotWidth(level) + 37;
            E e = h.insertAt(when);
            assertThat(e.level).isEqualTo(level);
            // Step through the slot boundaries the driver would wake at.
            while (h.fired.isEmpty()) {
                long next = h.wheel.nextExpiration();
                assertThat(next).isPositive().isLessThanOrEqualTo(when);
                h.poll(next == h.now ? next + 1 : next);
            }
            assertThat(h.now).isEqualTo(when);
            assertThat(h.fired).containsExactly(e);
        }
    }

    @Test
    void equalDeadlinesFireInInsertionOrderAcrossLevels() {
        long seed = seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        Harness h = new Harness("equal deadlines, seed " + seed);
        long when = slotWidth(3) * 5 + 1234;
        List<E> expected = new ArrayList<>();
        // Insert at ever later "now" values, so the same deadline lands on levels 3, 2, 1 and 0.
        while (h.now < when - 1) {
            for (int i = rnd.nextInt(1, 4); i > 0; i--) {
                expected.add(h.insertAt(when));
            }
            long step = Math.max(1, (when - h.now) / rnd.nextInt(2, 8));
            h.poll(Math.min(when - 1, h.now + step));
        }
        expected.add(h.insertAt(when));
        h.poll(when);
        assertThat(h.fired).as(h.context).containsExactlyElementsOf(expected);
    }

    /** A deadline somewhere past {@code now}, on a random level (including past 64^5 ms). */
    private static long randomDeadline(SplittableRandom rnd, long now) {
        int level = rnd.nextInt(TimerWheel.LEVELS + 2);
        long delta;
        if (level == TimerWheel.LEVELS + 1) {
            delta = TimerWheel.MAX_SPAN - rnd.nextLong(slotWidth(5)); // the span's last slot: wraps the top level
        } else if (level == TimerWheel.LEVELS) {
            delta = rnd.nextLong(slotWidth(5), TimerWheel.MAX_SPAN + 1); // > 64^5 ms, up to the span
        } else {
            delta = rnd.nextLong(Math.max(1, slotWidth(level) / 2), slotWidth(level + 1));
        }
        return now + delta;
    }

    /**
     * The driver's way: poll exactly to each next expiration (what auto-advance and a timely driver
     * do), with inserts and removals in between.
     */
    @Test
    void randomDeadlinesSteppingToEachExpiration() {
        long seed = seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        Harness h = new Harness("stepping, seed " + seed + " (rerun with -Dweft.test.seed=" + seed + ")");
        for (int i = 0; i < 5000; i++) {
            h.insertAt(randomDeadline(rnd, 0));
        }
        int rounds = 0;
        while (!h.pending.isEmpty()) {
            if (rnd.nextInt(4) == 0) {
                for (int i = rnd.nextInt(1, 20); i > 0; i--) {
                    h.insertAt(randomDeadline(rnd, h.now));
                }
            }
            if (!h.pending.isEmpty() && rnd.nextInt(3) == 0) {
                for (int i = rnd.nextInt(1, 10); i > 0 && !h.pending.isEmpty(); i--) {
                    h.remove(h.pending.get(rnd.nextInt(h.pending.size())));
                }
            }
            if (h.pending.isEmpty()) {
                break;
            }
            long next = h.wheel.nextExpiration();
            h.poll(Math.max(next, h.now + 1));
            if (++rounds > 2_000_000) {
                fail(h.context + ": no progress");
            }
            if (rounds == 20_000) {
                break; // enough churn: drain what is left below
            }
        }
        while (!h.pending.isEmpty()) {
            h.poll(Math.max(h.wheel.nextExpiration(), h.now + 1));
        }
        assertThat(h.fired.size() + h.removed).as(h.context + ": every entry fired or was removed").isEqualTo(h.seq);
        h.assertOrdered();
    }

    /**
     * Polls that jump: by a millisecond, across slots, across whole levels, by years. Each poll must
     * hand over everything due (never early, exactly once, nothing left behind); the order is checked
     * by {@link #randomDeadlinesWithJumpingPollsFireInDeadlineOrder}.
     */
    @Test
    void randomDeadlinesWithJumpingPolls() {
        long seed = seed();
        jumping(seed).run();
    }

    @Test
    void randomDeadlinesWithJumpingPollsFireInDeadlineOrder() {
        long seed = seed();
        Harness h = jumping(seed);
        h.run();
        h.assertOrdered();
    }

    @Test
    void oneJumpingPollFiresAHigherLevelSlotInDeadlineOrder() {
        Harness h = new Harness("one jump");
        E late = h.insertAt(100);
        E early = h.insertAt(70);
        assertThat(late.level).isEqualTo(1);
        assertThat(early.level).isEqualTo(1);
        assertThat(late.slot).isEqualTo(early.slot);
        h.poll(200);
        assertThat(h.fired).containsExactly(early, late);
    }

    private static Harness jumping(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Harness h = new Harness("jumping, seed " + seed + " (rerun with -Dweft.test.seed=" + seed + ")");
        h.script = () -> {
            for (int i = 0; i < 5000; i++) {
                h.insertAt(randomDeadline(rnd, 0));
            }
            for (int round = 0; round < 3000 && !h.pending.isEmpty(); round++) {
                if (rnd.nextInt(3) == 0) {
                    for (int i = rnd.nextInt(1, 30); i > 0; i--) {
                        h.insertAt(randomDeadline(rnd, h.now));
                    }
                }
                if (rnd.nextInt(3) == 0) {
                    for (int i = rnd.nextInt(1, 10); i > 0 && !h.pending.isEmpty(); i--) {
                        h.remove(h.pending.get(rnd.nextInt(h.pending.size())));
                    }
                }
                int level = rnd.nextInt(TimerWheel.LEVELS + 1);
                long jump = level == TimerWheel.LEVELS
                    ? rnd.nextLong(1, TimerWheel.MAX_SPAN)
                    : rnd.nextLong(1, slotWidth(level + 1));
                h.poll(h.now + jump);
            }
            h.poll(h.now + TimerWheel.MAX_SPAN + 1);
            assertThat(h.pending).as(h.context).isEmpty();
            assertThat(h.fired.size() + h.removed).as(h.context + ": every entry fired or was removed").isEqualTo(h.seq);
        };
        return h;
    }
}
