package io.weft.sync;

import static io.weft.sync.SyncTests.runtime;
import static io.weft.sync.SyncTests.spawn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** RwLock [Tokio: tests/sync_rwlock.rs]. */
@Timeout(20)
class RwLockTest {

    @Test
    @Tag(SyncTests.CONTRACT)
    void manyReadersAtOnceButOneWriterAlone() {
        var lock = new RwLock<>("v");
        var r1 = lock.tryRead();
        var r2 = lock.tryRead();
        var r3 = lock.tryRead();
        assertThat(r1).isNotNull();
        assertThat(r2).isNotNull();
        assertThat(r3.value()).isEqualTo("v");
        assertThat(lock.tryWrite()).as("readers exclude a writer").isNull();
        r1.close();
        r2.close();
        r3.close();
        var w = lock.tryWrite();
        assertThat(w).isNotNull();
        assertThat(lock.tryRead()).as("a writer excludes readers").isNull();
        assertThat(lock.tryWrite()).as("and other writers").isNull();
        w.value("w");
        w.close();
        try (var r = lock.tryRead()) {
            assertThat(r.value()).isEqualTo("w");
        }
        assertThat(lock.availablePermits()).isEqualTo(lock.maxReaders());
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void aQueuedWriterBlocksLaterReaders() {
        try (Runtime rt = runtime()) {
            var lock = new RwLock<>(0);
            var order = new CopyOnWriteArrayList<String>();
            var first = lock.tryRead();
            var writer = spawn(rt, () -> {
                try (var w = lock.write()) {
                    order.add("writer");
                    w.value(1);
                }
                return null;
            }).awaitParked();
            assertThat(lock.tryRead()).as("a reader may not overtake the queued writer").isNull();
            var reader = spawn(rt, () -> {
                try (var r = lock.read()) {
                    order.add("reader saw " + r.value());
                }
                return null;
            }).awaitParked();
            first.close();
            writer.handle.join(Duration.ofSeconds(5));
            reader.handle.join(Duration.ofSeconds(5));
            assertThat(order).containsExactly("writer", "reader saw 1");
        }
    }

    @Test
    void writersAreServedInArrivalOrder() {
        try (Runtime rt = runtime()) {
            var lock = new RwLock<>("");
            var held = lock.tryWrite();
            var probes = new java.util.ArrayList<SyncTests.Probe<Object>>();
            for (int i = 0; i < 4; i++) {
                String id = Integer.toString(i);
                probes.add(spawn(rt, () -> {
                    try (var w = lock.write()) {
                        w.value(w.value() + id);
                    }
                    return null;
                }).awaitParked());
            }
            held.close();
            for (var p : probes) {
                p.handle.join(Duration.ofSeconds(5));
            }
            try (var r = lock.tryRead()) {
                assertThat(r.value()).isEqualTo("0123");
            }
        }
    }

    @Test
    void maxReadersLimitsConcurrentReaders() {
        try (Runtime rt = runtime()) {
            var lock = new RwLock<>(0, 2);
            var a = lock.tryRead();
            var b = lock.tryRead();
            assertThat(lock.tryRead()).isNull();
            var third = spawn(rt, () -> {
                try (var r = lock.read()) {
                    return r.value();
                }
            }).awaitParked();
            a.close();
            assertThat(third.handle.join(Duration.ofSeconds(5))).isZero();
            b.close();
            assertThat(lock.availablePermits()).isEqualTo(2);
        }
        assertThatThrownBy(() -> new RwLock<>(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void downgradeLetsReadersInButNoWriter() {
        try (Runtime rt = runtime()) {
            var lock = new RwLock<>(0);
            var w = lock.tryWrite();
            w.value(5);
            var reader = spawn(rt, () -> {
                try (var r = lock.read()) {
                    return r.value();
                }
            }).awaitParked();
            var r = w.downgrade();
            assertThat(w.isClosed()).isTrue();
            assertThatThrownBy(w::value).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(w::downgrade).isInstanceOf(IllegalStateException.class);
            w.close(); // no effect after downgrade
            assertThat(reader.handle.join(Duration.ofSeconds(5))).isEqualTo(5);
            assertThat(r.value()).isEqualTo(5);
            assertThat(lock.tryWrite()).as("the downgraded reader still excludes writers").isNull();
            r.close();
            assertThat(lock.availablePermits()).isEqualTo(lock.maxReaders());
        }
    }

    @Test
    void guardsAreIdempotentAndThrowOnceClosed() {
        var lock = new RwLock<>(1);
        var r = lock.tryRead();
        r.close();
        r.close();
        assertThatThrownBy(r::value).isInstanceOf(IllegalStateException.class);
        var w = lock.tryWrite();
        w.close();
        w.close();
        assertThatThrownBy(() -> w.value(2)).isInstanceOf(IllegalStateException.class);
        assertThat(lock.availablePermits()).isEqualTo(lock.maxReaders());
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void timeoutsElapse() {
        try (Runtime rt = runtime()) {
            var lock = new RwLock<>(0);
            var w = lock.tryWrite();
            rt.blockOn(() -> {
                assertThatThrownBy(() -> lock.read(Duration.ofMillis(30))).isInstanceOf(ElapsedException.class);
                assertThatThrownBy(() -> lock.write(Duration.ofMillis(30))).isInstanceOf(ElapsedException.class);
                return null;
            });
            w.close();
            var r = lock.tryRead();
            rt.blockOn(() -> {
                assertThatThrownBy(() -> lock.write(Duration.ofMillis(30))).isInstanceOf(ElapsedException.class);
                try (var r2 = lock.read(Duration.ofMillis(30))) {
                    return r2.value();
                }
            });
            r.close();
            assertThat(lock.availablePermits()).isEqualTo(lock.maxReaders());
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void abortedQueuedWriterLetsTheReadersBehindItIn() {
        try (Runtime rt = runtime()) {
            var lock = new RwLock<>(0, 4);
            var r1 = lock.tryRead();
            var r2 = lock.tryRead();
            var writer = spawn(rt, () -> lock.write()).awaitParked();
            // The writer at the head has collected the 2 free permits; a later reader waits behind it.
            assertThat(lock.availablePermits()).isZero();
            var reader = spawn(rt, () -> {
                try (var r = lock.read()) {
                    return r.value();
                }
            }).awaitParked();
            writer.abortAndAssertCancelled();
            assertThat(reader.handle.join(Duration.ofSeconds(5))).isZero();
            r1.close();
            r2.close();
            assertThat(lock.availablePermits()).as("every permit is back").isEqualTo(4);
        }
    }

    @Test
    void abortedReaderLeavesNothingHeld() {
        try (Runtime rt = runtime()) {
            var lock = new RwLock<>(0);
            var w = lock.tryWrite();
            var reader = spawn(rt, () -> lock.read()).awaitParked();
            reader.abortAndAssertCancelled();
            w.close();
            assertThat(lock.availablePermits()).isEqualTo(lock.maxReaders());
            assertThat(lock.tryWrite()).isNotNull();
        }
    }

    @Test
    void selectArmsTakeReadOrWriteOnlyWhenTheyWin() {
        try (Runtime rt = runtime()) {
            var lock = new RwLock<>(3, 8);
            @SuppressWarnings("unchecked")
            RwLock.WriteGuard<Integer>[] wout = new RwLock.WriteGuard[1];
            @SuppressWarnings("unchecked")
            RwLock.ReadGuard<Integer>[] rout = new RwLock.ReadGuard[1];
            var r = lock.tryRead();
            var token = new CancellationToken();
            var p = spawn(rt, () -> SyncTests.select(lock.writeArm(wout), token.arm())).awaitParked();
            token.cancel();
            assertThat(p.handle.join(Duration.ofSeconds(5))).isEqualTo(1);
            assertThat(wout[0]).isNull();
            r.close();
            assertThat(lock.availablePermits()).as("the losing write arm returned what it collected").isEqualTo(8);
            assertThat(SyncTests.select(lock.readArm(rout))).isZero();
            assertThat(rout[0].value()).isEqualTo(3);
            rout[0].close();
            assertThat(SyncTests.select(lock.writeArm(wout))).isZero();
            wout[0].close();
            assertThat(lock.availablePermits()).isEqualTo(8);
        }
    }
}
