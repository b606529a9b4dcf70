package io.trindle.shims;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * install.sh puts libtrindle, its headers, trindle.pc and the launchers under a prefix, and a C worker is compiled
 * against that prefix with nothing but {@code cc $(pkg-config --cflags --libs trindle)} and runs, loading the
 * installed library; the tree still works moved elsewhere, since trindle.pc finds the rest from where it lies.
 */
class InstallTest
{
    private static final Path INSTALL = Path.of("install.sh").toAbsolutePath();

    /** Loads the library (it names the file its code came from), calls it, and includes a layout constant. */
    private static final String WORKER = """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <stdio.h>
        #include <trindle.h>

        int main(void)
        {
            trindle_t *t = NULL;
            Dl_info info;
            if (dladdr((void *)trindle_strerror, &info) == 0)
            {
                return 1;
            }
            printf("library %s\\n", info.dli_fname);
            printf("connect %d %s\\n", trindle_connect_fd(-1, &t), trindle_strerror(TRINDLE_E_INVALID));
            printf("lane magic %#x\\n", TRINDLE_LANE_MAGIC);
            return 0;
        }
        """;

    @TempDir
    Path directory;

    @Test
    void shouldInstallUnderAPrefixWhereAWorkerBuiltWithPkgConfigRuns() throws Exception
    {
        final Path prefix = directory.resolve("prefix");
        final List<String> installed = Commands.run(List.of(INSTALL.toString(), prefix.toString()));
        assertEquals(List.of("installed libtrindle 0.1.0 into " + prefix), installed);

        for (final String file : List.of("include/trindle.h", "include/trindle-layout.h",
            "include/trindle-checkpoint-layout.h", "lib/libtrindle.a", "lib/pkgconfig/trindle.pc",
            "libexec/trindle/trindle-launch", "libexec/trindle/trindle-sandbox", "libexec/trindle/trindle-bridge"))
        {
            assertTrue(Files.isRegularFile(prefix.resolve(file)), file);
        }
        assertEquals(Path.of("libtrindle.so.0"), Files.readSymbolicLink(prefix.resolve("lib/libtrindle.so")));
        assertTrue(Files.isSymbolicLink(prefix.resolve("lib/libtrindle.so.0")));
        assertTrue(Files.isExecutable(prefix.resolve("libexec/trindle/trindle-launch")));

        assertWorkerRuns(prefix);

        // Moved: the .pc file's prefix is where it lies now, and the old tree is gone.
        final Path moved = Files.move(prefix, directory.resolve("moved"));
        assertWorkerRuns(moved);
    }

    @Test
    void shouldRefuseAMissingPrefixWithUsage() throws Exception
    {
        assertEquals(List.of("usage: native-shims/install.sh PREFIX"),
            Commands.run(List.of(INSTALL.toString()), null, Map.of(), 100));
        assertEquals(List.of("install.sh: unknown option --prefix", "usage: native-shims/install.sh PREFIX"),
            Commands.run(List.of(INSTALL.toString(), "--prefix"), null, Map.of(), 100));
    }

    private void assertWorkerRuns(final Path prefix) throws Exception
    {
        final Path source = Files.writeString(directory.resolve("worker.c"), WORKER);
        final Path program = directory.resolve("worker");
        Files.deleteIfExists(program);
        // As a user types it: cc worker.c $(pkg-config --cflags --libs trindle), with only PKG_CONFIG_PATH set.
        final Map<String, String> environment = new HashMap<>();
        environment.put("PKG_CONFIG_PATH", prefix.resolve("lib/pkgconfig").toString());
        environment.put("LD_LIBRARY_PATH", null);
        final List<String> compile = new ArrayList<>(List.of("sh", "-c",
            "cc -std=c11 -Wall -Werror -o worker worker.c $(pkg-config --cflags --libs trindle)"));
        Commands.run(compile, directory, environment, 0);
        assertTrue(Files.isExecutable(program), source.toString());

        final List<String> output = Commands.run(List.of(program.toString()), directory, environment, 0);
        assertEquals(3, output.size(), String.join("\n", output));
        // Found through the rpath trindle.pc adds: PREFIX/lib/pkgconfig/../../lib.
        assertTrue(output.getFirst().startsWith("library "), output.getFirst());
        assertEquals(prefix.resolve("lib/libtrindle.so.0"),
            Path.of(output.getFirst().substring("library ".length())).normalize());
        assertEquals(List.of("connect -1 TRINDLE_E_INVALID: invalid argument", "lane magic 0x4e414c54"),
            output.subList(1, 3));
    }
}
