using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// The ASP.NET configuration keys a template hands a server as environment variables (<c>Section__Key__0__Sub</c>,
/// as ConfigMap data keys or container <c>env</c> names), and whether each one binds to a settable property of the
/// options class that reads that section, the way <c>ConfigurationBinder</c> walks it (names case-insensitive,
/// numeric segments index a list).
/// </summary>
public static partial class ConfigurationKeys
{
    public sealed record Key(string Name, string File, int Line);

    /// <summary>Keys in <paramref name="text"/>; a template index such as <c>{{ $i }}</c> reads as 0.</summary>
    public static IReadOnlyList<Key> Scan(string text, string file)
    {
        var keys = new List<Key>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = TemplateIndex().Replace(lines[i], "0");
            var match = EnvName().Match(line);
            if (!match.Success)
                match = DataKey().Match(line);
            if (match.Success)
                keys.Add(new Key(match.Groups[1].Value, file, i + 1));
        }
        return keys;
    }

    /// <summary>Null when <paramref name="key"/> binds to a scalar property under its section's options type (the
    /// longest section name in <paramref name="sections"/> that the key starts with); otherwise why not.</summary>
    public static string? Problem(string key, IReadOnlyDictionary<string, Type> sections)
    {
        var segments = key.Split("__");
        // The longest section that prefixes the key ("StateStoreClient__Resp" before "StateStoreClient").
        int first = segments.Length - 1;
        Type? type = null;
        while (first > 0 && !sections.TryGetValue(string.Join("__", segments[..first]), out type))
            first--;
        if (type is null)
            return $"section '{segments[0]}' is not one the servers read";
        for (int i = first; i < segments.Length; i++)
        {
            string segment = segments[i];
            if (int.TryParse(segment, out _))
            {
                var element = ElementType(type);
                if (element is null)
                    return $"'{string.Join("__", segments[..i])}' is not a list, so index {segment} binds to nothing";
                type = element;
                continue;
            }
            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
                return $"{type.Name} has no property '{segment}'";
            if (i == segments.Length - 1 && !property.CanWrite)
                return $"{type.Name}.{property.Name} cannot be set";
            type = property.PropertyType;
        }
        return IsScalar(type) ? null : $"'{key}' names a {type.Name}, not a single value";
    }

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
            return type.GetElementType();
        var list = type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type : type.GetInterfaces().FirstOrDefault(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IList<>));
        return list?.GetGenericArguments()[0];
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal)
        || (Nullable.GetUnderlyingType(type) is { } inner && IsScalar(inner));

    [GeneratedRegex(@"\{\{-?\s*\$[A-Za-z]+\s*-?\}\}")]
    private static partial Regex TemplateIndex();

    [GeneratedRegex(@"^\s*-\s+name:\s+([A-Za-z][A-Za-z0-9]*(?:__[A-Za-z0-9]+)+)\s*$")]
    private static partial Regex EnvName();

    [GeneratedRegex(@"^\s+([A-Za-z][A-Za-z0-9]*(?:__[A-Za-z0-9]+)+):")]
    private static partial Regex DataKey();
}
