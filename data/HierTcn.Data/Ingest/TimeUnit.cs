namespace HierTcn.Data.Ingest;

/// <summary>How the timestamp column is written. Every unit is converted to milliseconds since the Unix epoch.</summary>
public enum TimeUnit
{
    /// <summary>Detected from the first rows (<see cref="TimeUnitDetector"/>); a mixed or unrecognisable column is refused.</summary>
    Auto,
    /// <summary>Integer seconds since the epoch.</summary>
    Seconds,
    /// <summary>Integer milliseconds since the epoch.</summary>
    Milliseconds,
    /// <summary>Integer microseconds since the epoch (truncated to milliseconds).</summary>
    Microseconds,
    /// <summary>ISO-8601 date-times (<c>2017-10-01T03:00:00Z</c>, <c>2017-10-01 03:00:00+02:00</c>); no offset means UTC.</summary>
    Iso,
}
