package io.trindle.shims;

import java.util.List;

/**
 * A language a worker of these tests is written in besides Java, for the tests that run the same case in each:
 * how it is named in messages and worker names, and how its test programs start.
 */
enum Language
{
    /** libtrindle, with the test programs of src/test/c ({@code trindle-c-ROLE}). */
    C("C", "c"),
    /** The trindle Python module, with the test scripts of src/test/python ({@code python-ROLE.py}). */
    PYTHON("Python", "python");

    private final String label;
    private final String prefix;

    Language(final String label, final String prefix)
    {
        this.label = label;
        this.prefix = prefix;
    }

    /** @return "C" or "Python", as the tests' messages say. */
    String label()
    {
        return label;
    }

    /** @return "c" or "python": the start of its worker names ("c-probe", "python-probe"). */
    String prefix()
    {
        return prefix;
    }

    /** Starts this language's test program for {@code role} ("receiver", "sender", "probe") as worker {@code name}. */
    CWorker start(final String name, final String role, final List<String> arguments)
    {
        return switch (this)
        {
            case C -> CWorker.start(name, "trindle-c-" + role, arguments);
            case PYTHON -> PythonWorker.startTest(name, "python-" + role + ".py", arguments);
        };
    }
}
