package io.weft.examples.http;

import java.util.logging.Level;
import java.util.logging.Logger;

/** Keeps Helidon's start-up and per-listener INFO lines out of the examples' output. */
final class Logs {
    private Logs() {}

    /** Held here: java.util.logging keeps loggers weakly, and a collected logger forgets its level. */
    private static final Logger HELIDON = Logger.getLogger("io.helidon");

    static void quietHelidon() {
        HELIDON.setLevel(Level.WARNING);
    }
}
