package io.trindle.supervisor.config;

import io.trindle.ipc.BroadcastDescriptor;
import io.trindle.ipc.LaneDescriptor;
import io.trindle.ipc.Rights;
import io.trindle.ipc.TableDescriptor;
import io.trindle.ipc.TableShape;
import io.trindle.supervisor.config.NodeReader.Entry;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns the YAML node tree of one pipeline config into a {@link PipelineConfig}, reporting every problem on the
 * way. Each section is read as far as it can be, with a default standing in for a bad value, so that one mistake
 * does not hide the next; the model is built only when no problem was found.
 *
 * <p>Longer than the ~400 lines a class here should stay under, on purpose: it reads every key of the config format,
 * in the order supervisor/README.md documents them, so the format has one reader to compare with its doc; the
 * checks that span sections live apart ({@link GrantChecker}, {@link HostChecker}, {@link Limits}).
 */
final class ConfigReader
{
    /** Worker, pipe and segment names: they appear in messages, status tables and the journal. */
    static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*");
    static final String NAME_RULE = "a name starts with a letter and holds only letters, digits, '-' and '_'";
    static final String NAME_LENGTH_RULE = "a name is at most " + Limits.MAX_NAME_LENGTH + " characters long";
    static final Pattern PIPELINE_NAME = Pattern.compile("[A-Za-z0-9_-]+");
    static final String PIPELINE_NAME_RULE = "it may hold only letters, digits, '-' and '_'";
    /** Portable environment variable names (POSIX): anything else some shell or program mishandles. */
    static final Pattern ENVIRONMENT_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    static final List<String> TOP_KEYS = List.of("name", "pipes", "segments", "tables", "broadcasts", "workers",
        "metrics", "allocators", "journal", "hosts");
    static final List<String> TABLE_KEYS = List.of("size", "key", "value", "writers");
    static final List<String> BROADCAST_KEYS = List.of("size", "policy");
    static final List<String> BROADCAST_POLICIES = List.of("slowest-reader", "lap");
    static final List<String> JOURNAL_KEYS = List.of("directory");
    static final List<String> HOST_KEYS = List.of("address", "driver");
    static final List<String> PIPE_KEYS = List.of("lane", "partition", "durable");
    static final List<String> SEGMENT_KEYS = List.of("size", "allocator");
    static final List<String> ALLOCATOR_KEYS = List.of("quota");
    static final List<String> WORKER_KEYS = List.of(
        "command", "run", "java", "classpath", "env", "cwd", "replicas", "grants", "restart", "stop-timeout",
        "ready-timeout", "sandbox", "restart-safe", "stdin", "stdout", "ready", "host");
    static final List<String> LAUNCH_KEYS = List.of("command", "run", "java");
    static final List<String> RESTART_KEYS = List.of("policy", "backoff", "intensity");
    static final List<String> METRICS_KEYS = List.of("listen");
    static final List<String> SANDBOX_KEYS =
        List.of("profile", "read-only", "execute", "memory", "cpu", "files", "processes");

    private static final String EXAMPLE_MAIN_CLASS = "io.trindle.samples.wordcount.Reader";

    private final Problems problems;
    private final NodeReader nodes;
    private final Surroundings surroundings;
    /** False when 'pipes' or 'segments' was not a mapping: a grant naming no known object may be right. */
    private boolean objectsKnown = true;
    /** The node of each segment's 'allocator', to report a problem with it where it is written. */
    private final Map<String, Node> segmentAllocators = new LinkedHashMap<>();
    /** False when 'workers' was missing, empty or not a mapping: no pipe can be said to lack a worker. */
    private boolean workersKnown = true;
    /** The node of each pipe's 'lane' and 'durable', to report a pipe that may not cross hosts where it says so. */
    private final Map<String, Node> laneNodes = new LinkedHashMap<>();
    private final Map<String, Node> durableNodes = new LinkedHashMap<>();

    /** @param surroundings what programs and main classes are checked against ({@link LaunchChecker}). */
    ConfigReader(final Problems problems, final Surroundings surroundings)
    {
        this.problems = problems;
        this.nodes = new NodeReader(problems);
        this.surroundings = surroundings;
    }

    /**
     * @param root the document's root node, or {@code null} for a file with no document (empty or only comments).
     * @return the config, or {@code null} if any problem was found.
     */
    PipelineConfig read(final Node root)
    {
        final Path file = problems.file();
        if (root == null)
        {
            problems.add(Position.startOf(file),
                "the file is empty: a pipeline needs a 'workers' mapping with at least one worker");
            return null;
        }
        final List<Entry> top = nodes.mapping(root, "the pipeline", "key", " at the top level");
        if (top == null)
        {
            return null;
        }
        final Map<String, Entry> keys = nodes.keys(top, TOP_KEYS, "at the top level");

        final String name = keys.containsKey("name") ? readName(keys.get("name")) : defaultName(file);
        final Map<String, PipeConfig> pipes = readPipes(keys.get("pipes"));
        final Map<String, SegmentConfig> segments = readSegments(keys.get("segments"));
        checkNoNameIsBoth(pipes, segments);
        final Map<String, TableConfig> tables = readTables(keys.get("tables"));
        final Map<String, AllocatorConfig> allocators = readAllocators(keys.get("allocators"));
        checkAllocatorNames(allocators, pipes, segments);
        checkTableNames(tables, pipes, segments, allocators);
        final Map<String, BroadcastConfig> broadcasts = readBroadcasts(keys.get("broadcasts"));
        checkBroadcastNames(broadcasts, pipes, segments, allocators, tables);
        final boolean misspeltWorkers = top.stream().anyMatch(entry -> !TOP_KEYS.contains(entry.key()) &&
            Suggestions.closest(entry.key(), TOP_KEYS).filter("workers"::equals).isPresent());
        final Map<String, HostConfig> hosts = new LinkedHashMap<>();
        final List<String> hostNames = readHosts(keys.get("hosts"), name, hosts);
        if (keys.containsKey("hosts"))
        {
            broadcasts.values().forEach(broadcast -> problems.add(broadcast.position(), "broadcast '" +
                broadcast.name() + "' in a pipeline across hosts: broadcasts are read through shared memory on one " +
                "machine and do not cross hosts; run its writer and readers in a pipeline of their own"));
        }
        final List<WorkerDraft> workers = readWorkers(keys.get("workers"), root, misspeltWorkers);
        new GrantChecker(nodes, pipes, segments, allocators, tables, broadcasts, objectsKnown).check(workers,
            workersKnown);
        new HostChecker(nodes, hostNames, pipes, segments.keySet(), tables.keySet(), laneNodes, durableNodes)
            .check(workers);
        new LaunchChecker(problems, surroundings).check(workers);
        final MetricsConfig metrics = readMetrics(keys.get("metrics"));
        final JournalConfig journal = readJournal(keys.get("journal"), file);

        if (!problems.isEmpty())
        {
            return null;
        }
        final Map<String, WorkerConfig> workerConfigs = new LinkedHashMap<>();
        for (final WorkerDraft worker : workers)
        {
            workerConfigs.put(worker.name, worker.toConfig());
        }
        final PipelineConfig config = new PipelineConfig(file, name, pipes, segments, workerConfigs, metrics,
            allocators, journal, tables, hosts, null, broadcasts);
        for (final WorkerConfig worker : workerConfigs.values())
        {
            final String refusal = GrantMemory.refusal(config, worker);
            if (refusal != null)
            {
                problems.add(worker.position(), refusal);
            }
        }
        return problems.isEmpty() ? config : null;
    }

    /**
     * @return where the metrics are served, or {@code null} when the config has no {@code metrics} section or it
     *         is wrong (reported).
     */
    private MetricsConfig readMetrics(final Entry section)
    {
        if (section == null)
        {
            return null;
        }
        final List<Entry> entries = nodes.mapping(section.value(), "'metrics'", "key", " in 'metrics'");
        if (entries == null)
        {
            return null;
        }
        final Map<String, Entry> keys = nodes.keys(entries, METRICS_KEYS, "in 'metrics'");
        final Entry listen = keys.get("listen");
        if (listen == null)
        {
            problems.add(section.keyNode(), "'metrics' has no 'listen': give the address to serve them at, e.g. " +
                "metrics: { listen: 127.0.0.1:9464 } (or leave 'metrics' out for none)");
            return null;
        }
        final String text = nodes.text(listen.value(), "'listen' of 'metrics'");
        if (text == null)
        {
            return null;
        }
        try
        {
            return MetricsConfig.parse(text);
        }
        catch (final IllegalArgumentException e)
        {
            problems.add(listen.value(), "'listen' of 'metrics': " + e.getMessage());
            return null;
        }
    }

    /** {@code journal: { directory: DIR }} or {@code journal: none}; {@link JournalConfig#DEFAULT} without it. */
    private JournalConfig readJournal(final Entry section, final Path file)
    {
        final String forms = "write journal: { directory: DIR } to keep it in DIR, or journal: none to keep none " +
            "(without 'journal', it is kept in the run directory)";
        if (section == null)
        {
            return JournalConfig.DEFAULT;
        }
        if (section.value() instanceof ScalarNode scalar && !NodeReader.isNull(scalar))
        {
            if ("none".equals(scalar.getValue()))
            {
                return JournalConfig.NONE;
            }
            problems.add(scalar, "'journal' is '" + scalar.getValue() + "': " + forms);
            return JournalConfig.DEFAULT;
        }
        final List<Entry> entries = nodes.mapping(section.value(), "'journal'", "key", " in 'journal'");
        if (entries == null)
        {
            return JournalConfig.DEFAULT;
        }
        final Map<String, Entry> keys = nodes.keys(entries, JOURNAL_KEYS, "in 'journal'");
        final Entry directory = keys.get("directory");
        if (directory == null)
        {
            if (entries.isEmpty()) // a key that is not 'directory' was said above, with what it may be
            {
                problems.add(section.keyNode(), "'journal' has no 'directory': " + forms);
            }
            return JournalConfig.DEFAULT;
        }
        final String text = nodes.text(directory.value(), "'directory' of 'journal'");
        return text == null ? JournalConfig.DEFAULT :
            new JournalConfig(true, file.toAbsolutePath().normalize().getParent().resolve(text).normalize());
    }

    /**
     * Reads {@code hosts:}, putting each valid host in {@code hosts}.
     *
     * @param pipeline the pipeline's name, which {@code NAME@HOST} must keep within {@link Limits#MAX_NAME_LENGTH}.
     * @return the names of the hosts declared, in file order, valid or not; {@code null} when the config has a
     *         {@code hosts} section that is not a mapping (which hosts it meant is unknown); empty when it has none.
     */
    private List<String> readHosts(final Entry section, final String pipeline, final Map<String, HostConfig> hosts)
    {
        if (section == null)
        {
            return List.of();
        }
        final List<Entry> entries = nodes.mapping(section.value(), "'hosts'", "host", "");
        if (entries == null)
        {
            return null;
        }
        if (entries.isEmpty())
        {
            if (NodeReader.isNull(section.value()) ||
                section.value() instanceof MappingNode mapping && mapping.getValue().isEmpty())
            {
                problems.add(section.keyNode(), "'hosts' is empty: declare each machine the pipeline runs on, e.g. " +
                    "hosts: { a: { address: 10.0.0.1:40101 }, b: { address: 10.0.0.2:40101 } }, or leave 'hosts' " +
                    "out to run it on one machine");
            }
            return null;
        }
        final List<String> names = new ArrayList<>();
        final Map<String, Entry> addresses = new LinkedHashMap<>();
        for (final Entry entry : entries)
        {
            final String name = entry.key();
            names.add(name);
            checkName(entry, "host");
            final String supervisor = pipeline + "@" + name;
            if (pipeline != null && NAME.matcher(name).matches() && name.length() <= Limits.MAX_NAME_LENGTH &&
                supervisor.length() > Limits.MAX_NAME_LENGTH)
            {
                problems.add(entry.keyNode(), "host name '" + name + "' is too long for pipeline '" + pipeline +
                    "': its supervisor is named " + supervisor + ", " + supervisor.length() + " characters, and " +
                    NAME_LENGTH_RULE + "; give the host a shorter name");
            }
            final String what = "host '" + name + "'";
            if (entry.value() instanceof ScalarNode scalar && !NodeReader.isNull(scalar))
            {
                problems.add(scalar, "expected a mapping for " + what + ", found " + NodeReader.describe(scalar) +
                    "; write " + name + ": { address: " + scalar.getValue() + " }");
                continue;
            }
            final List<Entry> settings = nodes.mapping(entry.value(), what, "key", " in " + what);
            if (settings == null)
            {
                continue;
            }
            final Map<String, Entry> keys = nodes.keys(settings, HOST_KEYS, "in " + what);
            String driver = null;
            boolean valid = true;
            if (keys.containsKey("driver"))
            {
                final Node node = keys.get("driver").value();
                driver = nodes.text(node, "'driver' of " + what);
                valid = driver != null;
                try
                {
                    driver = driver == null ? null : HostConfig.driverOf(driver);
                }
                catch (final IllegalArgumentException e)
                {
                    problems.add(node, "'driver' of " + what + ": " + e.getMessage());
                    valid = false;
                }
            }
            final Entry address = keys.get("address");
            if (address == null)
            {
                problems.add(entry.keyNode(), what + " has no 'address': give the HOST:PORT its supervisor receives " +
                    "bridge traffic at, which the other hosts reach it by, e.g. " + name +
                    ": { address: 10.0.0.2:40101 }");
                continue;
            }
            final String text = nodes.text(address.value(), "'address' of " + what);
            if (text == null)
            {
                continue;
            }
            final HostConfig host;
            try
            {
                host = HostConfig.of(name, text, valid ? driver : null, problems.positionOf(entry.keyNode()));
            }
            catch (final IllegalArgumentException e)
            {
                problems.add(address.value(), "'address' of " + what + ": " + e.getMessage());
                continue;
            }
            final Entry first = addresses.putIfAbsent(host.hostname().toLowerCase(Locale.ROOT) + ":" + host.port(),
                entry);
            if (first != null)
            {
                problems.add(address.value(), what + " has the address of host '" + first.key() + "' (" +
                    nodes.placeOf(first.keyNode(), address.value()) + "), " + text + ": each host's supervisor " +
                    "receives bridge traffic at an address of its own; give '" + name + "' another address or port");
            }
            else if (valid)
            {
                hosts.put(name, host);
            }
        }
        return names;
    }

    private String readName(final Entry entry)
    {
        final String name = nodes.text(entry.value(), "'name'");
        if (name != null && !PIPELINE_NAME.matcher(name).matches())
        {
            problems.add(entry.value(), "pipeline name '" + name + "' is not valid: " + PIPELINE_NAME_RULE);
        }
        else if (name != null && name.length() > Limits.MAX_NAME_LENGTH)
        {
            problems.add(entry.value(), "pipeline name '" + name + "' is " + name.length() + " characters long, " +
                "too long: " + NAME_LENGTH_RULE);
        }
        return name;
    }

    private String defaultName(final Path file)
    {
        final Path fileName = file.getFileName();
        final String text = fileName == null ? "" : fileName.toString();
        final String name = text.replaceFirst("\\.(yaml|yml)$", "");
        if (!PIPELINE_NAME.matcher(name).matches())
        {
            problems.add(Position.startOf(file), "the pipeline's name '" + name + "', taken from the file name, " +
                "is not valid: " + PIPELINE_NAME_RULE + "; set one with a top-level 'name:'");
        }
        else if (name.length() > Limits.MAX_NAME_LENGTH)
        {
            problems.add(Position.startOf(file), "the pipeline's name '" + name + "', taken from the file name, " +
                "is " + name.length() + " characters long, too long: " + NAME_LENGTH_RULE + "; set one with a " +
                "top-level 'name:'");
        }
        return name;
    }

    private Map<String, PipeConfig> readPipes(final Entry section)
    {
        final Map<String, PipeConfig> pipes = new LinkedHashMap<>();
        if (section == null)
        {
            return pipes;
        }
        final List<Entry> entries = nodes.mapping(section.value(), "'pipes'", "pipe", "");
        objectsKnown &= entries != null;
        for (final Entry entry : entries == null ? List.<Entry>of() : entries)
        {
            final String name = entry.key();
            checkName(entry, "pipe");
            final String what = "pipe '" + name + "'";
            final List<Entry> settings = nodes.mapping(entry.value(), what, "key", " in " + what);
            int capacity = PipeConfig.DEFAULT_LANE_CAPACITY;
            PipeConfig.Partition partition = PipeConfig.Partition.ROUND_ROBIN;
            boolean durable = false;
            if (settings != null)
            {
                final Map<String, Entry> keys = nodes.keys(settings, PIPE_KEYS, "in " + what);
                if (keys.containsKey("lane"))
                {
                    laneNodes.put(name, keys.get("lane").value());
                    capacity = laneCapacity(keys.get("lane").value(), "'lane' of " + what, capacity);
                }
                if (keys.containsKey("partition"))
                {
                    final String word = nodes.word(keys.get("partition").value(), what, "partition",
                        Arrays.stream(PipeConfig.Partition.values()).map(PipeConfig.Partition::configName).toList());
                    partition = byConfigName(PipeConfig.Partition.values(), PipeConfig.Partition::configName, word,
                        partition);
                }
                if (keys.containsKey("durable"))
                {
                    final Boolean given = nodes.bool(keys.get("durable").value(), "'durable' of " + what);
                    durableNodes.put(name, keys.get("durable").value());
                    durable = given != null && given;
                }
            }
            pipes.put(name, new PipeConfig(name, capacity, partition, problems.positionOf(entry.keyNode()), durable));
        }
        return pipes;
    }

    /**
     * @return the capacity, or {@code fallback} (after reporting) if it is not one a lane can have.
     */
    private int laneCapacity(final Node node, final String what, final int fallback)
    {
        final Long size = nodes.size(node, what);
        if (size == null)
        {
            return fallback;
        }
        final String written = ((ScalarNode)node).getValue();
        final String bytes = written.equals(Long.toString(size)) ? "" : " (" + size + " bytes)";
        if (size < LaneDescriptor.MIN_CAPACITY)
        {
            problems.add(node, what + " is " + written + bytes + ", below the smallest lane; " +
                "the nearest valid capacity is " + Sizes.format(LaneDescriptor.MIN_CAPACITY));
            return fallback;
        }
        if (size > LaneDescriptor.MAX_CAPACITY)
        {
            problems.add(node, what + " is " + written + bytes + ", above the largest lane; " +
                "the nearest valid capacity is " + Sizes.format(LaneDescriptor.MAX_CAPACITY));
            return fallback;
        }
        if (Long.bitCount(size) != 1)
        {
            final long below = Long.highestOneBit(size);
            problems.add(node, what + " is " + written + bytes + ", not a power of two; " +
                "the nearest valid capacities are " + Sizes.format(below) + " and " + Sizes.format(below << 1));
            return fallback;
        }
        return (int)(long)size;
    }

    private Map<String, SegmentConfig> readSegments(final Entry section)
    {
        final Map<String, SegmentConfig> segments = new LinkedHashMap<>();
        if (section == null)
        {
            return segments;
        }
        final List<Entry> entries = nodes.mapping(section.value(), "'segments'", "segment", "");
        objectsKnown &= entries != null;
        for (final Entry entry : entries == null ? List.<Entry>of() : entries)
        {
            final String name = entry.key();
            checkName(entry, "segment");
            final String what = "segment '" + name + "'";
            final List<Entry> settings = nodes.mapping(entry.value(), what, "key", " in " + what);
            // A stand-in size keeps the segment known to grants while its own problem is reported.
            long size = 1;
            String allocator = null;
            if (settings != null)
            {
                final Map<String, Entry> keys = nodes.keys(settings, SEGMENT_KEYS, "in " + what);
                if (keys.containsKey("size"))
                {
                    final Node node = keys.get("size").value();
                    final Long value = nodes.size(node, "'size' of " + what);
                    if (value != null && value <= 0)
                    {
                        problems.add(node, "'size' of " + what + " must be positive, not '" +
                            ((ScalarNode)node).getValue() + "'");
                    }
                    else if (value != null && value > Limits.MAX_SEGMENT_SIZE)
                    {
                        problems.add(node, "'size' of " + what + " is " + ((ScalarNode)node).getValue() + ", too " +
                            "large: at most " + Sizes.format(Limits.MAX_SEGMENT_SIZE) + " (a segment is mapped " +
                            "whole, and a process has 128 TiB of address space)");
                    }
                    else if (value != null)
                    {
                        size = value;
                    }
                }
                else
                {
                    problems.add(entry.keyNode(), what + " has no 'size'; give one, e.g. size: 64KiB");
                }
                if (keys.containsKey("allocator"))
                {
                    allocator = nodes.text(keys.get("allocator").value(), "'allocator' of " + what);
                    segmentAllocators.put(name, keys.get("allocator").value());
                }
            }
            segments.put(name, new SegmentConfig(name, size, problems.positionOf(entry.keyNode()), allocator));
        }
        return segments;
    }

    private Map<String, TableConfig> readTables(final Entry section)
    {
        final Map<String, TableConfig> tables = new LinkedHashMap<>();
        if (section == null)
        {
            return tables;
        }
        final List<Entry> entries = nodes.mapping(section.value(), "'tables'", "table", "");
        objectsKnown &= entries != null;
        for (final Entry entry : entries == null ? List.<Entry>of() : entries)
        {
            final String name = entry.key();
            checkName(entry, "table");
            final String what = "table '" + name + "'";
            final List<Entry> settings = nodes.mapping(entry.value(), what, "key", " in " + what);
            // A stand-in shape keeps the table known to grants while its own problem is reported.
            TableShape shape = TableShape.of(1 << 20, 0, 0, 0);
            if (settings != null)
            {
                final Map<String, Entry> keys = nodes.keys(settings, TABLE_KEYS, "in " + what);
                final Long size = keys.containsKey("size") ?
                    nodes.size(keys.get("size").value(), "'size' of " + what) : null;
                if (!keys.containsKey("size"))
                {
                    problems.add(entry.keyNode(), what + " has no 'size'; give one, e.g. size: 1MiB");
                }
                final Long key = keys.containsKey("key") ? nodes.size(keys.get("key").value(), "'key' of " + what) :
                    Long.valueOf(TableDescriptor.DEFAULT_KEY_MAX);
                final Long value = keys.containsKey("value") ?
                    nodes.size(keys.get("value").value(), "'value' of " + what) :
                    Long.valueOf(TableDescriptor.DEFAULT_VALUE_MAX);
                final Integer writers = keys.containsKey("writers") ? nodes.count(keys.get("writers").value(),
                    "'writers' of " + what, TableDescriptor.WRITER_COUNT_LIMIT, "too many: at most " +
                    TableDescriptor.WRITER_COUNT_LIMIT) : Integer.valueOf(TableDescriptor.DEFAULT_WRITER_COUNT);
                if (size != null && key != null && value != null && writers != null)
                {
                    final Node at = keys.containsKey("size") ? keys.get("size").value() : entry.keyNode();
                    if (size <= 0 || size > Limits.MAX_SEGMENT_SIZE)
                    {
                        problems.add(at, "'size' of " + what + " must be from 1 byte to " +
                            Sizes.format(Limits.MAX_SEGMENT_SIZE) + ", not " + size);
                    }
                    else if (key < 1 || key > TableDescriptor.KEY_MAX_LIMIT)
                    {
                        problems.add(keys.get("key").value(), "'key' of " + what + " is the longest key in bytes: " +
                            "from 1 to " + TableDescriptor.KEY_MAX_LIMIT + ", not " + key);
                    }
                    else if (value < 0 || value > TableDescriptor.VALUE_MAX_LIMIT)
                    {
                        problems.add(keys.get("value").value(), "'value' of " + what + " is the longest value in " +
                            "bytes: from 0 to " + Sizes.format(TableDescriptor.VALUE_MAX_LIMIT) + ", not " + value);
                    }
                    else
                    {
                        try
                        {
                            shape = TableShape.fit(size, (int)(long)key, (int)(long)value, writers);
                        }
                        catch (final IllegalArgumentException e)
                        {
                            problems.add(at, what + ": " + e.getMessage());
                        }
                    }
                }
            }
            tables.put(name, new TableConfig(name, shape, problems.positionOf(entry.keyNode())));
        }
        return tables;
    }

    private Map<String, BroadcastConfig> readBroadcasts(final Entry section)
    {
        final Map<String, BroadcastConfig> broadcasts = new LinkedHashMap<>();
        if (section == null)
        {
            return broadcasts;
        }
        final List<Entry> entries = nodes.mapping(section.value(), "'broadcasts'", "broadcast", "");
        objectsKnown &= entries != null;
        for (final Entry entry : entries == null ? List.<Entry>of() : entries)
        {
            final String name = entry.key();
            checkName(entry, "broadcast");
            final String what = "broadcast '" + name + "'";
            final List<Entry> settings = nodes.mapping(entry.value(), what, "key", " in " + what);
            int capacity = BroadcastConfig.DEFAULT_CAPACITY;
            int policy = BroadcastDescriptor.POLICY_SLOWEST_READER;
            if (settings != null)
            {
                final Map<String, Entry> keys = nodes.keys(settings, BROADCAST_KEYS, "in " + what);
                final Long size = keys.containsKey("size") ?
                    nodes.size(keys.get("size").value(), "'size' of " + what) : null;
                if (size != null)
                {
                    if (size < BroadcastDescriptor.MIN_CAPACITY || size > BroadcastDescriptor.MAX_CAPACITY ||
                        Long.bitCount(size) != 1)
                    {
                        final boolean inRange = size >= BroadcastDescriptor.MIN_CAPACITY &&
                            size <= BroadcastDescriptor.MAX_CAPACITY;
                        final long below = Long.highestOneBit(size);
                        problems.add(keys.get("size").value(), "'size' of " + what + " is its ring's bytes: a " +
                            "power of two from 4KiB to 1GiB, not " + size + (inRange ? " (e.g. " + Sizes.format(below) +
                            " or " + Sizes.format(below * 2) + ")" : ""));
                    }
                    else
                    {
                        capacity = (int)(long)size;
                    }
                }
                if (keys.containsKey("policy"))
                {
                    final Node node = keys.get("policy").value();
                    final String given = nodes.text(node, "'policy' of " + what);
                    if (given != null && !BROADCAST_POLICIES.contains(given))
                    {
                        problems.add(node, "unknown policy '" + given + "' of " + what +
                            Suggestions.didYouMean(given, BROADCAST_POLICIES) + " (slowest-reader: the writer waits " +
                            "for the slowest reader, no loss; lap: the writer never waits, a reader a whole ring " +
                            "behind is told how many it lost)");
                    }
                    else if ("lap".equals(given))
                    {
                        policy = BroadcastDescriptor.POLICY_LAP;
                    }
                }
            }
            broadcasts.put(name, new BroadcastConfig(name, capacity, policy, problems.positionOf(entry.keyNode())));
        }
        return broadcasts;
    }

    /** Checks that a broadcast's name is no other object's: a grant names one object. */
    private void checkBroadcastNames(final Map<String, BroadcastConfig> broadcasts, final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments, final Map<String, AllocatorConfig> allocators,
        final Map<String, TableConfig> tables)
    {
        for (final BroadcastConfig broadcast : broadcasts.values())
        {
            final String name = broadcast.name();
            final String other = pipes.containsKey(name) ? "pipe" : segments.containsKey(name) ? "segment" :
                allocators.containsKey(name) ? "allocator" : tables.containsKey(name) ? "table" : null;
            if (other != null)
            {
                problems.add(broadcast.position(), "'" + name + "' names both a broadcast and a " + other +
                    "; give each object a name of its own");
            }
        }
    }

    /** Checks that a table's name is no other object's: a grant names one object. */
    private void checkTableNames(final Map<String, TableConfig> tables, final Map<String, PipeConfig> pipes,
        final Map<String, SegmentConfig> segments, final Map<String, AllocatorConfig> allocators)
    {
        for (final TableConfig table : tables.values())
        {
            final String other = pipes.containsKey(table.name()) ? "pipe" : segments.containsKey(table.name()) ?
                "segment" : allocators.containsKey(table.name()) ? "allocator" : null;
            if (other != null)
            {
                problems.add(table.position(), "'" + table.name() + "' names both a table and a " + other +
                    "; give each object a name of its own");
            }
        }
    }

    private Map<String, AllocatorConfig> readAllocators(final Entry section)
    {
        final Map<String, AllocatorConfig> allocators = new LinkedHashMap<>();
        if (section == null)
        {
            return allocators;
        }
        final List<Entry> entries = nodes.mapping(section.value(), "'allocators'", "allocator", "");
        objectsKnown &= entries != null;
        for (final Entry entry : entries == null ? List.<Entry>of() : entries)
        {
            final String name = entry.key();
            checkName(entry, "allocator");
            final String what = "allocator '" + name + "'";
            final List<Entry> settings = nodes.mapping(entry.value(), what, "key", " in " + what);
            long quota = 1; // a stand-in, as for a segment's size
            if (settings != null)
            {
                final Map<String, Entry> keys = nodes.keys(settings, ALLOCATOR_KEYS, "in " + what);
                if (keys.containsKey("quota"))
                {
                    final Node node = keys.get("quota").value();
                    final Long value = nodes.size(node, "'quota' of " + what);
                    if (value != null && value <= 0)
                    {
                        problems.add(node, "'quota' of " + what + " must be positive, not '" +
                            ((ScalarNode)node).getValue() + "'");
                    }
                    else if (value != null)
                    {
                        quota = value;
                    }
                }
                else
                {
                    problems.add(entry.keyNode(), what + " has no 'quota'; give one, e.g. quota: 64MiB");
                }
            }
            allocators.put(name, new AllocatorConfig(name, quota, problems.positionOf(entry.keyNode())));
        }
        return allocators;
    }

    /**
     * Checks that an allocator's name is no pipe's or segment's (a grant names one object), and that every
     * segment's {@code allocator} names a declared allocator that can hold it.
     */
    private void checkAllocatorNames(final Map<String, AllocatorConfig> allocators,
        final Map<String, PipeConfig> pipes, final Map<String, SegmentConfig> segments)
    {
        for (final AllocatorConfig allocator : allocators.values())
        {
            if (pipes.containsKey(allocator.name()) || segments.containsKey(allocator.name()))
            {
                problems.add(allocator.position(), "'" + allocator.name() + "' names both an allocator and a " +
                    (pipes.containsKey(allocator.name()) ? "pipe" : "segment") + "; give each object a name of " +
                    "its own");
            }
        }
        final Map<String, Long> charged = new LinkedHashMap<>();
        for (final SegmentConfig segment : segments.values())
        {
            if (segment.allocator() == null)
            {
                continue;
            }
            final AllocatorConfig allocator = allocators.get(segment.allocator());
            final Node node = segmentAllocators.get(segment.name());
            if (allocator == null)
            {
                problems.add(node, "'allocator' of segment '" + segment.name() + "' names '" + segment.allocator() +
                    "', which is not a declared allocator" + Suggestions.didYouMean(segment.allocator(),
                    allocators.keySet()) + (allocators.isEmpty() ? " (no allocators are declared)" : ""));
                continue;
            }
            final long pages = Sizes.pageRounded(segment.size());
            final long total = charged.merge(allocator.name(), pages, Long::sum);
            if (total > allocator.quota())
            {
                problems.add(node, "segment '" + segment.name() + "' (" + Sizes.format(pages) + " in whole pages) " +
                    "does not fit in allocator '" + allocator.name() + "': quota " + Sizes.format(allocator.quota()) +
                    ", in use " + Sizes.format(total - pages) + ", asked " + Sizes.format(pages));
            }
        }
    }

    private void checkNoNameIsBoth(final Map<String, PipeConfig> pipes, final Map<String, SegmentConfig> segments)
    {
        for (final SegmentConfig segment : segments.values())
        {
            final PipeConfig pipe = pipes.get(segment.name());
            if (pipe != null)
            {
                // Reported where the reader meets the second declaration, naming the first.
                final boolean pipeFirst = pipe.position().compareTo(segment.position()) < 0;
                problems.add(pipeFirst ? segment.position() : pipe.position(), "'" + segment.name() +
                    "' names both a pipe (line " + pipe.position().line() + ") and a segment (line " +
                    segment.position().line() + "); give each object a name of its own");
            }
        }
    }

    private void checkName(final Entry entry, final String kind)
    {
        if (!NAME.matcher(entry.key()).matches())
        {
            problems.add(entry.keyNode(), kind + " name '" + entry.key() + "' is not valid: " + NAME_RULE);
        }
        else if (entry.key().length() > Limits.MAX_NAME_LENGTH)
        {
            problems.add(entry.keyNode(), kind + " name '" + entry.key() + "' is " + entry.key().length() +
                " characters long, too long: " + NAME_LENGTH_RULE);
        }
    }

    /**
     * @param misspelt whether a top-level key looks like a misspelling of {@code workers}, which says more than
     *                 "missing key" would.
     */
    private List<WorkerDraft> readWorkers(final Entry section, final Node root, final boolean misspelt)
    {
        final List<WorkerDraft> workers = new ArrayList<>();
        if (section == null)
        {
            workersKnown = false;
            if (!misspelt)
            {
                problems.add(root, "missing key 'workers': a pipeline needs at least one worker");
            }
            return workers;
        }
        final List<Entry> entries = nodes.mapping(section.value(), "'workers'", "worker", "");
        if (entries == null || entries.isEmpty())
        {
            workersKnown = false;
            // Not when every key was refused already: the mapping is not empty, only wrong.
            if (NodeReader.isNull(section.value()) ||
                section.value() instanceof MappingNode mapping && mapping.getValue().isEmpty())
            {
                problems.add(section.keyNode(), "'workers' is empty: a pipeline needs at least one worker");
            }
            return workers;
        }
        for (final Entry entry : entries)
        {
            checkName(entry, "worker");
            final WorkerDraft worker = new WorkerDraft(entry.key(), problems.positionOf(entry.keyNode()));
            readWorker(worker, entry);
            workers.add(worker);
        }
        final long processes = workers.stream().mapToLong(worker -> worker.replicas).sum();
        if (processes > Limits.MAX_WORKER_PROCESSES)
        {
            problems.add(section.keyNode(), "the pipeline runs " + processes + " worker processes in all, too " +
                "many: at most " + Limits.MAX_WORKER_PROCESSES + "; give some workers fewer replicas");
        }
        return workers;
    }

    private void readWorker(final WorkerDraft worker, final Entry entry)
    {
        final String what = "worker '" + worker.name + "'";
        final List<Entry> settings = nodes.mapping(entry.value(), what, "key", " in " + what);
        if (settings == null)
        {
            worker.grantsReadable = false;
            return;
        }
        final Map<String, Entry> keys = nodes.keys(settings, WORKER_KEYS, "in " + what);

        final List<Entry> launches = keys.values().stream().filter(e -> LAUNCH_KEYS.contains(e.key())).toList();
        if (launches.isEmpty())
        {
            problems.add(entry.keyNode(), what + " has no command: give exactly one of " +
                String.join(", ", LAUNCH_KEYS));
        }
        else
        {
            final Entry first = launches.getFirst();
            for (final Entry extra : launches.subList(1, launches.size()))
            {
                problems.add(extra.keyNode(), what + " has both '" + first.key() + "' (line " +
                    nodes.line(first.keyNode()) + ") and '" + extra.key() + "'; give exactly one of " +
                    String.join(", ", LAUNCH_KEYS));
            }
            worker.launch = readLaunch(first, what);
            worker.launchNode = first.value();
        }
        if (keys.containsKey("classpath"))
        {
            readClassPath(worker, keys.get("classpath"), what);
        }

        if (keys.containsKey("env"))
        {
            readEnvironment(worker, keys.get("env").value(), what);
        }
        if (keys.containsKey("cwd"))
        {
            worker.workingDirectory = readDirectory(keys.get("cwd").value(), "'cwd' of " + what);
        }
        if (keys.containsKey("replicas"))
        {
            final Node node = keys.get("replicas").value();
            final Integer replicas = nodes.count(node, "'replicas' of " + what, Limits.MAX_WORKER_PROCESSES,
                "too many: a pipeline runs at most " + Limits.MAX_WORKER_PROCESSES + " worker processes");
            if (replicas != null)
            {
                worker.replicas = replicas;
                worker.replicasNode = node;
            }
        }
        if (keys.containsKey("host"))
        {
            worker.hostEntry = keys.get("host");
        }
        if (keys.containsKey("grants"))
        {
            final List<Entry> grants = nodes.mapping(keys.get("grants").value(), "'grants' of " + what,
                "grant of", " to " + what);
            worker.grantsReadable = grants != null;
            worker.grantEntries = grants == null ? List.of() : grants;
        }
        if (keys.containsKey("restart"))
        {
            worker.restart = readRestart(keys.get("restart").value(), what);
        }
        if (keys.containsKey("stop-timeout"))
        {
            final Duration timeout = nodes.positiveDuration(keys.get("stop-timeout").value(),
                "'stop-timeout' of " + what);
            worker.stopTimeout = timeout == null ? worker.stopTimeout : timeout;
        }
        if (keys.containsKey("ready-timeout"))
        {
            final Duration timeout = nodes.positiveDuration(keys.get("ready-timeout").value(),
                "'ready-timeout' of " + what);
            worker.readyTimeout = timeout == null ? worker.readyTimeout : timeout;
        }
        if (keys.containsKey("sandbox"))
        {
            worker.sandbox = readSandbox(keys.get("sandbox").value(), what);
        }
        if (keys.containsKey("restart-safe"))
        {
            final Boolean safe = nodes.bool(keys.get("restart-safe").value(), "'restart-safe' of " + what);
            worker.restartSafe = safe != null && safe;
        }
        new StdioReader(nodes).read(worker, keys, what);
    }

    /**
     * Reads {@code classpath}: one path or a list of them (jars, directories, {@code dir/*}), for a {@code java}
     * worker only. Whether each exists is for {@link LaunchChecker}, which looks at this machine's files.
     */
    private void readClassPath(final WorkerDraft worker, final Entry entry, final String what)
    {
        if (worker.launch != null && !(worker.launch instanceof Launch.Java))
        {
            problems.add(entry.keyNode(), "'classpath' of " + what + " is for a Java worker only (one started " +
                "with 'java: MAIN.CLASS'); a program finds its own libraries: remove 'classpath', or start the " +
                "worker with 'java'");
            return;
        }
        final Node node = entry.value();
        final List<Node> items = node instanceof ScalarNode ? List.of(node) : nodes.list(node,
            "'classpath' of " + what, " (e.g. classpath: target/worker.jar, or classpath: [target/classes, lib/*])");
        if (items != null && items.isEmpty())
        {
            problems.add(node, "'classpath' of " + what + " is an empty list: give the jars or directories that " +
                "hold the worker's classes, or leave 'classpath' out");
        }
        for (final Node item : items == null ? List.<Node>of() : items)
        {
            final Path path = readPath(item, "a 'classpath' entry of " + what,
                ": give a jar, a directory, or dir/* for every jar in dir");
            if (path != null)
            {
                worker.classPath.add(path);
                worker.classPathNodes.add(item);
            }
        }
    }

    private Launch readLaunch(final Entry entry, final String worker)
    {
        final String what = "'" + entry.key() + "' of " + worker;
        final Node node = entry.value();
        final List<String> words = switch (entry.key())
        {
            case "command" -> commandList(node, what);
            case "run" -> splitWords(node, what, "the program and its arguments, e.g. ./bin/splitter --fast",
                "command: [./bin/tool, \"two words\"]");
            case "java" -> node instanceof ScalarNode ?
                splitWords(node, what, "the main class and its arguments, e.g. " + EXAMPLE_MAIN_CLASS + " --lines 100",
                    "java: [" + EXAMPLE_MAIN_CLASS + ", \"two words\"]") : commandList(node, what);
            default -> throw new IllegalStateException("not a launch key: " + entry.key());
        };
        if (words == null)
        {
            return null;
        }
        for (final String word : words)
        {
            final int bytes = word.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > Limits.MAX_ARGUMENT_BYTES)
            {
                problems.add(node, what + " has an argument of " + bytes + " bytes, too long: Linux passes a " +
                    "program arguments of at most " + Limits.MAX_ARGUMENT_BYTES + " bytes each");
                return null;
            }
        }
        if (!entry.key().equals("java"))
        {
            if (words.getFirst().isBlank())
            {
                problems.add(node, what + " has an empty program name");
                return null;
            }
            return new Launch.Command(words);
        }
        final String mainClass = words.getFirst();
        if (!isJavaClassName(mainClass))
        {
            problems.add(node, what + ": '" + mainClass + "' is not a Java class name; give the fully " +
                "qualified name of the main class, e.g. " + EXAMPLE_MAIN_CLASS);
            return null;
        }
        return new Launch.Java(mainClass, words.subList(1, words.size()));
    }

    /**
     * @return the items of a YAML list of strings, or {@code null} (reported) if it is not one or is empty.
     */
    private List<String> commandList(final Node node, final String what)
    {
        final List<Node> items = nodes.list(node, what,
            node instanceof ScalarNode && !NodeReader.isNull(node) ? " (a single string goes in run:)" : "");
        if (items == null)
        {
            return null;
        }
        if (items.isEmpty())
        {
            problems.add(node, what + " is empty: give " + (what.startsWith("'java'") ?
                "the main class and its arguments" : "the program and its arguments"));
            return null;
        }
        final List<String> words = new ArrayList<>();
        for (int i = 0; i < items.size(); i++)
        {
            final String word = nodes.text(items.get(i), "item " + (i + 1) + " of " + what);
            if (word == null)
            {
                return null;
            }
            words.add(word);
        }
        return words;
    }

    /**
     * @return a string split on whitespace, or {@code null} (reported) if it is empty or holds a quote, since
     *         splitting is all that happens: no shell sees it, and a quote would silently stay in an argument.
     */
    private List<String> splitWords(final Node node, final String what, final String expected, final String asList)
    {
        final String text = nodes.text(node, what);
        if (text == null)
        {
            return null;
        }
        if (text.isBlank())
        {
            problems.add(node, what + " is empty: give " + expected);
            return null;
        }
        if (text.indexOf('"') >= 0 || text.indexOf('\'') >= 0)
        {
            problems.add(node, what + " holds a quote, but it is only split on whitespace (no shell reads it), " +
                "so quotes would stay in the arguments; write a list instead, with one item per argument, " +
                "e.g. " + asList);
            return null;
        }
        return List.of(text.strip().split("\\s+"));
    }

    private static boolean isJavaClassName(final String name)
    {
        for (final String part : name.split("\\.", -1))
        {
            if (part.isEmpty() || !Character.isJavaIdentifierStart(part.codePointAt(0)) ||
                !part.codePoints().skip(1).allMatch(Character::isJavaIdentifierPart))
            {
                return false;
            }
        }
        return true;
    }

    private void readEnvironment(final WorkerDraft worker, final Node node, final String what)
    {
        final List<Entry> entries = nodes.mapping(node, "'env' of " + what, "environment variable", " in " + what);
        for (final Entry entry : entries == null ? List.<Entry>of() : entries)
        {
            if (!ENVIRONMENT_NAME.matcher(entry.key()).matches())
            {
                problems.add(entry.keyNode(), "environment variable name '" + entry.key() + "' in " + what +
                    " is not valid: use letters, digits and '_', not starting with a digit");
            }
            if (NodeReader.isNull(entry.value()))
            {
                problems.add(entry.value(), "environment variable '" + entry.key() + "' of " + what + " has no " +
                    "value; for an empty one write " + entry.key() + ": \"\"");
                continue;
            }
            final String value = nodes.text(entry.value(), "environment variable '" + entry.key() + "' of " + what);
            final int bytes = value == null ? 0 : (entry.key() + "=" + value).getBytes(StandardCharsets.UTF_8).length;
            if (bytes > Limits.MAX_ARGUMENT_BYTES)
            {
                problems.add(entry.value(), "environment variable '" + entry.key() + "' of " + what + " is " +
                    bytes + " bytes long with its name, too long: Linux passes a program environment entries of " +
                    "at most " + Limits.MAX_ARGUMENT_BYTES + " bytes each");
            }
            else if (value != null)
            {
                worker.environment.put(entry.key(), value);
            }
        }
    }

    private Path readDirectory(final Node node, final String what)
    {
        return readPath(node, what, ": give a directory, or leave 'cwd' out to start in the config file's directory");
    }

    /**
     * @param emptyHint what to say after "is empty" when the path is blank.
     * @return the path as written, or {@code null} (reported).
     */
    private Path readPath(final Node node, final String what, final String emptyHint)
    {
        final String text = nodes.text(node, what);
        if (text == null)
        {
            return null;
        }
        if (text.isBlank())
        {
            problems.add(node, what + " is empty" + emptyHint);
            return null;
        }
        try
        {
            return Path.of(text);
        }
        catch (final InvalidPathException e)
        {
            problems.add(node, what + " is not a valid path: " + e.getReason());
            return null;
        }
    }

    private RestartPolicy readRestart(final Node node, final String worker)
    {
        final String what = "'restart' of " + worker;
        final RestartPolicy defaults = RestartPolicy.DEFAULT;
        final List<String> policies =
            Arrays.stream(RestartPolicy.Policy.values()).map(RestartPolicy.Policy::configName).toList();
        if (node instanceof ScalarNode && !NodeReader.isNull(node))
        {
            // The short form, e.g. restart: always, keeps the default backoff and intensity.
            final RestartPolicy.Policy policy = policy(nodes.word(node, what, "restart policy", policies));
            return policy == null ? defaults : new RestartPolicy(policy, defaults.backoffMin(),
                defaults.backoffMax(), defaults.intensityMaxRestarts(), defaults.intensityPeriod());
        }
        if (!(node instanceof MappingNode) && !NodeReader.isNull(node))
        {
            problems.add(node, "expected a policy or a mapping for " + what + ", found " + NodeReader.describe(node) +
                " (e.g. restart: on-failure, or restart: { policy: always, backoff: 1s..1m })");
            return defaults;
        }
        final List<Entry> entries = nodes.mapping(node, what, "key", " in " + what);
        final Map<String, Entry> keys = nodes.keys(entries, RESTART_KEYS, "in " + what);
        RestartPolicy.Policy policy = defaults.policy();
        if (keys.containsKey("policy"))
        {
            final RestartPolicy.Policy read =
                policy(nodes.word(keys.get("policy").value(), what, "restart policy", policies));
            policy = read == null ? policy : read;
        }
        Duration backoffMin = defaults.backoffMin();
        Duration backoffMax = defaults.backoffMax();
        if (keys.containsKey("backoff"))
        {
            final Duration[] range = readBackoff(keys.get("backoff").value(), "'restart.backoff' of " + worker);
            if (range != null)
            {
                backoffMin = range[0];
                backoffMax = range[1];
            }
        }
        int maxRestarts = defaults.intensityMaxRestarts();
        Duration period = defaults.intensityPeriod();
        if (keys.containsKey("intensity"))
        {
            final Node intensity = keys.get("intensity").value();
            final String intensityWhat = "'restart.intensity' of " + worker;
            final String text = nodes.text(intensity, intensityWhat);
            final int slash = text == null ? -1 : text.indexOf('/');
            if (text != null && (slash < 0 || !text.substring(0, slash).matches("[0-9]+")))
            {
                problems.add(intensity, intensityWhat + ": '" + text + "' is not an intensity: write " +
                    "RESTARTS/PERIOD, e.g. 5/10s (at most 5 restarts in any 10 seconds)");
            }
            else if (text != null)
            {
                final String count = text.substring(0, slash);
                // Compared as text first: a count of any length is read, and none overflows.
                final boolean tooMany = count.replaceFirst("^0+(?=.)", "").length() >
                    Integer.toString(Limits.MAX_INTENSITY_RESTARTS).length() ||
                    Integer.parseInt(count) > Limits.MAX_INTENSITY_RESTARTS;
                final int restarts = tooMany ? 0 : Integer.parseInt(count);
                final Duration within = nodes.positiveDuration(intensity, text.substring(slash + 1),
                    "the period of " + intensityWhat);
                if (tooMany)
                {
                    problems.add(intensity, intensityWhat + " allows " + count + " restarts, too many: at most " +
                        Limits.MAX_INTENSITY_RESTARTS + " within a period (the supervisor keeps the time of each)");
                }
                else if (restarts < 1)
                {
                    problems.add(intensity, intensityWhat + " must allow at least 1 restart, not " + restarts +
                        " (for none, write policy: never)");
                }
                else if (within != null)
                {
                    maxRestarts = restarts;
                    period = within;
                }
            }
        }
        return new RestartPolicy(policy, backoffMin, backoffMax, maxRestarts, period);
    }

    private SandboxConfig readSandbox(final Node node, final String worker)
    {
        final String what = "'sandbox' of " + worker;
        final List<String> profiles =
            Arrays.stream(SandboxConfig.Profile.values()).map(SandboxConfig.Profile::configName).toList();
        if (node instanceof ScalarNode && !NodeReader.isNull(node))
        {
            // The short form, e.g. sandbox: strict, keeps the profile's own limits and paths.
            final SandboxConfig.Profile profile = sandboxProfile(nodes.word(node, what, "sandbox profile", profiles));
            return profile == null ? SandboxConfig.NONE :
                new SandboxConfig(profile, List.of(), List.of(), 0, null, 0, 0);
        }
        if (!(node instanceof MappingNode))
        {
            problems.add(node, "expected a profile or a mapping for " + what + ", found " + NodeReader.describe(node) +
                " (e.g. sandbox: strict, or sandbox: { profile: strict, memory: 512MiB })");
            return SandboxConfig.NONE;
        }
        final List<Entry> entries = nodes.mapping(node, what, "key", " in " + what);
        final Map<String, Entry> keys = nodes.keys(entries, SANDBOX_KEYS, "in " + what);
        SandboxConfig.Profile profile = null;
        if (keys.containsKey("profile"))
        {
            profile = sandboxProfile(nodes.word(keys.get("profile").value(), what, "sandbox profile", profiles));
        }
        else
        {
            problems.add(node, what + " has no 'profile': give one of " + String.join(", ", profiles));
        }
        final List<Path> readOnly = readPaths(keys.get("read-only"), "read-only", what,
            " (e.g. read-only: [data, /usr/share/dict])");
        final List<Path> execute = readPaths(keys.get("execute"), "execute", what,
            " (e.g. execute: [/usr/bin/sort, /usr/bin/uniq])");
        long memory = 0;
        if (keys.containsKey("memory"))
        {
            final Node limit = keys.get("memory").value();
            final Long bytes = nodes.size(limit, "'memory' of " + what);
            if (bytes != null && bytes < Limits.MIN_SANDBOX_MEMORY)
            {
                problems.add(limit, "'memory' of " + what + " must be at least " + Sizes.format(
                    Limits.MIN_SANDBOX_MEMORY) +
                    " (a process needs that much address space to start), not " + Sizes.format(bytes));
            }
            else if (bytes != null)
            {
                memory = bytes;
            }
        }
        Duration cpu = null;
        if (keys.containsKey("cpu"))
        {
            final Node limit = keys.get("cpu").value();
            final Duration read = nodes.positiveDuration(limit, "'cpu' of " + what);
            if (read != null && read.toMillis() % 1000 != 0)
            {
                problems.add(limit, "'cpu' of " + what + " must be whole seconds (the kernel counts CPU time limits " +
                    "in seconds), not " + Durations.format(read));
            }
            else
            {
                cpu = read;
            }
        }
        final int files = positiveCount(keys.get("files"), "'files' of " + what);
        final int processes = positiveCount(keys.get("processes"), "'processes' of " + what);
        return profile == null ? SandboxConfig.NONE :
            new SandboxConfig(profile, readOnly, execute, memory, cpu, files, processes);
    }

    /** @return the paths of a list entry of a sandbox ({@code read-only}, {@code execute}); none if absent. */
    private List<Path> readPaths(final Entry entry, final String key, final String what, final String example)
    {
        final List<Path> paths = new ArrayList<>();
        if (entry != null)
        {
            final List<Node> items = nodes.list(entry.value(), "'" + key + "' of " + what, example);
            for (final Node item : items == null ? List.<Node>of() : items)
            {
                final Path path = readPath(item, "a '" + key + "' path of " + what, ": give a file or directory");
                if (path != null)
                {
                    paths.add(path);
                }
            }
        }
        return paths;
    }

    /**
     * @return the entry's value as an integer of at least 1, or 0 if the entry is absent or wrong (reported).
     */
    private int positiveCount(final Entry entry, final String what)
    {
        if (entry == null)
        {
            return 0;
        }
        final Integer count = nodes.count(entry.value(), what, Integer.MAX_VALUE,
            "too large: at most " + Integer.MAX_VALUE);
        return count == null ? 0 : count;
    }

    private static SandboxConfig.Profile sandboxProfile(final String word)
    {
        return byConfigName(SandboxConfig.Profile.values(), SandboxConfig.Profile::configName, word, null);
    }

    /**
     * @return {min, max} of a backoff range such as {@code 100ms..5s}, or {@code null} (reported).
     */
    private Duration[] readBackoff(final Node node, final String what)
    {
        final String text = nodes.text(node, what);
        if (text == null)
        {
            return null;
        }
        final int dots = text.indexOf("..");
        if (dots < 0)
        {
            problems.add(node, what + ": '" + text + "' is not a range: write MIN..MAX, e.g. 100ms..5s " +
                "(for a fixed delay, 1s..1s)");
            return null;
        }
        final Duration min = nodes.positiveDuration(node, text.substring(0, dots).strip(), "the minimum of " + what);
        final Duration max = nodes.positiveDuration(node, text.substring(dots + 2).strip(), "the maximum of " + what);
        if (min == null || max == null)
        {
            return null;
        }
        if (min.compareTo(max) > 0)
        {
            problems.add(node, what + ": the minimum " + Durations.format(min) + " is longer than the maximum " +
                Durations.format(max) + "; write MIN..MAX with MIN no longer than MAX, e.g. 100ms..5s");
            return null;
        }
        return new Duration[] {min, max};
    }

    private static RestartPolicy.Policy policy(final String word)
    {
        return byConfigName(RestartPolicy.Policy.values(), RestartPolicy.Policy::configName, word, null);
    }

    /**
     * @return the constant whose config name is {@code word}, or {@code fallback} if none is.
     */
    static <E extends Enum<E>> E byConfigName(
        final E[] constants, final Function<E, String> configName, final String word, final E fallback)
    {
        for (final E constant : constants)
        {
            if (configName.apply(constant).equals(word))
            {
                return constant;
            }
        }
        return fallback;
    }

    /**
     * A worker while it is read: each field holds its default until the config sets it. Grants are filled in by
     * {@link GrantChecker} once every pipe and segment is known, since a worker may be declared before them.
     */
    static final class WorkerDraft
    {
        final String name;
        final Position position;
        Launch launch;
        /** The value of its launch key, where a program or class not found is reported. */
        Node launchNode;
        /** Its {@code classpath} entries as written, and where each is, for a {@code java} worker. */
        final List<Path> classPath = new ArrayList<>();
        final List<Node> classPathNodes = new ArrayList<>();
        final Map<String, String> environment = new LinkedHashMap<>();
        Path workingDirectory;
        int replicas = 1;
        /** Where 'replicas' is written, or {@code null} when it is not. */
        Node replicasNode;
        List<Entry> grantEntries = List.of();
        /** False when the worker or its grants were not a mapping: its grants are unknown, not absent. */
        boolean grantsReadable = true;
        final Map<String, Rights> grants = new LinkedHashMap<>();
        RestartPolicy restart = RestartPolicy.DEFAULT;
        Duration stopTimeout = WorkerConfig.DEFAULT_STOP_TIMEOUT;
        Duration readyTimeout = WorkerConfig.DEFAULT_READY_TIMEOUT;
        SandboxConfig sandbox = SandboxConfig.NONE;
        boolean restartSafe;
        Stdio stdin;
        Stdio stdout;
        /** Where 'stdin' and 'stdout' are written, or {@code null} when they are not. */
        Node stdinNode;
        Node stdoutNode;
        /** {@code null} until the config says: then it follows from whether the worker is bridged. */
        Readiness ready;
        /** Its {@code host} as written, or {@code null} when it has none. */
        Entry hostEntry;
        /**
         * The hosts its replicas run on, filled in by {@link HostChecker} once every host is known: empty without
         * {@code hosts}, {@code null} when its {@code host} is wrong (its placement is unknown).
         */
        List<String> hosts = List.of();

        WorkerDraft(final String name, final Position position)
        {
            this.name = name;
            this.position = position;
        }

        WorkerConfig toConfig()
        {
            final boolean bridged = stdin != null || stdout != null;
            final Launch launched = launch instanceof Launch.Java java ?
                new Launch.Java(java.mainClass(), java.arguments(), classPath) : launch;
            return new WorkerConfig(name, launched, environment, workingDirectory, replicas, grants, restart,
                stopTimeout, readyTimeout, sandbox, restartSafe, stdin, stdout,
                ready != null ? ready : bridged ? Readiness.STARTED : Readiness.MESSAGE, hosts, position);
        }
    }
}
