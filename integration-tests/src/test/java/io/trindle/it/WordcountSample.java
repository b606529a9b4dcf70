package io.trindle.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A word-count config from {@code samples/wordcount}, as shipped, with its paths (written relative to the
 * sample's directory) made absolute, so that a test can run it from a directory of its own.
 */
final class WordcountSample
{
    static final Path SAMPLES = Path.of("..", "samples").toAbsolutePath().normalize();

    private WordcountSample()
    {
    }

    /**
     * @return the text of {@code samples/wordcount/FILE} with every relative path it holds made absolute, and a
     * generous ready timeout for its JVM worker ({@link ReadyTimeouts}).
     */
    static String config(final String file) throws IOException
    {
        return ReadyTimeouts.generous(Files.readString(SAMPLES.resolve("wordcount").resolve(file)))
            .replace("../target/bin/wordcount-splitter", SAMPLES.resolve("target/bin/wordcount-splitter").toString())
            .replace("counter.py", SAMPLES.resolve("wordcount/counter.py").toString())
            .replace("../../python", SAMPLES.resolveSibling("python").toString())
            .replace("../../native-shims", SAMPLES.resolveSibling("native-shims").toString());
    }
}
