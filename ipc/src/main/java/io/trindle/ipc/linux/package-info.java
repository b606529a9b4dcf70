/**
 * The Linux calls Trindle makes, bound through the Foreign Function &amp; Memory API (no JNI), one class per
 * subject: {@link io.trindle.ipc.linux.Fds} (open, close, read, write, pipes, fcntl),
 * {@link io.trindle.ipc.linux.Memfd} (memfd_create, size, seals, in-kernel copies),
 * {@link io.trindle.ipc.linux.Memory} (mmap, munmap, mprotect), {@link io.trindle.ipc.linux.Sockets}
 * (socketpair, sendmsg/recvmsg with SCM_RIGHTS), {@link io.trindle.ipc.linux.Futex} (futex wait and wake,
 * futex_waitv, membarrier) and {@link io.trindle.ipc.linux.Processes} (posix_spawn, waitpid, kill, pidfd).
 *
 * <p>Every binding is a {@code private static final} method handle built by one helper, which adds errno
 * capture; a symbol missing from the C library fails the class's initialisation with a {@link LinkageError}
 * naming it. A failing call throws {@link io.trindle.ipc.linux.SystemCallException} naming the call, its
 * arguments and the errno by name and number. The errno capture memory is per thread, so concurrent calls never
 * read each other's errno.
 *
 * <p>Constants are the x86-64 / generic Linux values, named as in the man pages.
 */
package io.trindle.ipc.linux;
