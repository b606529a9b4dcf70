package io.trindle.ipc;

/** Told when a receiver finds a lane broken and stops reading it; the other lanes go on. */
@FunctionalInterface
public interface LaneFaultListener
{
    /**
     * @param pipeId the pipe the lane belongs to.
     * @param laneId the lane, as its header names it.
     * @param reason what was wrong, with the values read, e.g. {@code "record at position=4096: length=70000
     *               exceeds maxPayloadLength=8176"}.
     */
    void onLaneFault(long pipeId, int laneId, String reason);
}
