package io.weft.internal.runtime;

import java.lang.management.ManagementFactory;
import jdk.management.VirtualThreadSchedulerMXBean;

/**
 * Tells whether the JDK default virtual-thread scheduler has nothing to run, for auto-advance of
 * paused time when Weft runs on the fallback scheduler. Uses the JDK's own
 * {@link VirtualThreadSchedulerMXBean} (JDK 24 and later); it covers every virtual thread of the JVM
 * on the default scheduler, which is what a test that pauses time runs.
 */
final class DefaultSchedulerProbe {
    private DefaultSchedulerProbe() {}

    private static final VirtualThreadSchedulerMXBean BEAN = load();

    private static VirtualThreadSchedulerMXBean load() {
        try {
            return ManagementFactory.getPlatformMXBean(VirtualThreadSchedulerMXBean.class);
        } catch (Throwable t) {
            return null;
        }
    }

    static boolean idle() {
        VirtualThreadSchedulerMXBean b = BEAN;
        return b != null && b.getMountedVirtualThreadCount() == 0 && b.getQueuedVirtualThreadCount() == 0;
    }
}
