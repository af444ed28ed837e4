package io.weft.sync;

import static io.weft.sync.SyncTests.runtime;
import static io.weft.sync.SyncTests.spawn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Barrier [Tokio: tests/sync_barrier.rs]. */
@Timeout(20)
class BarrierTest {

    @Test
    void aBarrierOfOneNeverParksAndAlwaysLeads() {
        try (Runtime rt = runtime()) {
            var b = new Barrier(1);
            rt.blockOn(() -> {
                for (int i = 0; i < 300; i++) { // more than the coop budget: it must yield, not hang
                    assertThat(b.await().isLeader()).isTrue();
                }
                return null;
            });
            assertThat(b.generation()).isEqualTo(300);
        }
        assertThatThrownBy(() -> new Barrier(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void nobodyPassesUntilAllArriveAndExactlyOneLeads() {
        try (Runtime rt = runtime()) {
            var b = new Barrier(3);
            var passed = new AtomicInteger();
            var p1 = spawn(rt, () -> {
                boolean l = b.await().isLeader();
                passed.incrementAndGet();
                return l;
            }).awaitParked();
            var p2 = spawn(rt, () -> {
                boolean l = b.await().isLeader();
                passed.incrementAndGet();
                return l;
            }).awaitParked();
            assertThat(passed).hasValue(0);
            assertThat(b.arrived()).isEqualTo(2);
            boolean third = rt.blockOn(() -> b.await().isLeader());
            assertThat(third).as("the last arrival leads").isTrue();
            assertThat(p1.handle.join(Duration.ofSeconds(5))).isFalse();
            assertThat(p2.handle.join(Duration.ofSeconds(5))).isFalse();
            assertThat(b.arrived()).isZero();
            assertThat(b.generation()).isEqualTo(1);
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void reusableAcrossGenerationsWithOneLeaderEach() {
        try (Runtime rt = runtime()) {
            int n = 5;
            int gens = 50;
            var b = new Barrier(n);
            var leaders = new AtomicInteger[gens];
            var arrivals = new AtomicInteger[gens];
            for (int g = 0; g < gens; g++) {
                leaders[g] = new AtomicInteger();
                arrivals[g] = new AtomicInteger();
            }
            List<JoinHandle<Void>> hs = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                hs.add(rt.spawn(() -> {
                    for (int g = 0; g < gens; g++) {
                        arrivals[g].incrementAndGet();
                        boolean lead = b.await().isLeader();
                        assertThat(arrivals[g].get()).as("gen %d: all arrived before anyone passed", g).isEqualTo(n);
                        if (lead) {
                            leaders[g].incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (var h : hs) {
                h.join(Duration.ofSeconds(10));
            }
            for (int g = 0; g < gens; g++) {
                assertThat(leaders[g]).as("generation %d", g).hasValue(1);
            }
            assertThat(b.generation()).isEqualTo(gens);
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void anAbortedWaiterStillCountsSoTheOthersAreReleased() {
        try (Runtime rt = runtime()) {
            var b = new Barrier(3);
            var aborted = spawn(rt, () -> b.await()).awaitParked();
            aborted.abortAndAssertCancelled();
            assertThat(b.arrived()).as("an arrival cannot be taken back").isEqualTo(1);
            assertThat(b.waiterCount()).isZero();
            var follower = spawn(rt, () -> b.await().isLeader()).awaitParked();
            boolean leader = rt.blockOn(() -> b.await().isLeader());
            assertThat(leader).isTrue();
            assertThat(follower.handle.join(Duration.ofSeconds(5))).isFalse();
            assertThat(b.generation()).isEqualTo(1);
            // The next generation starts empty and whole.
            assertThat(b.arrived()).isZero();
            var x = spawn(rt, () -> b.await().isLeader()).awaitParked();
            var y = spawn(rt, () -> b.await().isLeader()).awaitParked();
            boolean z = rt.blockOn(() -> b.await().isLeader());
            assertThat(List.of(x.handle.join(Duration.ofSeconds(5)), y.handle.join(Duration.ofSeconds(5)), z))
                .containsExactlyInAnyOrder(true, false, false);
        }
    }

    @Test
    void aTaskAbortedBeforeArrivingDoesNotArrive() {
        try (Runtime rt = runtime()) {
            var b = new Barrier(2);
            var p = spawn(rt, () -> {
                Thread.currentThread().interrupt();
                return b.await();
            });
            assertThatThrownBy(() -> p.handle.join(Duration.ofSeconds(5))).isInstanceOf(JoinException.class);
            assertThat(p.thrown.get()).isInstanceOf(io.weft.task.CancelledException.class);
            assertThat(b.arrived()).isZero();
        }
    }

    @Test
    void toStringShowsTheCounts() {
        assertThat(new Barrier(4)).hasToString("Barrier[parties=4, arrived=0, generation=0]");
        assertThat(new Barrier(4).parties()).isEqualTo(4);
    }
}
