package io.weft.internal.sync;

/**
 * How {@code Select} (in {@code io.weft}) reaches the package-private Select hooks of the primitives
 * in {@code io.weft.sync}: that package registers one implementation at class initialisation (the
 * JDK's SharedSecrets pattern), so the hooks stay out of the public API.
 */
public abstract class SyncArms {
    private static volatile SyncArms instance;

    /**
     * Registers the implementation; called once by {@code io.weft.sync}.
     *
     * @param arms the implementation
     */
    public static void register(SyncArms arms) {
        instance = arms;
    }

    /** {@return the implementation, loading {@code io.weft.sync} if needed} */
    public static SyncArms get() {
        SyncArms a = instance;
        if (a == null) {
            try {
                Class.forName("io.weft.sync.SelectSupport", true, SyncArms.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = instance;
        }
        return a;
    }

    /**
     * An arm that receives from a channel receiver.
     *
     * @param receiver an Mpsc, Oneshot or Broadcast receiver
     * @param out receives the value (null at the end of the channel)
     * @return the arm
     */
    public abstract SelectArm recv(Object receiver, Object[] out);

    /**
     * An arm ready when a Notify is notified.
     *
     * @param notify the Notify
     * @return the arm
     */
    public abstract SelectArm notified(Object notify);

    /**
     * An arm ready when a CancellationToken is cancelled.
     *
     * @param token the token
     * @return the arm
     */
    public abstract SelectArm cancelled(Object token);

    /**
     * An arm that acquires semaphore permits.
     *
     * @param semaphore the semaphore
     * @param n permits
     * @param out receives the permit
     * @return the arm
     */
    public abstract SelectArm acquire(Object semaphore, int n, Object[] out);

    /**
     * An arm ready when a watch receiver sees a newer value.
     *
     * @param receiver the watch receiver
     * @return the arm
     */
    public abstract SelectArm changed(Object receiver);
}
