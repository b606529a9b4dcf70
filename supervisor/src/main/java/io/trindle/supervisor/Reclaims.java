package io.trindle.supervisor;

import io.trindle.ipc.ControlMessage;
import io.trindle.supervisor.config.Durations;
import io.trindle.supervisor.config.PipelineConfig;
import io.trindle.supervisor.config.RuntimeRights;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * {@code trindle reclaim}: asks every process that holds an allocator to give memory back (docs/control-protocol.md
 * §4, *Giving memory back*). Each running holder is sent a notice 5, <em>give back</em>, naming the allocator and
 * the bytes asked (all holders together); a holder answers by releasing objects charged to the allocator, with the
 * release frame it always had. The supervisor counts what each release (or the exit of a holder) gave back, and
 * answers once the bytes asked came back, or after {@link #TIMEOUT} with what came back by then.
 *
 * <p>One reclaim at a time; touched only by the supervisor's loop thread.
 */
final class Reclaims
{
    /** How long a reclaim waits for the holders' releases: well inside the time a client waits for its answer. */
    static final Duration TIMEOUT = Duration.ofSeconds(3);
    /** What a reclaim without BYTES asks for: the use brought below this percent of the quota. */
    static final int TARGET_PERCENT = Allocations.THRESHOLDS[0];

    /** The reclaim under way: the allocator, what was asked, what came back from whom, and the client waiting. */
    private static final class Reclaim
    {
        private final Allocations.Allocator allocator;
        private final long asked;
        private final List<String> holders;
        private final Map<String, Long> returned = new LinkedHashMap<>();
        private long total;
        private final CompletableFuture<String> answer;

        private Reclaim(final Allocations.Allocator allocator, final long asked, final List<String> holders,
            final CompletableFuture<String> answer)
        {
            this.allocator = allocator;
            this.asked = asked;
            this.holders = holders;
            this.answer = answer;
        }
    }

    private final PipelineConfig config;
    private final ObjectTable objects;
    private final HandleBroker broker;
    private final Reporter reporter;
    /** Arms the {@link #TIMEOUT} of a reclaim; the loop then calls {@link #onTimeout(long)} with it. */
    private final LongConsumer timer;
    private Reclaim current;
    /** The number of the latest reclaim: an older one's timeout is stale. */
    private long round;

    Reclaims(final PipelineConfig config, final ObjectTable objects, final HandleBroker broker,
        final Reporter reporter, final LongConsumer timer)
    {
        this.config = config;
        this.objects = objects;
        this.broker = broker;
        this.reporter = reporter;
        this.timer = timer;
    }

    /**
     * Asks the holders of the allocator {@code name} for {@code bytes} back, or with a negative {@code bytes} for
     * what brings its use below {@link #TARGET_PERCENT} % of its quota. The answer completes once that much came
     * back, after {@link #TIMEOUT}, or at once when the reclaim is refused or nothing needs asking.
     */
    void begin(final String name, final long bytes, final boolean stopping, final CompletableFuture<String> answer)
    {
        final Allocations.Allocator allocator = objects.allocator(name);
        final String refusal = stopping ? "pipeline '" + config.name() + "' is stopping; nothing is reclaimed" :
            current != null ? "a reclaim of " + current.allocator.describe() + " is under way; try again" :
            allocator == null ? "pipeline '" + config.name() + "' has no allocator '" + name + "'" +
                RuntimeRights.didYouMean(name, config.allocators().keySet()) + " (" + (config.allocators().isEmpty() ?
                "it declares none" : "it declares " + String.join(", ", config.allocators().keySet())) + ")" :
            null;
        if (refusal != null)
        {
            answer.complete(StatusSocket.REFUSED + refusal + "\n");
            return;
        }
        final long used = broker.used(allocator);
        final long below = (allocator.quota * TARGET_PERCENT - 1) / 100; // the most bytes in use below the target
        final long asked = bytes >= 0 ? bytes : Math.max(0, used - below);
        if (asked == 0)
        {
            answer.complete(allocator.describe() + " uses " + used + " of " + allocator.quota + " bytes, below " +
                TARGET_PERCENT + "% already: nothing asked\n");
            return;
        }
        final List<WorkerProcess> holders = broker.holdersOf(allocator.id).stream()
            .filter(holder -> holder.alive() && holder.channel != null).toList();
        if (holders.isEmpty())
        {
            answer.complete(StatusSocket.REFUSED + "no running process holds " + allocator.describe() + "; nothing " +
                "is asked\n");
            return;
        }
        final Reclaim reclaim = new Reclaim(allocator, asked, holders.stream().map(h -> h.label).toList(), answer);
        current = reclaim;
        final String details = allocator.describe() + " asks its holders to give " + asked + " bytes back: " + used +
            " of " + allocator.quota + " bytes in use";
        reporter.say("%s (%s)", details, String.join(", ", reclaim.holders));
        for (final WorkerProcess holder : holders)
        {
            try
            {
                holder.channel.send(new ControlMessage.Notice(ControlMessage.Notice.GIVE_BACK, 0, allocator.id,
                    asked, allocator.quota, details, List.of()));
            }
            catch (final RuntimeException e)
            {
                reporter.sayAbout(holder, "worker %s did not get the notice to give back: %s", holder.label,
                    e.getMessage());
            }
        }
        timer.accept(++round);
    }

    /** @return the use of the allocator a reclaim is under way for, before something that may free; or -1. */
    long before()
    {
        return current == null ? -1 : broker.used(current.allocator);
    }

    /**
     * Something of {@code process} may have freed memory of the allocator (a release, or its exit, {@code how}): what
     * its use fell by since {@code before} came back from the process.
     */
    void after(final WorkerProcess process, final String how, final long before)
    {
        final Reclaim reclaim = current;
        if (reclaim == null || before < 0)
        {
            return;
        }
        final long fell = before - broker.used(reclaim.allocator);
        if (fell <= 0)
        {
            return;
        }
        reclaim.returned.merge(process.label + how, fell, Long::sum);
        reclaim.total += fell;
        if (reclaim.total >= reclaim.asked)
        {
            answer(true);
        }
    }

    /** The reclaim's time is up: it answers with what came back. */
    void onTimeout(final long timedOut)
    {
        if (timedOut == round && current != null)
        {
            answer(false);
        }
    }

    private void answer(final boolean complete)
    {
        final Reclaim reclaim = current;
        current = null;
        final List<String> from = new ArrayList<>();
        reclaim.returned.forEach((who, bytes) -> from.add(who + ": " + bytes));
        final List<String> silent = reclaim.holders.stream()
            .filter(holder -> reclaim.returned.keySet().stream().noneMatch(who -> who.equals(holder) ||
                who.startsWith(holder + " ")))
            .toList();
        final String text = "reclaimed " + reclaim.total + " of " + reclaim.asked + " bytes asked from " +
            reclaim.allocator.describe() + (from.isEmpty() ? "" : " (" + String.join(", ", from) + ")") +
            "; now " + broker.used(reclaim.allocator) + " of " + reclaim.allocator.quota + " bytes in use" +
            (silent.isEmpty() ? "" : "; gave nothing back: " + String.join(", ", silent));
        reporter.say("%s", text);
        reclaim.answer.complete(complete ? text + "\n" : StatusSocket.ERROR + "timed out after " +
            Durations.format(TIMEOUT) + " waiting for the holders to give memory back: " + text + "\n");
    }
}
