package io.weft.runtime;

import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Runtime.Builder}: validation and every setting [Tokio: runtime::Builder]. */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class BuilderTest {

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void invalidSettingsAreRejected(RuntimeFlavor flavor) {
        Runtime.Builder b = WeftTesting.builder(flavor);
        assertThatThrownBy(() -> b.workerThreads(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
        assertThatThrownBy(() -> b.workerThreads(-3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.maxBlockingThreads(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.threadKeepAlive(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.threadKeepAlive(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.globalQueueInterval(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.eventInterval(0)).isInstanceOf(IllegalArgumentException.class);
        for (int bad : new int[] {0, 2, 3, 6, 100, -4}) {
            assertThatThrownBy(() -> b.localQueueCapacity(bad)).as("capacity %d", bad)
                .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> b.shutdownTimeout(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.threadName(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> b.unhandledException(null)).isInstanceOf(NullPointerException.class);
        // A rejected setting leaves the builder usable.
        try (Runtime rt = WeftTesting.build(b)) {
            assertThat(rt.blockOn(() -> 1)).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void everyTuningSettingStillRunsTasksCorrectly(RuntimeFlavor flavor) {
        try (Runtime rt = WeftTesting.build(WeftTesting.builder(flavor)
                .globalQueueInterval(1)
                .eventInterval(1)
                .disableLifoSlot()
                .localQueueCapacity(4)
                .maxBlockingThreads(1)
                .threadKeepAlive(Duration.ofMillis(50))
                .startPaused(false)
                .shutdownTimeout(Duration.ZERO))) {
            long sum = rt.blockOn(() -> {
                List<JoinHandle<Integer>> hs = new ArrayList<>();
                for (int i = 0; i < 1_000; i++) {
                    int k = i;
                    hs.add(Task.spawn(() -> {
                        Task.yieldNow();
                        return k;
                    }));
                }
                long s = 0;
                for (JoinHandle<Integer> h : hs) {
                    s += h.join();
                }
                return s + Task.spawnBlocking(() -> 0).join();
            });
            assertThat(sum).isEqualTo(999L * 1000 / 2);
        }
    }

    @Test
    void defaultsAndFlavours() {
        try (Runtime rt = Runtime.create()) {
            assertThat(rt.flavor()).isEqualTo(RuntimeFlavor.MULTI_THREAD);
            assertThat(rt.blockOn(() -> "hello")).isEqualTo("hello");
            if (weftScheduler()) {
                assertThat(rt.metrics().workerCount()).isEqualTo(java.lang.Runtime.getRuntime().availableProcessors());
                assertThat(rt.blockOn(WeftTesting::carrierName)).startsWith("weft-worker-");
            }
        }
        try (Runtime rt = WeftTesting.build(Runtime.builderCurrentThread().workerThreads(4))) {
            assertThat(rt.flavor()).isEqualTo(RuntimeFlavor.CURRENT_THREAD);
            if (weftScheduler()) {
                assertThat(rt.metrics().workerCount()).as("workerThreads is ignored by current-thread").isEqualTo(1);
            }
        }
        try (Runtime rt = Runtime.builder().workerThreads(3).build()) {
            assertThat(rt.metrics().workerCount()).isEqualTo(weftScheduler() ? 3 : 0);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void threadHooksRunOnBlockingThreadsAndThrowingHooksHurtNothing(RuntimeFlavor flavor) {
        Set<String> started = ConcurrentHashMap.newKeySet();
        Set<String> stopped = ConcurrentHashMap.newKeySet();
        Runtime rt = WeftTesting.build(WeftTesting.builder(flavor)
            .onThreadStart(() -> {
                started.add(Thread.currentThread().getName());
                throw new IllegalStateException("start hook throws");
            })
            .onThreadStop(() -> {
                stopped.add(Thread.currentThread().getName());
                throw new IllegalStateException("stop hook throws");
            })
            .onThreadPark(() -> { throw new IllegalStateException("park hook throws"); })
            .onThreadUnpark(() -> { throw new IllegalStateException("unpark hook throws"); }));
        String blocking = rt.spawnBlocking(() -> Thread.currentThread().getName()).join();
        for (int i = 0; i < 20; i++) {
            assertThat(rt.spawn(() -> 1).join()).isEqualTo(1);
        }
        rt.close();
        assertThat(started).contains(blocking);
        assertThat(stopped).contains(blocking);
        if (weftScheduler()) {
            assertThat(started).anyMatch(n -> n.startsWith("weft-worker-"));
            assertThat(stopped).containsAll(started);
        } else {
            assertThat(started).containsExactly(blocking);
        }
    }
}
