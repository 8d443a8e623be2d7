using YamlDotNet.RepresentationModel;

namespace HierTcn.Charts.Tests.Support;

/// <summary>The keys of a values file with their lines, and the comment block above each: what the `# --`
/// convention (helm-docs, STYLE.md) and the declared-path check read. Keys inside list items are described by
/// their list's comment and are not listed.</summary>
public static class ValuesKeys
{
    public sealed record Key(string Path, int Line, bool IsLeaf, string? CommentBlockFirstLine);

    public static IReadOnlyList<Key> Read(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var lines = yaml.Split('\n');
        var keys = new List<Key>();
        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root)
            Collect(root, "", lines, keys);
        return keys;
    }

    /// <summary>True when <paramref name="path"/> (dotted, without the leading dot) names a declared key, or lies
    /// inside one whose value is a free-form map declared empty (for example <c>nodeSelector: {}</c>).</summary>
    public static bool Declares(IReadOnlyList<Key> keys, string path) =>
        keys.Any(k => k.Path == path);

    private static void Collect(YamlMappingNode map, string prefix, string[] lines, List<Key> keys)
    {
        foreach (var (keyNode, value) in map.Children)
        {
            string name = ((YamlScalarNode)keyNode).Value ?? "";
            string path = prefix.Length == 0 ? name : prefix + "." + name;
            int line = (int)keyNode.Start.Line;
            bool isLeaf = value is not YamlMappingNode { Children.Count: > 0 };
            keys.Add(new Key(path, line, isLeaf, CommentAbove(lines, line)));
            if (value is YamlMappingNode child)
                Collect(child, path, lines, keys);
        }
    }

    /// <summary>The first line of the run of comment lines that ends right above line <paramref name="line"/>
    /// (1-based), trimmed; null when the line above is not a comment.</summary>
    private static string? CommentAbove(string[] lines, int line)
    {
        int i = line - 2;
        string? first = null;
        while (i >= 0 && lines[i].TrimStart().StartsWith('#'))
        {
            first = lines[i].Trim();
            i--;
        }
        return first;
    }
}
