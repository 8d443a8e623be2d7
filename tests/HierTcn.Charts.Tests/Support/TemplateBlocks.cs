using System.Text.RegularExpressions;

namespace HierTcn.Charts.Tests.Support;

/// <summary>A structural check of Go template text, short of parsing it: every action's <c>{{</c> has its
/// <c>}}</c>, and every <c>if</c>, <c>range</c>, <c>with</c>, <c>define</c> and <c>block</c> has its
/// <c>end</c> (an <c>else</c> only inside one). Catches the commonest edit mistake, a lost <c>{{- end }}</c>.</summary>
public static partial class TemplateBlocks
{
    /// <summary>Every problem as "line N: ..."; empty when the blocks balance.</summary>
    public static IReadOnlyList<string> Check(string text)
    {
        var problems = new List<string>();
        var open = new Stack<(string Keyword, int Line)>();
        int position = 0;
        while (true)
        {
            int start = text.IndexOf("{{", position, StringComparison.Ordinal);
            if (start < 0)
                break;
            int end = text.IndexOf("}}", start + 2, StringComparison.Ordinal);
            int line = LineOf(text, start);
            if (end < 0)
            {
                problems.Add($"line {line}: '{{{{' is never closed");
                break;
            }
            string action = text[(start + 2)..end].Trim('-', ' ', '\t', '\n', '\r');
            position = end + 2;
            if (action.StartsWith("/*", StringComparison.Ordinal))
                continue;
            var keyword = Keyword().Match(action);
            if (!keyword.Success)
                continue;
            switch (keyword.Groups[1].Value)
            {
                case "if" or "range" or "with" or "define" or "block":
                    open.Push((keyword.Groups[1].Value, line));
                    break;
                case "else" when open.Count == 0:
                    problems.Add($"line {line}: 'else' outside any if/range/with");
                    break;
                case "end" when open.Count == 0:
                    problems.Add($"line {line}: 'end' closes nothing");
                    break;
                case "end":
                    open.Pop();
                    break;
            }
        }
        foreach (var (keyword, line) in open)
            problems.Add($"line {line}: '{keyword}' has no 'end'");
        return problems;
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    [GeneratedRegex(@"^(if|range|with|define|block|else|end)\b")]
    private static partial Regex Keyword();
}
