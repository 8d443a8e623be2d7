using System.Text.RegularExpressions;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// The series selectors and grouping labels of a PromQL expression, found lexically (enough for the rules and
/// panels of this chart, not a parser): <c>name{matchers}</c> and bare names that are not functions, aggregations
/// or keywords; the labels of <c>by</c>, <c>without</c>, <c>on</c>, <c>ignoring</c>, <c>group_left</c> and
/// <c>group_right</c> lists. Range and subquery brackets, string literals and Grafana variables are skipped.
/// </summary>
public static partial class PromQl
{
    public sealed record Selector(string Name, IReadOnlyList<string> Labels);

    private static readonly HashSet<string> s_keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
        "inf", "nan", "atan2", "start", "end",
    };

    public static IReadOnlyList<Selector> Selectors(string expression)
    {
        var selectors = new List<Selector>();
        string rest = WithMatchers().Replace(expression, m =>
        {
            selectors.Add(new Selector(m.Groups["name"].Value, MatcherLabels(m.Groups["matchers"].Value)));
            return " ";
        });
        rest = Grouping().Replace(rest, " ");
        rest = StringLiteral().Replace(Brackets().Replace(rest, " "), " ");
        foreach (Match m in BareName().Matches(rest))
        {
            if (!s_keywords.Contains(m.Value))
                selectors.Add(new Selector(m.Value, []));
        }
        return selectors;
    }

    /// <summary>The label names of every grouping or matching clause.</summary>
    public static IReadOnlyList<string> GroupingLabels(string expression) =>
        Grouping().Matches(StringLiteral().Replace(expression, "\"\""))
            .SelectMany(m => m.Groups["labels"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToList();

    private static List<string> MatcherLabels(string matchers) =>
        MatcherName().Matches(matchers).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex("""(?<![\w.:$])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{(?<matchers>(?:[^{}"]|"(?:[^"\\]|\\.)*")*)\}""")]
    private static partial Regex WithMatchers();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\((?<labels>[^)]*)\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex("""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"(?<![\w.:$])[a-zA-Z_:][a-zA-Z0-9_:]*(?![\w:]|\s*\()")]
    private static partial Regex BareName();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*""(?:[^""\\]|\\.)*""")]
    private static partial Regex MatcherName();
}
