namespace HierTcn.Formats.Bundles;

/// <summary>Where the start tokens live: a little-endian float32 file inside the bundle and its entries.</summary>
public sealed record StartTokensSpec(string File, IReadOnlyList<StartTokenSpec> Tokens);
