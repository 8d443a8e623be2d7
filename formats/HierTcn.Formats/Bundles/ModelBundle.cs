using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using HierTcn.Formats.Internal;
using HierTcn.Formats.Snapshots;

namespace HierTcn.Formats.Bundles;

/// <summary>
/// A model bundle checked before anything runs: the manifest parses and is complete, every file it lists exists
/// with the listed SHA-256, every graph and start token its model type needs is there with the contract's names
/// and shapes (<see cref="BundleSignatures"/>), and each ONNX file's own inputs, outputs and opset are the
/// manifest's. Immutable; thread-safe.
/// </summary>
public sealed class ModelBundle
{
    private readonly Dictionary<string, float[]> _startTokens;

    private ModelBundle(string directory, BundleManifest manifest, Dictionary<string, float[]> startTokens)
    {
        Directory = directory;
        Manifest = manifest;
        _startTokens = startTokens;
    }

    public string Directory { get; }

    public BundleManifest Manifest { get; }

    /// <summary>The full path of the graph playing <paramref name="role"/> (<see cref="GraphRoles"/>).</summary>
    public string GraphPath(string role) => Path.Combine(Directory, Manifest.Graphs[role].File);

    /// <summary>True when the model type has a graph for <paramref name="role"/>.</summary>
    public bool HasGraph(string role) => Manifest.Graphs.ContainsKey(role);

    /// <summary>A start token (<see cref="BundleSignatures.SessionStart"/>, <see cref="BundleSignatures.UserStart"/>),
    /// row-major. The caller must not modify it.</summary>
    public ReadOnlySpan<float> StartToken(string name) => _startTokens.TryGetValue(name, out var v)
        ? v
        : throw new KeyNotFoundException($"bundle {Manifest.ModelVersion} ({Manifest.ModelType}) has no start token \"{name}\"");

    /// <summary>Loads and checks the bundle in <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">The bundle is bad; the message names the file and the problem.</exception>
    public static ModelBundle Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory}: model bundle directory not found");
        }
        string manifestPath = Path.Combine(directory, BundleManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            throw new InvalidDataException($"{manifestPath}: missing; not a model bundle");
        }
        BundleManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BundleManifest>(File.ReadAllBytes(manifestPath), BundleManifest.JsonOptions)
                ?? throw new InvalidDataException($"{manifestPath}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{manifestPath}: invalid manifest: {e.Message}");
        }
        CheckManifest(manifestPath, manifest);
        foreach (var (name, expected) in manifest.Files)
        {
            string path = Path.Combine(directory, name);
            if (name.IndexOfAny(['/', '\\']) >= 0 || !File.Exists(path))
            {
                throw new InvalidDataException($"{path}: missing; {BundleManifest.FileName} lists it");
            }
        }
        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, expected) in manifest.Files)
        {
            string path = Path.Combine(directory, name);
            byte[] bytes = File.ReadAllBytes(path);
            string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{path}: checksum mismatch: {BundleManifest.FileName} says sha256 {expected}, the file hashes to {actual}");
            }
            contents[name] = bytes;
        }
        foreach (var (role, graph) in manifest.Graphs)
        {
            CheckGraph(Path.Combine(directory, graph.File), role, graph, manifest.Opset, contents[graph.File]);
        }
        var tokens = ReadStartTokens(Path.Combine(directory, manifest.StartTokens.File), manifest.StartTokens, contents[manifest.StartTokens.File]);
        return new ModelBundle(directory, manifest, tokens);
    }

    /// <summary>Opens the item snapshot this bundle references from <paramref name="snapshotDirectory"/> and checks
    /// that it is the one the manifest names (checksum, rows, dimension).</summary>
    /// <exception cref="InvalidDataException">No reference, or the snapshot does not match it.</exception>
    public ItemSnapshot OpenSnapshot(string snapshotDirectory)
    {
        var reference = Manifest.ItemSnapshot
            ?? throw new InvalidDataException($"{Path.Combine(Directory, BundleManifest.FileName)}: no item_snapshot reference");
        var snapshot = ItemSnapshot.Open(ItemSnapshotDirectory.PathOf(snapshotDirectory, reference.Version));
        try
        {
            CheckSnapshot(snapshot);
            return snapshot;
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
    }

    /// <summary>Checks that <paramref name="snapshot"/> can be scored by this model (same d) and, if the manifest
    /// references a snapshot of the same version, that it is that exact file.</summary>
    public void CheckSnapshot(ItemSnapshot snapshot)
    {
        if (snapshot.Dimension != Manifest.Dims.ItemDim)
        {
            throw new InvalidDataException($"{snapshot.Path}: item dimension {snapshot.Dimension} does not match model "
                + $"{Manifest.ModelVersion}'s item dimension {Manifest.Dims.ItemDim}");
        }
        if (Manifest.ItemSnapshot is { } r && Path.GetFileNameWithoutExtension(snapshot.Path) == r.Version
            && (r.Checksum != snapshot.Header.Checksum || r.Rows != snapshot.Header.Rows))
        {
            throw new InvalidDataException($"{snapshot.Path}: snapshot {r.Version} has checksum {snapshot.Header.Checksum} and "
                + $"{snapshot.Header.Rows} rows; model {Manifest.ModelVersion} expects checksum {r.Checksum} and {r.Rows} rows");
        }
    }

    private static void CheckManifest(string path, BundleManifest m)
    {
        if (m.FormatVersion != BundleManifest.CurrentFormatVersion)
        {
            throw new InvalidDataException($"{path}: format_version {m.FormatVersion}; this loader knows {BundleManifest.CurrentFormatVersion}");
        }
        if (!ModelTypes.All.Contains(m.ModelType))
        {
            throw new InvalidDataException($"{path}: unknown model_type \"{m.ModelType}\"; known: {string.Join(", ", ModelTypes.All)}");
        }
        if (m.Dims.ItemDim <= 0 || m.Dims.Layers <= 0 || m.Dims.Hidden <= 0)
        {
            throw new InvalidDataException($"{path}: dims must be positive: item_dim {m.Dims.ItemDim}, layers {m.Dims.Layers}, hidden {m.Dims.Hidden}");
        }
        if (m.Dims.FeatureDim is <= 0)
        {
            throw new InvalidDataException($"{path}: dims.feature_dim must be positive when present, found {m.Dims.FeatureDim}");
        }
        if (m.Opset < 17)
        {
            throw new InvalidDataException($"{path}: opset {m.Opset}; bundles need ONNX opset 17 or newer");
        }
        if (m.SessionGapMs <= 0)
        {
            throw new InvalidDataException($"{path}: session_gap_ms must be positive, found {m.SessionGapMs}");
        }
        CheckRecentPop(path, m);
        var expected = BundleSignatures.Graphs(m.ModelType, m.Dims);
        foreach (var (role, want) in expected)
        {
            if (!m.Graphs.TryGetValue(role, out var have))
            {
                if (BundleSignatures.IsOptional(role))
                {
                    continue;
                }
                throw new InvalidDataException($"{path}: a {m.ModelType} bundle needs a \"{role}\" graph ({want.File}); the manifest has none");
            }
            CheckSignature(path, $"\"{role}\" graph {have.File}", "inputs", want.Inputs, have.Inputs);
            CheckSignature(path, $"\"{role}\" graph {have.File}", "outputs", want.Outputs, have.Outputs);
            if (!m.Files.ContainsKey(have.File))
            {
                throw new InvalidDataException($"{path}: graph file {have.File} is not listed (with its checksum) in files");
            }
        }
        foreach (var role in m.Graphs.Keys.Except(expected.Keys))
        {
            throw new InvalidDataException($"{path}: unexpected \"{role}\" graph for a {m.ModelType} model");
        }
        var tokens = BundleSignatures.StartTokens(m.ModelType, m.Dims);
        if (!m.Files.ContainsKey(m.StartTokens.File))
        {
            throw new InvalidDataException($"{path}: start token file {m.StartTokens.File} is not listed (with its checksum) in files");
        }
        foreach (var want in tokens.Tokens)
        {
            var have = m.StartTokens.Tokens.FirstOrDefault(t => t.Name == want.Name)
                ?? throw new InvalidDataException($"{path}: start token \"{want.Name}\" missing");
            if (!have.Shape.SequenceEqual(want.Shape))
            {
                throw new InvalidDataException($"{path}: start token \"{want.Name}\" has shape [{string.Join(", ", have.Shape)}], "
                    + $"expected [{string.Join(", ", want.Shape)}] for these dims");
            }
        }
        if (m.ItemSnapshot is { } s && s.Dimension != m.Dims.ItemDim)
        {
            throw new InvalidDataException($"{path}: item_snapshot {s.Version} has dimension {s.Dimension} but the model's item_dim is {m.Dims.ItemDim}");
        }
    }

    /// <summary>A prior exactly when the dims say the score graph reads one, on a model type that has it, with a finite
    /// weight and a positive window.</summary>
    private static void CheckRecentPop(string path, BundleManifest m)
    {
        bool dims = m.Dims.RecentPop == true;
        if (m.Dims.RecentPop == false)
        {
            throw new InvalidDataException($"{path}: dims.recent_pop is true or absent, found false");
        }
        if (dims != m.RecentPopPrior is not null)
        {
            throw new InvalidDataException(dims
                ? $"{path}: dims.recent_pop is true but the manifest has no recent_pop_prior (weight and window_ms)"
                : $"{path}: recent_pop_prior is present but dims.recent_pop is not true");
        }
        if (m.RecentPopPrior is not { } prior)
        {
            return;
        }
        if (m.ModelType is not (ModelTypes.HierTcn or ModelTypes.HierGru))
        {
            throw new InvalidDataException($"{path}: a {m.ModelType} model has no recent-popularity prior (only {ModelTypes.HierTcn} and {ModelTypes.HierGru})");
        }
        if (!float.IsFinite(prior.Weight) || prior.WindowMs <= 0)
        {
            throw new InvalidDataException($"{path}: recent_pop_prior needs a finite weight and a positive window_ms, found {prior.Weight} and {prior.WindowMs}");
        }
    }

    private static void CheckSignature(string path, string what, string kind, IReadOnlyList<TensorSpec> expected, IReadOnlyList<TensorSpec> found)
    {
        if (expected.Count != found.Count || expected.Zip(found).Any(p => !p.First.Matches(p.Second)))
        {
            throw new InvalidDataException($"{path}: {what} {kind} do not match: expected {string.Join("; ", expected)}; "
                + $"found {string.Join("; ", found)}");
        }
    }

    private static void CheckGraph(string path, string role, GraphSpec spec, int opset, byte[] bytes)
    {
        var (fileOpset, inputs, outputs) = OnnxSignature.Read(path, bytes);
        if (fileOpset != opset)
        {
            throw new InvalidDataException($"{path}: imports opset {fileOpset}, the manifest says {opset}");
        }
        CheckSignature(path, $"ONNX graph (\"{role}\")", "inputs", spec.Inputs, inputs);
        CheckSignature(path, $"ONNX graph (\"{role}\")", "outputs", spec.Outputs, outputs);
    }

    private static Dictionary<string, float[]> ReadStartTokens(string path, StartTokensSpec spec, byte[] bytes)
    {
        if (bytes.Length % 4 != 0)
        {
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is not a whole number of float32 values");
        }
        var all = MemoryMarshal.Cast<byte, float>(bytes);
        var tokens = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var token in spec.Tokens)
        {
            if (token.Offset < 0 || token.Offset + token.Count > all.Length)
            {
                throw new InvalidDataException($"{path}: start token \"{token.Name}\" needs floats [{token.Offset}, "
                    + $"{token.Offset + token.Count}), the file has {all.Length}");
            }
            float[] values = all.Slice((int)token.Offset, (int)token.Count).ToArray();
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new InvalidDataException($"{path}: start token \"{token.Name}\" has a non-finite value at {bad}");
            }
            tokens[token.Name] = values;
        }
        return tokens;
    }
}
