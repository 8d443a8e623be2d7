using HierTcn.Data.Dataset;
using HierTcn.Data.Ingest;

namespace HierTcn.Data.Preparation;

/// <summary>How to prepare an events file per PROTOCOL.md. The protocol's constants (50 events per item, 10 to 1000
/// per user, the 30-minute session gap, the 80/90 split points) are fixed, not options: a number made any other way
/// is not comparable.</summary>
public sealed record PrepareOptions
{
    /// <summary>Cold (section 4, the default) or warm (section 5). Ignored with <see cref="CatalogFrom"/>, which makes
    /// a <see cref="SplitKind.Score"/> dataset.</summary>
    public SplitKind Split { get; init; } = SplitKind.Cold;

    /// <summary>A prepared dataset directory whose catalogue to use (PROTOCOL.md section 9): events whose item is not
    /// in it are dropped (no 50-event item filter), then the user filter; every user is a test user; items keep the
    /// parent's dense ids, and N is the parent's catalogue size. Null (the default) prepares a dataset of its own.</summary>
    public string? CatalogFrom { get; init; }

    /// <summary>An item feature file (CSV/TSV, plain or gzip: an item id column named as
    /// <see cref="EventIngestOptions.ItemColumn"/>, then <c>f0..f{d-1}</c>) whose rows become the dataset's
    /// <c>item_features</c> section. Every catalogue item needs a row; rows of other items are ignored. Null (the
    /// default): no features, except that a section 9 dataset copies its parent's.</summary>
    public string? ItemsPath { get; init; }

    /// <summary>How to read the events file.</summary>
    public EventIngestOptions Ingest { get; init; } = new();

    /// <summary>A short name for reports; null (the default) uses the input file's name.</summary>
    public string? Name { get; init; }
}
