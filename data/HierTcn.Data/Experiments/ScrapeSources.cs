namespace HierTcn.Data.Experiments;

/// <summary>Fetches the texts <see cref="OnlineScrape.Read"/> reads: an <c>http://</c> or <c>https://</c> source is
/// scraped (a pod's <c>/metrics</c>), anything else is read as a saved scrape file.</summary>
public static class ScrapeSources
{
    /// <summary>The text of every source, in order.</summary>
    /// <exception cref="UserInputException">A source cannot be scraped or read; the message names it.</exception>
    public static async Task<IReadOnlyList<string>> LoadAsync(IReadOnlyList<string> sources, HttpClient http, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(http);
        var texts = new List<string>(sources.Count);
        foreach (string source in sources)
        {
            try
            {
                texts.Add(source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                    ? await http.GetStringAsync(new Uri(source), cancellationToken).ConfigureAwait(false)
                    : await File.ReadAllTextAsync(source, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is HttpRequestException or IOException or UnauthorizedAccessException or UriFormatException
                or TaskCanceledException)
            {
                throw new UserInputException($"{source}: {e.Message}");
            }
        }
        return texts;
    }
}
