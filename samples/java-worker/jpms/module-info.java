/**
 * The squares workers as a Java module. The runtime's jars name their modules in their manifests
 * (Automatic-Module-Name): io.trindle.runtime and io.trindle.ipc.
 */
module org.example.squares
{
    requires io.trindle.runtime;
    requires io.trindle.ipc;

    exports org.example.squares;
}
