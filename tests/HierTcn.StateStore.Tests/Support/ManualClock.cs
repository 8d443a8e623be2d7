namespace HierTcn.StateStore.Tests.Support;

/// <summary>A clock the test moves by hand; timers created on it (the engine's <see cref="PeriodicTimer"/>) fire
/// when it is moved past their due time, never on their own.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = start;

    /// <summary>The time now; setting it fires the timers that fall due.</summary>
    public DateTimeOffset Now
    {
        get
        {
            lock (_timers)
            {
                return _now;
            }
        }
        set
        {
            List<ManualTimer> due;
            lock (_timers)
            {
                _now = value;
                due = [.. _timers.Where(t => t.IsDue(value))];
            }
            foreach (var timer in due)
            {
                timer.Fire(value);
            }
        }
    }

    public override DateTimeOffset GetUtcNow() => Now;

    /// <summary>Timers created on this clock and not disposed.</summary>
    public int Timers
    {
        get
        {
            lock (_timers)
            {
                return _timers.Count;
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_timers)
        {
            _timers.Add(timer);
            timer.Schedule(_now, dueTime, period);
        }
        return timer;
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private DateTimeOffset? _due;
        private TimeSpan _period;

        public bool IsDue(DateTimeOffset now) => _due is { } due && due <= now;

        public void Schedule(DateTimeOffset now, TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            _due = dueTime == Timeout.InfiniteTimeSpan ? null : now + dueTime;
        }

        public void Fire(DateTimeOffset now)
        {
            lock (clock._timers)
            {
                if (_due is null)
                {
                    return;
                }
                // One callback per move, however far the clock moved: enough for a periodic tick.
                _due = _period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan ? now + _period : null;
            }
            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._timers)
            {
                Schedule(clock._now, dueTime, period);
            }
            return true;
        }

        public void Dispose()
        {
            lock (clock._timers)
            {
                _due = null;
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
