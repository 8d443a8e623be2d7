namespace HierTcn.Data.Synthetic;

/// <summary>
/// The synthetic Pinterest-like setting (the paper's second setting): items with unit-norm d-dimensional features in
/// topic clusters; users with a few favourite topics (long-term interest) that drift slowly from session to session,
/// and a short-term interest vector that starts near the session's topic and moves toward each clicked item; at each
/// step about <see cref="ImpressionsPerStep"/> items are shown (mostly from the current topic) and one is clicked,
/// drawn by softmax of short-term interest . item features / <see cref="Temperature"/> + item bias. Defaults make every
/// item reach the protocol's 50 events and leave sequential structure a model can learn.
/// </summary>
public sealed record SyntheticOptions
{
    public const int MaxDim = 512;

    /// <summary>Number of users (ids 0..Users-1). Default 8,000.</summary>
    public int Users { get; init; } = 8_000;

    /// <summary>Number of items (ids 0..Items-1); their features are held in memory (Items x Dim floats). Default 2,000.</summary>
    public int Items { get; init; } = 2_000;

    /// <summary>Feature dimension d, 2..512. Default 32.</summary>
    public int Dim { get; init; } = 32;

    /// <summary>Topic clusters; item i belongs to topic i mod Topics. Default 40.</summary>
    public int Topics { get; init; } = 40;

    /// <summary>The seed: the same seed and options give byte-identical files. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Items shown at each step, the clicked one among them. Default 10.</summary>
    public int ImpressionsPerStep { get; init; } = 10;

    /// <summary>Sessions per user, uniform in [MinSessions, MaxSessions]. Defaults 3 and 12.</summary>
    public int MinSessions { get; init; } = 3;
    public int MaxSessions { get; init; } = 12;

    /// <summary>Clicks per session, uniform in [MinSessionLength, MaxSessionLength]. Defaults 2 and 14.</summary>
    public int MinSessionLength { get; init; } = 2;
    public int MaxSessionLength { get; init; } = 14;

    /// <summary>Softmax temperature of the click. Lower is more predictable. Default 0.15.</summary>
    public double Temperature { get; init; } = 0.15;

    /// <summary>Chance, per session, that one favourite topic is replaced by a neighbouring one. Default 0.2.</summary>
    public double TopicDrift { get; init; } = 0.2;

    /// <summary>Chance, per step, that the session moves to another topic. Default 0.15.</summary>
    public double TopicSwitch { get; init; } = 0.15;

    /// <summary>How far short-term interest moves toward each clicked item (0..1). Default 0.5.</summary>
    public double ShortTermStep { get; init; } = 0.5;

    /// <summary>First possible event time, ms since the epoch. Default 2024-01-01T00:00:00Z.</summary>
    public long StartTimeMs { get; init; } = 1_704_067_200_000;

    /// <summary>Share of the items (the highest ids) that are published over time instead of existing from the start,
    /// 0..0.9. Item i of them appears at a publication time that grows with its id, spread evenly from
    /// <see cref="NewItemsFirstDay"/> to <see cref="NewItemsLastDay"/> after <see cref="StartTimeMs"/>; before it the item
    /// is never shown, so never clicked. Their features are drawn as every item's (topic centre plus noise), so a
    /// model that reads features can rank them. Default 0: every item exists from the start (the files are then the
    /// same as before this option existed).</summary>
    public double NewItems { get; init; }

    /// <summary>Chance that a slot of the current topic shows one of the topic's fresh items (published within
    /// <see cref="FreshDays"/>) when it has one, so a new item's clicks concentrate after its publication. Default 0.3.</summary>
    public double FreshShare { get; init; } = 0.3;

    /// <summary>Days an item counts as fresh after its publication. Default 2.</summary>
    public double FreshDays { get; init; } = 2;

    /// <summary>Publication window of the new items, in days after <see cref="StartTimeMs"/>. Users start within the
    /// first 14 days and stay about a week, so with the defaults the warm split's training period ends near day 14
    /// and its test period starts near day 16: the items published after day 14 are new to a model trained on it.</summary>
    public const double NewItemsFirstDay = 1;

    /// <inheritdoc cref="NewItemsFirstDay"/>
    public const double NewItemsLastDay = 18;

    /// <summary>Items that exist from the start: all but the <see cref="NewItems"/> share.</summary>
    public int StartItems => Items - (int)Math.Round(NewItems * Items);

    /// <summary>Throws <see cref="UserInputException"/> naming the first bad option.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new UserInputException(message);
            }
        }
        Check(Users >= 1, $"--users must be at least 1 (got {Users})");
        Check(Dim is >= 2 and <= MaxDim, $"--dim must be 2..{MaxDim} (got {Dim})");
        Check(ImpressionsPerStep >= 1, $"--impressions must be at least 1 (got {ImpressionsPerStep})");
        Check(Topics >= 1, $"--topics must be at least 1 (got {Topics})");
        Check(Items >= 2 * ImpressionsPerStep && Items >= Topics * 2, $"--items must be at least 2 x impressions and 2 x topics (got {Items})");
        Check(NewItems is >= 0 and <= 0.9, $"--new-items must lie in 0..0.9 (got {NewItems})");
        Check(StartItems >= 2 * ImpressionsPerStep && StartItems >= Topics * 2,
            $"--new-items {NewItems} leaves {StartItems} items at the start; at least 2 x impressions and 2 x topics must exist from the start");
        Check(FreshShare is >= 0 and <= 1, $"--fresh-share must lie in 0..1 (got {FreshShare})");
        Check(FreshDays is > 0 and <= 365, $"--fresh-days must lie in (0, 365] (got {FreshDays})");
        Check((long)Items * Dim <= 1L << 31, $"--items x --dim must stay within 2^31 floats (got {(long)Items * Dim})");
        Check(MinSessions >= 1 && MaxSessions >= MinSessions, $"sessions per user must satisfy 1 <= min <= max (got {MinSessions}..{MaxSessions})");
        Check(MinSessionLength >= 1 && MaxSessionLength >= MinSessionLength, $"session length must satisfy 1 <= min <= max (got {MinSessionLength}..{MaxSessionLength})");
        Check(Temperature > 0, $"--temperature must be positive (got {Temperature})");
        Check(TopicDrift is >= 0 and <= 1 && TopicSwitch is >= 0 and <= 1 && ShortTermStep is >= 0 and <= 1, "drift, switch and step must lie in 0..1");
        // 40 days of sessions at most a user, from a start in 2000..2090, stays inside ingest's 1990..2100 window.
        Check(StartTimeMs is >= 946_684_800_000 and <= 3_786_912_000_000, $"--start-ms must fall in 2000..2090 (got {StartTimeMs})");
    }
}
