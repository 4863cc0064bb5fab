namespace VppPS.Simulator;

/// <summary>
/// What the simulator observes of a client's 2026 operational rules (spec §2.9 and "Pagination and versioning rules").
/// It enforces none of them (the spec makes them client rules); tests read these to check the client keeps them.
/// </summary>
public sealed partial class SimulatorState
{
    internal void EnterRequest(SimLocation l)
    {
        lock (l.Sync)
        {
            l.Requests++;
            if (++l.InFlight > l.MaxInFlight) l.MaxInFlight = l.InFlight;
        }
    }

    internal void LeaveRequest(SimLocation l)
    {
        lock (l.Sync) l.InFlight--;
    }

    /// <summary>Authenticated /mdm/v2 requests of the location: the count, in flight now, and the most in flight at once (the latency delay included).</summary>
    public SimRequestStats GetRequestStats(string location)
    {
        var l = Find(location);
        lock (l.Sync) return new SimRequestStats(l.Requests, l.InFlight, l.MaxInFlight);
    }

    /// <summary>Starts counting the most requests in flight at once afresh.</summary>
    public void ResetRequestStats(string location)
    {
        var l = Find(location);
        lock (l.Sync) { l.Requests = 0; l.MaxInFlight = l.InFlight; }
    }

    /// <summary>When GET /status was asked about an event (simulator clock), in order; KeyNotFoundException for an unknown eventId.</summary>
    public IReadOnlyList<DateTimeOffset> GetStatusPolls(string location, string eventId)
    {
        var l = Find(location);
        lock (l.Sync)
            return l.Events.TryGetValue(eventId, out var e) ? e.Polls.ToList() : throw new KeyNotFoundException($"No event {eventId} in '{l.LocationName}'.");
    }
}
