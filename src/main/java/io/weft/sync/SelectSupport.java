package io.weft.sync;

import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.SyncArms;

/** Gives {@code io.weft.Select} the package-private Select hooks of this package's primitives. */
final class SelectSupport extends SyncArms {
    static {
        SyncArms.register(new SelectSupport());
    }

    private SelectSupport() {}

    @Override
    public SelectArm recv(Object receiver, Object[] out) {
        if (receiver instanceof Mpsc.Receiver<?> r) {
            return r.arm(out);
        }
        if (receiver instanceof Oneshot.Receiver<?> r) {
            return r.arm(out);
        }
        if (receiver instanceof Broadcast.Receiver<?> r) {
            return r.arm(out);
        }
        throw new IllegalArgumentException("not a receiver Select can wait on: " + receiver);
    }

    @Override
    public SelectArm notified(Object notify) {
        return ((Notify) notify).arm();
    }

    @Override
    public SelectArm cancelled(Object token) {
        return ((CancellationToken) token).arm();
    }

    @Override
    public SelectArm acquire(Object semaphore, int n, Object[] out) {
        Semaphore.Permit[] permit = new Semaphore.Permit[1];
        SelectArm inner = ((Semaphore) semaphore).arm(n, permit);
        return new SelectArm() {
            @Override
            public boolean poll(io.weft.internal.sync.Waiter claimed) {
                boolean done = inner.poll(claimed);
                if (done) {
                    out[0] = permit[0];
                }
                return done;
            }

            @Override
            public void register(io.weft.internal.sync.Waiter w) {
                inner.register(w);
            }

            @Override
            public void deregister(io.weft.internal.sync.Waiter w) {
                inner.deregister(w);
            }

            @Override
            public void forward(io.weft.internal.sync.Waiter w) {
                inner.forward(w);
            }
        };
    }

    @Override
    public SelectArm changed(Object receiver) {
        return ((Watch.Receiver<?>) receiver).arm();
    }
}
