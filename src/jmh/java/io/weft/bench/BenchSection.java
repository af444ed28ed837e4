package io.weft.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Where a benchmark class goes in {@code docs/benchmarks.md}: one section, one table, one chart.
 *
 * {@snippet :
 * @BenchSection(title = "Runtime", chart = "rt", source = "benches/rt_multi_threaded.rs")
 * public class RtMultiThreadedBench extends AbstractBench { ... }
 * }
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface BenchSection {
    /** {@return the section heading} */
    String title();

    /** {@return the chart's file name stem: {@code docs/bench-<chart>.svg}} */
    String chart();

    /** {@return the Tokio bench file the class ports, or empty} */
    String source() default "";

    /** {@return a paragraph introducing the section} */
    String summary() default "";

    /**
     * {@return column headings for the executor or {@code impl} values, as {@code "value=Label"};
     * values not listed keep the report's defaults}
     */
    String[] labels() default {};

    /**
     * {@return the executor or {@code impl} values Weft is compared with: one "Weft / …" ratio column
     * each; empty for the default ({@code jdk-virtual} or {@code jdk}, whichever ran)}
     */
    String[] baselines() default {};
}
