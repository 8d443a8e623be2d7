using System.Security.Cryptography;
using System.Text.Json;
using HierTcn.Formats.Internal;
using HierTcn.Formats.Snapshots;

namespace HierTcn.Formats.Bundles;

/// <summary>Writes a model bundle atomically: every file into a temporary directory beside the target (each
/// fsynced), the manifest with their SHA-256 last, then one rename to <c>BUNDLES_DIR/MODEL_VERSION</c>.</summary>
public static class ModelBundleWriter
{
    /// <summary>Writes <paramref name="files"/> (name -> content) and the manifest; returns the bundle directory.
    /// The manifest's <see cref="BundleManifest.Files"/> is filled in here.</summary>
    /// <exception cref="IOException">A bundle of that version already exists (versions are immutable).</exception>
    public static string Write(string bundlesDirectory, BundleManifest manifest, IReadOnlyDictionary<string, byte[]> files)
    {
        ItemSnapshotDirectory.ValidateVersion(manifest.ModelVersion);
        Directory.CreateDirectory(bundlesDirectory);
        string target = Path.Combine(bundlesDirectory, manifest.ModelVersion);
        if (Directory.Exists(target))
        {
            throw new IOException($"{target}: a bundle of model version {manifest.ModelVersion} already exists; versions are immutable");
        }
        string temp = Path.Combine(bundlesDirectory, $".{manifest.ModelVersion}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, content) in files)
            {
                if (name == BundleManifest.FileName || name.IndexOfAny(['/', '\\']) >= 0 || name.StartsWith('.'))
                {
                    throw new ArgumentException($"bad bundle file name \"{name}\"");
                }
                WriteDurable(Path.Combine(temp, name), content);
                hashes[name] = Convert.ToHexStringLower(SHA256.HashData(content));
            }
            var complete = manifest with { Files = hashes };
            WriteDurable(Path.Combine(temp, BundleManifest.FileName), JsonSerializer.SerializeToUtf8Bytes(complete, BundleManifest.JsonOptions));
            AtomicFile.SyncDirectory(temp);
            Directory.Move(temp, target);
            AtomicFile.SyncDirectory(bundlesDirectory);
            return target;
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
            throw;
        }
    }

    private static void WriteDurable(string path, byte[] content)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }
}
