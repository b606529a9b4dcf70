package io.trindle.supervisor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Which workers load libtrindle, and where the build puts it. */
class TrindleLibraryTest
{
    @TempDir
    Path directory;

    @Test
    void shouldFindTheLibraryBesideTheLaunchersBin()
    {
        assertEquals(Path.of("/src/native-shims/target/lib/libtrindle.so.0"),
            TrindleLibrary.of(Path.of("/src/native-shims/target/bin/trindle-launch")));
    }

    @Test
    void shouldFindTheLibraryOfAnInstallationOrBesideTheLaunchers() throws Exception
    {
        // native-shims/install.sh: PREFIX/libexec/trindle/trindle-launch and PREFIX/lib/libtrindle.so.0.
        final Path installed = Files.createDirectories(directory.resolve("prefix/lib")).resolve("libtrindle.so.0");
        Files.write(installed, new byte[0]);
        assertEquals(installed, TrindleLibrary.of(directory.resolve("prefix/libexec/trindle/trindle-launch")));

        // The launchers and the library in one directory.
        final Path beside = Files.createDirectories(directory.resolve("flat")).resolve("libtrindle.so.0");
        Files.write(beside, new byte[0]);
        assertEquals(beside, TrindleLibrary.of(directory.resolve("flat/trindle-launch")));
    }

    @Test
    void shouldSeeAProgramThatNamesTheLibraryWhereverTheNameLies() throws Exception
    {
        // The name across the boundary of the 64 KiB chunks the program is read in, and at its very end.
        for (final int at : new int[] {0, (64 << 10) - 5, 200_000})
        {
            final byte[] bytes = new byte[at + 13];
            System.arraycopy("libtrindle.so".getBytes(StandardCharsets.US_ASCII), 0, bytes, at, 13);
            final Path program = Files.write(directory.resolve("program-" + at), bytes);

            assertEquals("the program links", TrindleLibrary.loader(program, null, null, directory), "at " + at);
        }
        final Path plain = Files.write(directory.resolve("plain"), new byte[300_000]);
        assertNull(TrindleLibrary.loader(plain, null, null, directory));
    }

    @Test
    void shouldSeeAPythonWorkerByItsInterpreterOrItsPythonPath() throws Exception
    {
        final Path script = Files.writeString(directory.resolve("stage.py"), "#!/usr/bin/python3\n");
        assertEquals("the trindle package of a Python worker loads",
            TrindleLibrary.loader(script, Path.of("/usr/bin/python3.12"), null, directory));

        Files.createDirectories(directory.resolve("lib/trindle"));
        Files.writeString(directory.resolve("lib/trindle/__init__.py"), "");
        assertEquals("the trindle package on its PYTHONPATH loads",
            TrindleLibrary.loader(script, Path.of("/bin/sh"), "/no/such:lib", directory));
        assertNull(TrindleLibrary.loader(script, Path.of("/bin/sh"), "/no/such", directory));
    }
}
