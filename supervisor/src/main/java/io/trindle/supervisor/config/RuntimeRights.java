package io.trindle.supervisor.config;

import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;

import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * The rights of a grant made at run time ({@code trindle grant NAME WORKER OBJECT RIGHTS}), read from the command
 * line's words and checked by the rules a config's grant is checked by ({@link GrantChecker}): each right is one a
 * user may grant and applies to the object's kind, none is listed twice, a writable segment is also readable, and
 * at least one is given. The sentences are the config's, so a user meets one wording for one mistake.
 */
public final class RuntimeRights
{
    private RuntimeRights()
    {
    }

    /**
     * @param rights    the rights as the command line gives them: names separated by commas, {@code read,write}.
     * @param object    the object's name in the config.
     * @param worker    the worker's name, for the sentences.
     * @param kind      the object's kind: a segment, an allocator or a table.
     * @return the rights.
     * @throws IllegalArgumentException naming what is wrong, with a did-you-mean for an unknown right.
     */
    public static Rights parse(final String rights, final String object, final String worker,
        final ObjectKind kind)
    {
        final List<String> valid = switch (kind)
        {
            case ALLOCATOR -> GrantChecker.ALLOCATOR_RIGHTS;
            case TABLE -> GrantChecker.TABLE_RIGHTS;
            default -> GrantChecker.SEGMENT_RIGHTS;
        };
        final String noun = noun(kind);
        final String takes = (kind == ObjectKind.ALLOCATOR ? "an " : "a ") + noun + " takes only " +
            String.join(", ", valid.subList(0, valid.size() - 1)) + " and " + valid.getLast();
        final String target = noun + " '" + object + "'";
        final String what = "the grant of '" + object + "' to worker '" + worker + "'";
        final EnumSet<Right> granted = EnumSet.noneOf(Right.class);
        for (final String word : rights.split(",", -1))
        {
            final String name = word.strip().toLowerCase(Locale.ROOT);
            if (valid.contains(name))
            {
                if (!granted.add(Right.valueOf(name.toUpperCase(Locale.ROOT))))
                {
                    throw new IllegalArgumentException("right '" + name + "' is listed twice in " + what);
                }
            }
            else if (Arrays.stream(Right.values())
                .anyMatch(right -> right.name().toLowerCase(Locale.ROOT).equals(name)))
            {
                throw new IllegalArgumentException("worker '" + worker + "' is granted " + name + " on " + target +
                    ", but " + takes);
            }
            else if (!name.isEmpty())
            {
                throw new IllegalArgumentException("unknown right '" + name + "' in " + what +
                    Suggestions.didYouMean(name, valid) + " (" + takes + ")");
            }
        }
        if (granted.isEmpty())
        {
            throw new IllegalArgumentException(what + " gives no right; " + takes + " (as names separated by " +
                "commas: read,write)");
        }
        if (granted.contains(Right.WRITE) && !granted.contains(Right.READ))
        {
            throw new IllegalArgumentException("worker '" + worker + "' is granted write on " + target + " without " +
                "read; grant read,write (a writable mapping is readable too)");
        }
        return Rights.of(granted.toArray(new Right[0]));
    }

    /** @return what a config calls an object of {@code kind}: segment, allocator or table. */
    public static String noun(final ObjectKind kind)
    {
        return switch (kind)
        {
            case ALLOCATOR -> "allocator";
            case TABLE -> "table";
            default -> "segment";
        };
    }

    /**
     * @return {@code "; did you mean 'x'?"} for the name among {@code candidates} closest to {@code word}, as the
     *         config's checks say it, or {@code ""}.
     */
    public static String didYouMean(final String word, final Collection<String> candidates)
    {
        return Suggestions.didYouMean(word, candidates);
    }
}
