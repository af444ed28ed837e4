package io.weft.examples.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The echo benchmark's paired-by-round summary: ratios per round, their median, p99 wins. */
class EchoBenchTableTest {
    private static EchoLoad.Result result(double perSecond, long p99Micros) {
        return new EchoLoad.Result((long) (perSecond * 5), 5, 1_000, p99Micros * 1_000, 2 * p99Micros * 1_000, 0, -1);
    }

    @Test
    void ratiosArePairedRoundByRoundNotMedianAgainstMedian() {
        Map<String, List<EchoLoad.Result>> results = new LinkedHashMap<>();
        // The machine swings: round 2 is slow for everyone. Weft is 0.9, 0.95 and 1.2 of Netty by round.
        results.put("weft/64", List.of(result(90_000, 1_000), result(57_000, 3_000), result(120_000, 900)));
        results.put("jdk/64", List.of(result(100_000, 2_000), result(50_000, 2_500), result(100_000, 1_500)));
        results.put("netty/64", List.of(result(100_000, 1_200), result(60_000, 4_000), result(100_000, 800)));

        String table = EchoBench.paired(results, new int[] {64}, List.of("weft", "jdk", "netty"));

        assertThat(table).contains("| 64 | weft | 0.90, 1.14, 1.20 | 1.14 | 0.90, 0.95, 1.20 | 0.95 | 0.83, 1.20, 1.13 | 1 of 3 |");
        assertThat(table).doesNotContain("| 64 | jdk |").doesNotContain("| 64 | netty |");
    }

    @Test
    void aMissingBaselineGivesDashesNotAnError() {
        Map<String, List<EchoLoad.Result>> results = new LinkedHashMap<>();
        results.put("weft/64", List.of(result(90_000, 1_000), result(80_000, 1_000)));
        results.put("weft+x=y/64", List.of(result(70_000, 1_000), result(60_000, 1_000)));

        String table = EchoBench.paired(results, new int[] {64}, List.of("weft", "weft+x=y"));

        assertThat(table).contains("| 64 | weft | –, – | – | –, – | – | –, – | – |")
            .contains("| 64 | weft+x=y | –, – | – |");
    }

    @Test
    void withOneBaselineTheP99IsComparedWithThatOne() {
        Map<String, List<EchoLoad.Result>> results = new LinkedHashMap<>();
        results.put("weft/1024", List.of(result(90_000, 1_000), result(80_000, 2_000)));
        results.put("netty/1024", List.of(result(100_000, 2_000), result(100_000, 1_000)));

        String table = EchoBench.paired(results, new int[] {1024}, List.of("weft", "netty"));

        assertThat(table).contains("| 1024 | weft | –, – | – | 0.90, 0.80 | 0.85 | 0.50, 2.00 | 1 of 2 |");
    }

    @Test
    void medianSkipsRoundsWithoutAPartner() {
        assertThat(EchoBench.median(new double[] {3, Double.NaN, 1, 2})).isEqualTo(2);
        assertThat(EchoBench.median(new double[] {4, 1, 2, 3})).isEqualTo(2.5);
        assertThat(EchoBench.median(new double[] {Double.NaN})).isNaN();
    }
}
