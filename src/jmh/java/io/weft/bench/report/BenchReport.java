package io.weft.bench.report;

import io.weft.bench.BenchExecutor;
import io.weft.bench.BenchSection;
import io.weft.bench.PerOp;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.annotations.Param;

/**
 * Renders a JMH JSON result into {@code docs/benchmarks.md} (one section and table per benchmark class)
 * and one SVG bar chart per class ({@code docs/bench-<chart>.svg}). Run by {@code scripts/bench}.
 *
 * <p>Scores are per invocation (a batch) in JMH; the tables divide by {@link PerOp#count()} (times the
 * value of {@link PerOp#countParam()}) to show nanoseconds per spawn, yield, message or sleep, with
 * JMH's 99.9 % confidence half-width when it has one.
 *
 * <p>Columns: one per value of the {@code executor} parameter ({@link io.weft.bench.AbstractBench}) or of the
 * {@code impl} parameter ({@link io.weft.bench.VersusJdkBench}), in the order the class declares them,
 * then one "Weft / …" ratio per baseline ({@link BenchSection#baselines()}). Any other parameter
 * ({@code sleepers}) splits a benchmark into one row per value.
 *
 * <p>The memory check ({@code io.weft.bench.time.MillionSleepers}, a plain main run by
 * {@code scripts/bench}) writes small JSON files; {@code --memory a.json,b.json} renders them as a
 * section of its own.
 *
 * <p>Merging: the Markdown file keeps whatever comes before the first {@code <!-- bench:begin ... -->}
 * marker (a hand-written preamble) and every section of a class this run did not measure; the sections
 * of the classes in this run are replaced, or added if new; sections are sorted by class name. So {@code SyncMpscBench} run alone adds or
 * replaces its own section next to the runtime one.
 *
 * <pre>
 * usage: BenchReport [--json target/jmh-result.json] [--memory a.json,b.json] --md docs/benchmarks.md
 *                    --svg-dir docs --command "scripts/bench --quick" [--jmh "org.openjdk.jmh.Main …"]
 *                    [--selection REGEX] [--load "0.52 0.61 0.40"] [--rev "abc1234"]
 * </pre>
 */
public final class BenchReport {
    private static final String BEGIN = "<!-- bench:begin ";
    private static final String END = "<!-- bench:end ";
    private static final String MEMORY_SECTION = "io.weft.bench.time.MillionSleepers";
    private static final List<String> EXECUTOR_ORDER =
        List.of(BenchExecutor.WEFT, BenchExecutor.JDK_VIRTUAL, BenchExecutor.PLATFORM_POOL);
    private static final Map<String, String> DEFAULT_LABEL = Map.of(
        BenchExecutor.WEFT, "Weft",
        BenchExecutor.JDK_VIRTUAL, "JDK virtual",
        BenchExecutor.PLATFORM_POOL, "platform pool",
        "jdk", "JDK");
    private static final String WEFT_COLOR = "#2b6cb0";
    private static final Map<String, String> EXECUTOR_COLOR = Map.of(
        BenchExecutor.JDK_VIRTUAL, "#dd8a2b",
        BenchExecutor.PLATFORM_POOL, "#8c8c8c");
    /** Colours for the other columns, in order. */
    private static final List<String> PALETTE = List.of("#dd8a2b", "#8c8c8c", "#59a14f", "#b07aa1", "#9c755f");

    private BenchReport() {}

    /** One (benchmark, executor) result, scaled to nanoseconds per unit. */
    record Cell(double ns, double errNs, long stalls, long batches) {}

    /**
     * One benchmark method with one value of each extra parameter: its cells by executor.
     *
     * @param variant the extra parameters, {@code "sleepers=100000"}, or empty
     */
    record Row(String method, String variant, PerOp perOp, Map<String, Cell> cells) {
        String tokioName() {
            String base = perOp != null && !perOp.name().isEmpty() ? perOp.name() : snake(method);
            return variant.isEmpty() ? base : base + " " + variant;
        }

        String unit() {
            return perOp != null ? perOp.unit() : "op";
        }
    }

    /** One benchmark class's results, plus what the run looked like. */
    record Section(String className, BenchSection meta, List<Row> rows, List<String> executors,
                   Map<String, Object> sample) {
        String label(String executor) {
            for (String l : meta.labels()) {
                int eq = l.indexOf('=');
                if (eq > 0 && l.substring(0, eq).equals(executor)) {
                    return l.substring(eq + 1);
                }
            }
            return DEFAULT_LABEL.getOrDefault(executor, executor);
        }

        String color(String executor) {
            if (executor.equals(BenchExecutor.WEFT)) {
                return WEFT_COLOR;
            }
            String c = EXECUTOR_COLOR.get(executor);
            if (c != null) {
                return c;
            }
            List<String> others = executors.stream().filter(e -> !e.equals(BenchExecutor.WEFT)).toList();
            return PALETTE.get(Math.max(0, others.indexOf(executor)) % PALETTE.size());
        }

        /** {@return the columns Weft is compared with, among those that ran} */
        List<String> baselines() {
            if (!executors.contains(BenchExecutor.WEFT)) {
                return List.of();
            }
            if (meta.baselines().length > 0) {
                return Arrays.stream(meta.baselines()).filter(executors::contains).toList();
            }
            for (String b : List.of(BenchExecutor.JDK_VIRTUAL, "jdk")) {
                if (executors.contains(b)) {
                    return List.of(b);
                }
            }
            return List.of();
        }
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value pairs, got " + args[i]);
            }
            opt.put(args[i].substring(2), args[i + 1]);
        }
        Path md = Path.of(req(opt, "md"));
        Path svgDir = Path.of(opt.getOrDefault("svg-dir", md.getParent() == null ? "." : md.getParent().toString()));
        List<Section> sections = new ArrayList<>();
        String jsonOpt = opt.getOrDefault("json", "");
        if (!jsonOpt.isEmpty()) {
            Path json = Path.of(jsonOpt);
            sections = read(json);
            if (sections.isEmpty()) {
                throw new IllegalStateException(json + " holds no results");
            }
        }
        List<Map<String, Object>> memory = new ArrayList<>();
        for (String f : opt.getOrDefault("memory", "").split(",")) {
            if (!f.isBlank()) {
                memory.add(Json.obj(Json.parse(Files.readString(Path.of(f.trim())))));
            }
        }
        if (sections.isEmpty() && memory.isEmpty()) {
            throw new IllegalArgumentException("nothing to render: give --json and/or --memory");
        }
        Files.createDirectories(svgDir);
        Map<String, String> rendered = new LinkedHashMap<>();
        for (Section s : sections) {
            String chartFile = "bench-" + s.meta().chart() + ".svg";
            Files.writeString(svgDir.resolve(chartFile), svg(s));
            Path rel = md.toAbsolutePath().getParent().relativize(svgDir.toAbsolutePath().resolve(chartFile));
            rendered.put(s.className(), markdown(s, rel.toString(), opt));
            System.out.println("wrote " + svgDir.resolve(chartFile));
        }
        if (!memory.isEmpty()) {
            rendered.put(MEMORY_SECTION, memoryMarkdown(memory, opt));
        }
        Files.createDirectories(md.toAbsolutePath().getParent());
        Files.writeString(md, merge(Files.exists(md) ? Files.readString(md) : null, rendered));
        System.out.println("wrote " + md);
        for (Section s : sections) {
            System.out.println();
            System.out.println("## " + s.meta().title());
            System.out.print(table(s));
        }
        if (!memory.isEmpty()) {
            System.out.println();
            System.out.print(memoryTable(memory));
        }
    }

    private static String req(Map<String, String> opt, String k) {
        String v = opt.get(k);
        if (v == null) {
            throw new IllegalArgumentException("missing --" + k);
        }
        return v;
    }

    // ---- reading ----------------------------------------------------------------------------------

    /** The parameter that names the columns: {@code executor} or {@code impl}. */
    private static final List<String> COLUMN_PARAMS = List.of("executor", "impl");

    static List<Section> read(Path json) throws IOException {
        Map<String, Map<String, Row>> byClass = new LinkedHashMap<>();
        Map<String, Map<String, Object>> samples = new LinkedHashMap<>();
        Map<String, List<String>> executors = new LinkedHashMap<>();
        for (Object o : Json.arr(Json.parse(Files.readString(json)))) {
            Map<String, Object> r = Json.obj(o);
            String bench = (String) r.get("benchmark");
            int dot = bench.lastIndexOf('.');
            String cls = bench.substring(0, dot);
            String method = bench.substring(dot + 1);
            Map<String, Object> params = Json.obj(r.get("params"));
            String executor = "-";
            Map<String, String> others = new TreeMap<>();
            for (var p : params.entrySet()) {
                if (COLUMN_PARAMS.contains(p.getKey())) {
                    executor = String.valueOf(p.getValue());
                } else {
                    others.put(p.getKey(), String.valueOf(p.getValue()));
                }
            }
            PerOp perOp = perOp(cls, method);
            double count = perOp != null ? perOp.count() : 1;
            if (perOp != null && !perOp.countParam().isEmpty()) {
                count *= Double.parseDouble(String.valueOf(params.get(perOp.countParam())));
            }
            String variant = String.join(", ", others.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
            Map<String, Object> pm = Json.obj(r.get("primaryMetric"));
            double toNs = nsPer(String.valueOf(pm.get("scoreUnit"))) / count;
            Map<String, Object> sec = Json.obj(r.get("secondaryMetrics"));
            Cell cell = new Cell(Json.num(pm.get("score")) * toNs, Json.num(pm.get("scoreError")) * toNs,
                rawSum(sec.get("stalls")), rawSum(sec.get("batches")));
            byClass.computeIfAbsent(cls, k -> new LinkedHashMap<>())
                .computeIfAbsent(method + "|" + variant, k -> new Row(method, variant, perOp, new LinkedHashMap<>()))
                .cells().put(executor, cell);
            samples.putIfAbsent(cls, r);
            List<String> ex = executors.computeIfAbsent(cls, k -> new ArrayList<>());
            if (!ex.contains(executor)) {
                ex.add(executor);
            }
        }
        List<Section> out = new ArrayList<>();
        for (var e : byClass.entrySet()) {
            List<Row> rows = new ArrayList<>(e.getValue().values());
            rows.sort(Comparator.<Row>comparingInt(r -> r.perOp() != null ? r.perOp().order() : Integer.MAX_VALUE)
                .thenComparing(Row::method)
                .thenComparing(Row::variant, BenchReport::natural));
            List<String> declared = declaredColumns(e.getKey());
            List<String> ex = executors.get(e.getKey());
            ex.sort(Comparator.comparingInt((String x) -> order(x, declared)));
            out.add(new Section(e.getKey(), section(e.getKey()), rows, ex, samples.get(e.getKey())));
        }
        return out;
    }

    /** Compares "sleepers=1" and "sleepers=100000" by their numbers where both are numbers. */
    static int natural(String a, String b) {
        String na = a.replaceAll("[^0-9]", "");
        String nb = b.replaceAll("[^0-9]", "");
        String ta = a.replaceAll("[0-9]", "");
        String tb = b.replaceAll("[0-9]", "");
        if (ta.equals(tb) && !na.isEmpty() && !nb.isEmpty() && na.length() != nb.length()) {
            return Integer.compare(na.length(), nb.length());
        }
        return a.compareTo(b);
    }

    private static int order(String executor, List<String> declared) {
        int i = declared.indexOf(executor);
        if (i >= 0) {
            return i;
        }
        i = EXECUTOR_ORDER.indexOf(executor);
        return i < 0 ? 100 : 50 + i;
    }

    /** {@return the values of the class's {@code impl} or {@code executor} parameter, as declared} */
    private static List<String> declaredColumns(String cls) {
        try {
            for (Class<?> c = Class.forName(cls); c != null; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    Param p = f.getAnnotation(Param.class);
                    if (p != null && COLUMN_PARAMS.contains(f.getName())) {
                        return List.of(p.value());
                    }
                }
            }
        } catch (ClassNotFoundException e) {
            // Rendering a result from another build: fall back to the default order.
        }
        return List.of();
    }

    /** Sums an {@code EVENTS} aux counter over every iteration of every fork. */
    private static long rawSum(Object metric) {
        long sum = 0;
        for (Object fork : Json.arr(Json.obj(metric).get("rawData"))) {
            for (Object v : Json.arr(fork)) {
                double d = Json.num(v);
                if (!Double.isNaN(d)) {
                    sum += Math.round(d);
                }
            }
        }
        return sum;
    }

    private static double nsPer(String unit) {
        return switch (unit) {
            case "ns/op" -> 1;
            case "us/op" -> 1e3;
            case "ms/op" -> 1e6;
            case "s/op" -> 1e9;
            default -> throw new IllegalArgumentException("unsupported score unit " + unit + " (use AverageTime)");
        };
    }

    private static PerOp perOp(String cls, String method) {
        try {
            for (Method m : Class.forName(cls).getMethods()) {
                if (m.getName().equals(method) && m.isAnnotationPresent(PerOp.class)) {
                    return m.getAnnotation(PerOp.class);
                }
            }
        } catch (ClassNotFoundException e) {
            // Rendering a result from another build: fall back to per-invocation figures.
        }
        return null;
    }

    private static BenchSection section(String cls) {
        try {
            BenchSection s = Class.forName(cls).getAnnotation(BenchSection.class);
            if (s != null) {
                return s;
            }
        } catch (ClassNotFoundException e) {
            // fall through
        }
        String simple = cls.substring(cls.lastIndexOf('.') + 1);
        return new BenchSection() {
            @Override public String title() { return simple; }
            @Override public String chart() { return simple.toLowerCase(Locale.ROOT); }
            @Override public String source() { return ""; }
            @Override public String summary() { return ""; }
            @Override public String[] labels() { return new String[0]; }
            @Override public String[] baselines() { return new String[0]; }
            @Override public Class<BenchSection> annotationType() { return BenchSection.class; }
        };
    }

    /** {@code spawnManyRemoteBusy1} to Tokio's {@code spawn_many_remote_busy1}. */
    static String snake(String camel) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (i > 0 && Character.isUpperCase(c)) {
                b.append('_');
            }
            b.append(Character.toLowerCase(c));
        }
        return b.toString();
    }

    // ---- Markdown ----------------------------------------------------------------------------------

    static String table(Section s) {
        StringBuilder b = new StringBuilder();
        List<String> baselines = s.baselines();
        b.append("| benchmark | per |");
        for (String e : s.executors()) {
            b.append(' ').append(s.label(e)).append(" ns |");
        }
        for (String base : baselines) {
            b.append(" Weft / ").append(s.label(base)).append(" |");
        }
        b.append("\n|---|---|");
        b.append("---:|".repeat(s.executors().size() + baselines.size()));
        b.append('\n');
        for (Row r : s.rows()) {
            b.append("| `").append(r.tokioName()).append("` | ").append(r.unit()).append(" |");
            for (String e : s.executors()) {
                b.append(' ').append(cellText(r.cells().get(e))).append(" |");
            }
            for (String base : baselines) {
                Cell w = r.cells().get(BenchExecutor.WEFT);
                Cell j = r.cells().get(base);
                String text;
                if (w == null || j == null || !(j.ns() > 0) || Double.isNaN(w.ns())) {
                    text = "–";
                } else if (j.stalls() > 0 || w.stalls() > 0) {
                    text = "– (" + (w.stalls() > 0 ? "Weft" : s.label(base)) + " stalled)";
                } else {
                    text = String.format(Locale.ROOT, "%.2f", w.ns() / j.ns());
                }
                b.append(' ').append(text).append(" |");
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String cellText(Cell c) {
        if (c == null) {
            return "–";
        }
        String t = fmt(c.ns());
        if (!Double.isNaN(c.errNs())) {
            t += " ± " + fmt(c.errNs());
        }
        if (c.stalls() > 0) {
            t += " **stalled " + c.stalls() + " of " + c.batches() + " batches**";
        }
        return t;
    }

    static String fmt(double ns) {
        if (Double.isNaN(ns)) {
            return "NaN";
        }
        if (ns >= 100) {
            return String.format(Locale.ROOT, "%,.0f", ns);
        }
        if (ns >= 10) {
            return String.format(Locale.ROOT, "%.1f", ns);
        }
        return String.format(Locale.ROOT, "%.2f", ns);
    }

    static String markdown(Section s, String chartPath, Map<String, String> opt) {
        BenchSection meta = s.meta();
        Map<String, Object> r = s.sample();
        StringBuilder b = new StringBuilder();
        b.append(BEGIN).append(s.className()).append(" -->\n");
        b.append("## ").append(meta.title()).append("\n\n");
        String simpleName = s.className().substring(s.className().lastIndexOf('.') + 1);
        b.append("Generated by `scripts/bench` from `").append(simpleName).append("`");
        if (!meta.source().isEmpty()) {
            b.append(", a port of Tokio's `").append(meta.source()).append('`');
        }
        b.append(". Do not edit by hand: the next run replaces this section.\n\n");
        if (!meta.summary().isEmpty()) {
            b.append(meta.summary()).append("\n\n");
        }
        String selection = opt.get("selection");
        if (selection != null && !selection.isEmpty()) {
            b.append("**Partial run**: only benchmarks matching `").append(selection).append("`.\n\n");
        }
        b.append("Nanoseconds per unit of work (lower is better), ± the 99.9 % confidence half-width where JMH "
            + "could compute one. A Weft / … ratio below 1 means Weft is faster.\n\n");
        b.append(table(s)).append('\n');
        b.append("![").append(meta.title()).append(": ns per unit, log scale](").append(chartPath).append(")\n\n");
        b.append("What each benchmark does:\n\n");
        List<String> described = new ArrayList<>();
        for (Row row : s.rows()) {
            if (described.contains(row.method())) {
                continue; // one item per method, whatever its extra parameters
            }
            described.add(row.method());
            PerOp p = row.perOp();
            String name = p != null && !p.name().isEmpty() ? p.name() : snake(row.method());
            b.append("- `").append(name).append("` (`").append(row.method()).append("`)");
            if (p != null) {
                if (!p.what().isEmpty()) {
                    b.append(": ").append(p.what());
                }
                b.append("; one op = ").append(String.format(Locale.ROOT, "%,d", p.count()));
                if (!p.countParam().isEmpty()) {
                    b.append(" × `").append(p.countParam()).append('`');
                }
                b.append(' ').append(p.unit())
                    .append(p.count() == 1 && p.countParam().isEmpty() ? "" : "s").append('.');
                if (!p.note().isEmpty()) {
                    b.append(' ').append(p.note());
                }
            }
            b.append('\n');
        }
        b.append('\n');
        b.append("Run:\n\n");
        b.append("- command: `").append(opt.getOrDefault("command", "scripts/bench")).append("`\n");
        if (opt.containsKey("jmh")) {
            b.append("- JMH invocation: `java -cp … ").append(opt.get("jmh")).append("`\n");
        }
        b.append("- JMH ").append(r.get("jmhVersion")).append(", mode ").append(r.get("mode")).append(", ")
            .append(intOf(r.get("forks"))).append(" fork(s) per executor, ")
            .append(intOf(r.get("warmupIterations"))).append(" × ").append(r.get("warmupTime")).append(" warm-up, ")
            .append(intOf(r.get("measurementIterations"))).append(" × ").append(r.get("measurementTime"))
            .append(" measurement\n");
        List<String> jvmArgs = Json.arr(r.get("jvmArgs")).stream().map(String::valueOf).toList();
        b.append("- fork JVM flags: `").append(String.join(" ", jvmArgs)).append("`\n");
        b.append("- JDK: ").append(r.get("jdkVersion")).append(" (").append(r.get("vmName")).append(' ')
            .append(r.get("vmVersion")).append(")\n");
        b.append("- machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs (nproc), ")
            .append(cpuModel()).append(", ").append(System.getProperty("os.name")).append(' ')
            .append(System.getProperty("os.version")).append('\n');
        if (opt.containsKey("rev")) {
            b.append("- Weft: commit ").append(opt.get("rev")).append('\n');
        }
        if (opt.containsKey("load")) {
            b.append("- load average before the run: ").append(opt.get("load")).append('\n');
        }
        String now = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        b.append("- date: ").append(opt.getOrDefault("date", now)).append('\n');
        b.append('\n').append(END).append(s.className()).append(" -->\n");
        return b.toString();
    }

    private static String intOf(Object o) {
        double d = Json.num(o);
        return Double.isNaN(d) ? String.valueOf(o) : String.valueOf((long) d);
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    // ---- memory check ----------------------------------------------------------------------------------

    /** The memory check's table: one row per JSON file (one JVM each). */
    static String memoryTable(List<Map<String, Object>> runs) {
        StringBuilder b = new StringBuilder();
        b.append("| impl | result | tasks asleep at once | live heap, all asleep (after GC) | per task "
            + "| peak heap used | spawn all | full GC | all woken after |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map<String, Object> r : runs) {
            String verdict = String.valueOf(r.getOrDefault("verdict", Boolean.TRUE.equals(r.get("ok")) ? "fits" : "failed"));
            boolean ok = "fits".equals(verdict);
            double tasks = Json.num(r.get("tasks"));
            double asleep = Json.num(r.get("asleep"));
            double live = Json.num(r.get("heapAfterGcBytes"));
            b.append("| ").append(r.getOrDefault("label", r.get("impl"))).append(" | ")
                .append("**").append(verdict).append("**");
            String err = String.valueOf(r.getOrDefault("error", ""));
            if (!ok && !err.isEmpty() && !"null".equals(err)) {
                b.append(": ").append(err.replace("|", "\\\\|").replace("\n", " "));
            }
            b.append(" | ").append(count(asleep)).append(" of ").append(count(tasks))
                .append(" | ").append(mib(live))
                .append(" | ").append(Double.isNaN(live) || !(asleep > 0) ? "–"
                    : String.format(Locale.ROOT, "%,.0f B", live / asleep))
                .append(" | ").append(mib(Json.num(r.get("peakHeapBytes"))))
                .append(" | ").append(millis(Json.num(r.get("spawnMillis"))))
                .append(" | ").append(millis(Json.num(r.get("gcMillis"))))
                .append(" | ").append(millis(Json.num(r.get("wokenMillis"))))
                .append(" |\n");
        }
        return b.toString();
    }

    private static String count(double n) {
        return Double.isNaN(n) ? "–" : String.format(Locale.ROOT, "%,.0f", n);
    }

    private static String mib(double bytes) {
        return Double.isNaN(bytes) ? "–" : String.format(Locale.ROOT, "%,.0f MiB", bytes / (1 << 20));
    }

    private static String millis(double ms) {
        return Double.isNaN(ms) ? "–" : String.format(Locale.ROOT, "%,.0f ms", ms);
    }

    /** The memory check's section of {@code docs/benchmarks.md}. */
    static String memoryMarkdown(List<Map<String, Object>> runs, Map<String, String> opt) {
        Map<String, Object> first = runs.get(0);
        StringBuilder b = new StringBuilder();
        b.append(BEGIN).append(MEMORY_SECTION).append(" -->\n");
        b.append("## Memory: a million sleeping tasks in a 2 GiB heap\n\n");
        b.append("Generated by `scripts/bench` from `MillionSleepers` (a plain `main`, one JVM per row). "
            + "Do not edit by hand: the next run replaces this section.\n\n");
        b.append("Each JVM spawns ").append(count(Json.num(first.get("tasks"))))
            .append(" tasks that each sleep ").append(millis(Json.num(first.get("sleepMillis"))))
            .append(" once, waits until all are asleep, forces a full GC and reads the live heap, then waits "
                + "for every task to wake. Weft: `Time.sleep` in tasks of a Weft runtime (2 workers); JDK: "
                + "`Thread.sleep` in virtual threads on the default scheduler (parallelism 2). Issue target: "
                + "a million sleeping Weft tasks fit in a 2 GiB heap.\n\n");
        b.append(memoryTable(runs)).append('\n');
        b.append("- live heap: `MemoryMXBean` heap used after `System.gc()` with every task asleep; per task = "
            + "that over the tasks asleep (it includes the runtime's and JVM's own baseline).\n");
        b.append("- peak heap used: the sum of the heap pools' peak usage over the run.\n");
        b.append("- full GC: the `System.gc()` before reading the live heap; it stops every task, so \"all woken "
            + "after\" (from the first spawn) includes it.\n");
        b.append("- **fits**: every task was asleep at once and all woke; **failed**: something threw "
            + "(`OutOfMemoryError` included), the JVM died, or tasks never started or never woke within the "
            + "deadlines; **inconclusive**: spawning took longer than the sleep, so the first tasks woke before the "
            + "last slept.\n\n");
        b.append("Run:\n\n");
        b.append("- command: `").append(opt.getOrDefault("command", "scripts/bench")).append("`\n");
        Object args = first.get("jvmArgs");
        if (args != null) {
            b.append("- JVM flags: `").append(args).append("`\n");
        }
        b.append("- JDK: ").append(first.getOrDefault("jdk", "?")).append('\n');
        b.append("- machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs (nproc), ")
            .append(cpuModel()).append(", ").append(System.getProperty("os.name")).append(' ')
            .append(System.getProperty("os.version")).append('\n');
        if (opt.containsKey("rev")) {
            b.append("- Weft: commit ").append(opt.get("rev")).append('\n');
        }
        if (opt.containsKey("load")) {
            b.append("- load average before the run: ").append(opt.get("load")).append('\n');
        }
        String now = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        b.append("- date: ").append(opt.getOrDefault("date", now)).append('\n');
        b.append('\n').append(END).append(MEMORY_SECTION).append(" -->\n");
        return b.toString();
    }

    static final String DEFAULT_PREAMBLE = """
        # Benchmarks

        Weft's JMH benchmarks, ported from Tokio's `benches/`, all with two workers. The runtime benchmarks run
        on three executors: Weft's own carriers (`weft`), the JDK default virtual-thread scheduler at
        parallelism 2 (`jdk-virtual`) and `Executors.newFixedThreadPool(2)` (`platform-pool`). The sync and
        time benchmarks pit a Weft primitive on a Weft runtime against the JDK's nearest equivalent on JDK
        virtual threads (`impl` = `weft`, `jdk`, …), so each ratio compares the whole stack a user would swap.
        The memory check (a million sleeping tasks in a 2 GiB heap) is a plain `main` that `scripts/bench` runs
        with a full run or any regex matching `MillionSleepers` (`time` does).

        Reproduce with `scripts/bench` (full: 3 forks, 5 × 1 s warm-up, 5 × 1 s measurement per column) or
        `scripts/bench --quick` (1 fork, 2 × 1 s, 3 × 1 s: indicative only). `scripts/bench --quick sync`
        runs the benchmarks matching a regex (underscores optional, case ignored); when the regex selects
        whole classes their sections are replaced here and the others kept, otherwise the report goes under
        `target/bench-report/` (or here with `--docs`, marked as a partial run).

        How to read the figures: the machines these run on have 2 cores and other work on them. Figures move
        20-30 % between JVMs (design notes, section 4), so compare columns within one table (one run), and
        trust ratios more than absolute nanoseconds. Quick runs have too few iterations for a confidence
        interval on some rows.

        <!-- Everything above the first "bench:begin" marker is hand-written and kept by scripts/bench;
             each section between "bench:begin" and "bench:end" is regenerated from a run. -->

        """;

    /** Keeps the preamble and other classes' sections; replaces or adds the rendered ones, sorted by class. */
    static String merge(String existing, Map<String, String> rendered) {
        String preamble = DEFAULT_PREAMBLE;
        Map<String, String> sections = new LinkedHashMap<>();
        String tail = "";
        if (existing != null) {
            int first = existing.indexOf(BEGIN);
            if (first < 0) {
                preamble = existing.endsWith("\n") ? existing + "\n" : existing + "\n\n";
            } else {
                preamble = existing.substring(0, first);
                int at = first;
                while (at >= 0 && at < existing.length()) {
                    int nameStart = at + BEGIN.length();
                    int nameEnd = existing.indexOf(" -->", nameStart);
                    String name = existing.substring(nameStart, nameEnd);
                    String endMarker = END + name + " -->\n";
                    int end = existing.indexOf(endMarker, nameEnd);
                    if (end < 0) {
                        throw new IllegalStateException("docs: no end marker for section " + name);
                    }
                    sections.put(name, existing.substring(at, end + endMarker.length()));
                    int next = existing.indexOf(BEGIN, end);
                    if (next < 0) {
                        tail = existing.substring(end + endMarker.length()).strip();
                        break;
                    }
                    at = next;
                }
            }
        }
        sections.putAll(rendered);
        List<String> names = new ArrayList<>(sections.keySet());
        names.sort(null); // by class name: rt, then sync, then time
        StringBuilder b = new StringBuilder(preamble);
        boolean firstSection = true;
        for (String name : names) {
            String text = sections.get(name);
            if (!firstSection) {
                b.append('\n');
            }
            b.append(text);
            firstSection = false;
        }
        if (!tail.isEmpty()) {
            b.append('\n').append(tail).append('\n');
        }
        return b.toString();
    }

    // ---- SVG -------------------------------------------------------------------------------------------

    /** A horizontal grouped bar chart, one group per benchmark, log-scaled ns per unit. */
    static String svg(Section s) {
        final int right = 150;
        int longest = 0;
        for (Row r : s.rows()) {
            longest = Math.max(longest, r.tokioName().length());
        }
        // Row names are monospace at 12 px (about 7.3 px a character): widen the margin, not clip them.
        final int left = Math.max(200, 24 + (int) Math.ceil(7.3 * longest));
        final int width = left + 550 + right;
        final int top = 64;
        final int bar = 14;
        final int gap = 3;
        final int groupGap = 16;
        final List<String> ex = s.executors();
        final int groupHeight = ex.size() * (bar + gap) - gap;
        final int plotHeight = s.rows().size() * (groupHeight + groupGap) - groupGap;
        final int height = top + plotHeight + 56;
        final int plotWidth = width - left - right;

        double min = Double.MAX_VALUE;
        double max = 0;
        for (Row r : s.rows()) {
            for (Cell c : r.cells().values()) {
                if (c.ns() > 0) {
                    min = Math.min(min, c.ns());
                    max = Math.max(max, c.ns());
                }
            }
        }
        if (max == 0) {
            min = 1;
            max = 10;
        }
        final double lo = Math.pow(10, Math.floor(Math.log10(min)));
        final double hi = Math.pow(10, Math.max(Math.ceil(Math.log10(max)), Math.log10(lo) + 1));
        final double span = Math.log10(hi) - Math.log10(lo);

        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
            width, height, width, height));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height));
        b.append(String.format(Locale.ROOT,
            "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", left, esc(s.meta().title())));
        b.append(String.format(Locale.ROOT,
            "<text x=\"%d\" y=\"40\" fill=\"#555\">ns per unit of work, log scale; lower is better</text>\n", left));
        // legend
        int lx = left;
        for (String e : ex) {
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"48\" width=\"12\" height=\"12\" fill=\"%s\"/>", lx,
                s.color(e)));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"58\">%s</text>\n", lx + 16, esc(s.label(e))));
            lx += 34 + 7 * s.label(e).length();
        }
        // grid and axis
        int axisY = top + plotHeight + 8;
        for (double t = lo; t <= hi * 1.0001; t *= 10) {
            double x = left + plotWidth * (Math.log10(t) - Math.log10(lo)) / span;
            b.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, top - 4, x, axisY));
            b.append(String.format(Locale.ROOT,
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n", x, axisY + 16, tick(t)));
        }
        b.append(String.format(Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">ns per unit of work (see the table)</text>\n",
            left + plotWidth / 2, axisY + 34));
        // bars
        int y = top;
        for (Row r : s.rows()) {
            b.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-family=\"DejaVu Sans Mono, monospace\">%s</text>\n",
                left - 8, y + groupHeight / 2 + 4, esc(r.tokioName())));
            for (int i = 0; i < ex.size(); i++) {
                Cell c = r.cells().get(ex.get(i));
                int by = y + i * (bar + gap);
                if (c == null || !(c.ns() > 0)) {
                    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#999\">not run</text>\n",
                        left + 4, by + bar - 3));
                    continue;
                }
                double w = Math.max(1, plotWidth * (Math.log10(c.ns()) - Math.log10(lo)) / span);
                String color = s.color(ex.get(i));
                b.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"%s>"
                        + "<title>%s %s: %s ns per %s</title></rect>\n",
                    left, by, w, bar, color, c.stalls() > 0 ? " stroke=\"#c00\" stroke-width=\"2\"" : "",
                    esc(r.tokioName()), esc(s.label(ex.get(i))), fmt(c.ns()), esc(r.unit())));
                String text = fmt(c.ns()) + (c.stalls() > 0 ? "  stalled " + c.stalls() + "/" + c.batches() : "");
                b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s</text>\n",
                    left + w + 4, by + bar - 3, c.stalls() > 0 ? "#c00" : "#333", esc(text)));
            }
            y += groupHeight + groupGap;
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static String tick(double ns) {
        if (ns >= 1e9) {
            return fmtTick(ns / 1e9) + " s";
        }
        if (ns >= 1e6) {
            return fmtTick(ns / 1e6) + " ms";
        }
        if (ns >= 1e3) {
            return fmtTick(ns / 1e3) + " µs";
        }
        return fmtTick(ns) + " ns";
    }

    private static String fmtTick(double v) {
        return v >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%s", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
