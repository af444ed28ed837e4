package io.weft.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How many units of work one invocation of a benchmark method does, for the report.
 *
 * <p>JMH measures each invocation as one operation (a batch: 10 000 spawns, 200 000 yields…). The
 * report divides by {@link #count()} to show nanoseconds per {@link #unit()}, which is what Tokio's
 * and the design notes' tables show. The score stays per batch in JMH's own output and JSON.
 *
 * {@snippet :
 * @Benchmark
 * @PerOp(count = 10_000, unit = "spawn")
 * public void spawnManyRemoteIdle() { ... }
 * }
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface PerOp {
    /**
     * {@return units of work per invocation; multiplied by the value of {@link #countParam()} if that
     * is set}
     */
    int count();

    /**
     * {@return the name of a numeric {@code @Param} whose value multiplies {@link #count()} (100 000
     * sleepers make 100 000 sleeps), or empty}
     */
    String countParam() default "";

    /** {@return the row's name in the report; empty for the method's name in snake case, Tokio's} */
    String name() default "";

    /** {@return what one unit is: "spawn", "yield", "round trip"} */
    String unit();

    /** {@return a one-line description for the report's table} */
    String what() default "";

    /** {@return a note shown under the report's table (a deviation from Tokio, a skipped executor)} */
    String note() default "";

    /** {@return where the row goes in the report's table, smallest first (then by name)} */
    int order() default Integer.MAX_VALUE;
}
