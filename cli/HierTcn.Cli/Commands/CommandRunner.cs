using HierTcn.Data;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary>Runs a command body and turns the failures that bad input causes into one clear line on stderr and a
/// non-zero exit code, never a stack trace. Programming errors still show their stack trace.</summary>
internal static class CommandRunner
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is UserInputException or InvalidDataException or FileNotFoundException
                                      or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitFailure;
        }
    }
}
