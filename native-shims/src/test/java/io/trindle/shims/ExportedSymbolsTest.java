package io.trindle.shims;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * libtrindle exports exactly its public API, deliberately: the functions declared {@code TRINDLE_API} in the public
 * header (src/main/include/trindle.h) and nothing else, each with the symbol version {@code TRINDLE_0}; the shared
 * library is named by its soname {@code libtrindle.so.0}, with the links a program and the linker look for.
 */
class ExportedSymbolsTest
{
    static final Path LIB = CWorker.BIN.toAbsolutePath().getParent().resolve("lib");
    private static final Pattern DECLARED = Pattern.compile("TRINDLE_API\\s+[^;{(]*?\\b(trindle_\\w+)\\s*\\(");
    private static final Pattern EXPORTED = Pattern.compile("^\\p{XDigit}+ (\\w) (\\w+)(@@?(\\w+))?$");

    @Test
    void shouldExportExactlyTheFunctionsOfThePublicHeaderVersionedTrindle0() throws Exception
    {
        final String header = Files.readString(Path.of("src", "main", "include", "trindle.h"));
        final Set<String> declared = new TreeSet<>();
        final Matcher declaration = DECLARED.matcher(header);
        while (declaration.find())
        {
            declared.add(declaration.group(1));
        }
        assertTrue(declared.size() > 50, "the header's functions: " + declared);

        final Set<String> exported = new TreeSet<>();
        for (final String line : Commands.run(List.of("nm", "-D", "--defined-only",
            LIB.resolve("libtrindle.so.0").toString())))
        {
            final Matcher symbol = EXPORTED.matcher(line.strip());
            assertTrue(symbol.matches(), "an nm line: " + line);
            if (symbol.group(1).equals("A") && symbol.group(2).equals("TRINDLE_0"))
            {
                continue; // the version node itself
            }
            assertEquals("T", symbol.group(1), "only functions are exported: " + line);
            assertEquals("TRINDLE_0", symbol.group(4), "every symbol has the version TRINDLE_0: " + line);
            exported.add(symbol.group(2));
        }
        assertEquals(declared, exported, "the header's TRINDLE_API functions (left), the library's exported ones");
    }

    @Test
    void shouldBeNamedByItsSonameWithTheLinksBesideIt() throws Exception
    {
        final List<String> dynamic = Commands.run(List.of("readelf", "-d", LIB.resolve("libtrindle.so").toString()));
        assertTrue(dynamic.stream().anyMatch(line -> line.contains("(SONAME)") &&
            line.endsWith("Library soname: [libtrindle.so.0]")), String.join("\n", dynamic));

        assertEquals(Path.of("libtrindle.so.0"), Files.readSymbolicLink(LIB.resolve("libtrindle.so")));
        final Path real = Files.readSymbolicLink(LIB.resolve("libtrindle.so.0"));
        assertTrue(real.toString().matches("libtrindle\\.so\\.0\\.\\d+\\.\\d+"), real.toString());
        assertTrue(Files.isRegularFile(LIB.resolve(real), java.nio.file.LinkOption.NOFOLLOW_LINKS), real.toString());
    }
}
