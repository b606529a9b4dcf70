package io.trindle.supervisor;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * libtrindle.so.0, the C client library: where the build puts it, and whether a worker loads it, so that a sandboxed
 * worker that does is given its directory read-only without the config listing it.
 */
final class TrindleLibrary
{
    /** The library's name without its version, which a program linked with it names (as {@link #SONAME}). */
    static final String NAME = "libtrindle.so";

    /** The library's soname, the file a program linked with it loads: {@code libtrindle.so.0}. */
    static final String SONAME = NAME + ".0";

    /** How much of a program is searched for {@link #NAME}: its dynamic section is near the start. */
    private static final long MAX_SCANNED_BYTES = 32 << 20;
    private static final int BUFFER = 64 << 10;

    private TrindleLibrary()
    {
    }

    /**
     * @param launcher the launcher, {@code native-shims/target/bin/trindle-launch} in a build,
     *                 {@code PREFIX/libexec/trindle/trindle-launch} where {@code native-shims/install.sh} put it.
     * @return the library ({@link #SONAME}) where the build or an installation puts it: in the {@code lib} directory
     *         beside the launcher's directory ({@code native-shims/target/lib}), beside its parent (an
     *         installation's {@code PREFIX/lib}), or the launcher's own directory; the first that holds it, else the
     *         build's.
     */
    static Path of(final Path launcher)
    {
        final Path directory = launcher.toAbsolutePath().normalize().getParent();
        final Path build = directory.resolveSibling("lib").resolve(SONAME);
        final List<Path> candidates = new ArrayList<>(List.of(build));
        if (directory.getParent() != null && directory.getParent().getParent() != null)
        {
            candidates.add(directory.getParent().resolveSibling("lib").resolve(SONAME));
        }
        candidates.add(directory.resolve(SONAME));
        return candidates.stream().filter(Files::exists).findFirst().orElse(build);
    }

    /**
     * Whether a worker loads the library: its program names it (an ELF program linked with it holds the name in
     * its dynamic section), or it is a Python worker (its program or its {@code #!} interpreter is a
     * {@code python…}: the {@code trindle} package it imports loads the library), or its {@code PYTHONPATH} holds
     * the {@code trindle} package.
     *
     * @param program     the program as found, or {@code null}.
     * @param interpreter the program's {@code #!} interpreter, or {@code null}.
     * @param pythonPath  the worker's {@code PYTHONPATH}, or {@code null}.
     * @param cwd         the worker's directory, against which relative entries resolve.
     * @return what loads it, to complete a reason such as {@code libtrindle.so, which the program links};
     *         {@code null} if nothing does.
     */
    static String loader(final Path program, final Path interpreter, final String pythonPath, final Path cwd)
    {
        if (program != null && names(program))
        {
            return "the program links";
        }
        if (isPython(program) || isPython(interpreter))
        {
            return "the trindle package of a Python worker loads";
        }
        for (final String entry : pythonPath == null ? new String[0] : pythonPath.split(File.pathSeparator))
        {
            if (!entry.isEmpty() && Files.isRegularFile(cwd.resolve(entry).resolve("trindle").resolve("__init__.py")))
            {
                return "the trindle package on its PYTHONPATH loads";
            }
        }
        return null;
    }

    private static boolean isPython(final Path program)
    {
        return program != null && program.getFileName() != null &&
            program.getFileName().toString().startsWith("python");
    }

    /** @return whether the first {@link #MAX_SCANNED_BYTES} of {@code file} hold {@link #NAME}, read in chunks. */
    private static boolean names(final Path file)
    {
        // Each chunk is searched with the last bytes of the one before, so a name across two chunks is found too.
        final byte[] buffer = new byte[BUFFER + NAME.length()];
        try (InputStream in = Files.newInputStream(file))
        {
            int kept = 0;
            for (long scanned = 0; scanned < MAX_SCANNED_BYTES; )
            {
                final int read = in.readNBytes(buffer, kept, BUFFER);
                if (read <= 0)
                {
                    return false;
                }
                scanned += read;
                final int length = kept + read;
                // ISO-8859-1 maps each byte to one char, so the bytes are searched as they are.
                if (new String(buffer, 0, length, StandardCharsets.ISO_8859_1).contains(NAME))
                {
                    return true;
                }
                kept = Math.min(NAME.length() - 1, length);
                System.arraycopy(buffer, length - kept, buffer, 0, kept);
            }
            return false;
        }
        catch (final IOException e)
        {
            return false; // not readable: whether it links the library cannot be said, nor can it be run
        }
    }
}
