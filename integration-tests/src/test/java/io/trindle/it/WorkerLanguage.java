package io.trindle.it;

/**
 * The languages of native-shims' test workers beside Java: a C program {@code trindle-c-NAME} in its build, on
 * libtrindle, and a Python script {@code python-NAME.py} in its tests, on this checkout's trindle package; each
 * test worker exists in both, printing the same lines.
 */
enum WorkerLanguage
{
    C, PYTHON;

    /**
     * @return how a worker's config starts test worker {@code name} in this language with argument {@code role}:
     *         its {@code command}, and for Python the {@code env} that finds the package and the library, on a
     *         line of its own indented as a worker's keys are (see {@link OtherLanguageWorkers}).
     */
    String worker(final String name, final String role)
    {
        return switch (this)
        {
            case C -> OtherLanguageWorkers.c("trindle-c-" + name, role);
            case PYTHON -> OtherLanguageWorkers.python("python-" + name + ".py", role);
        };
    }
}
