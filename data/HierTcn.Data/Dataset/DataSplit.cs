namespace HierTcn.Data.Dataset;

/// <summary>The split an event (or, in the cold-start split, a user) belongs to. Stored as one byte.</summary>
public enum DataSplit : byte
{
    Train = 0,
    Validation = 1,
    Test = 2,
}

/// <summary>How a prepared dataset was split.</summary>
public enum SplitKind
{
    /// <summary>PROTOCOL.md section 4: by user, with splitmix64.</summary>
    Cold,
    /// <summary>PROTOCOL.md section 5: by time, at the 80th and 90th percentiles.</summary>
    Warm,
    /// <summary>PROTOCOL.md section 9: the users of another file, all scored as test users against a parent catalogue.</summary>
    Score,
}
