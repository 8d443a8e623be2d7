using System.IO.Compression;
using System.Text;

namespace HierTcn.Data.Tests;

/// <summary>A directory under the system temp folder, removed on dispose, with helpers to write test inputs.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hiertcn-test-" + Guid.NewGuid().ToString("N"));

    public TempDirectory() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string WriteText(string name, string content)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public string WriteGzip(string name, string content)
    {
        string path = File(name);
        using var f = System.IO.File.Create(path);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        gz.Write(Encoding.UTF8.GetBytes(content));
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
