namespace HierTcn.Data;

/// <summary>Bad input from the user (a file, an option): the message says what is wrong and where, and the CLI
/// prints it without a stack trace.</summary>
public sealed class UserInputException : Exception
{
    public UserInputException(string message) : base(message) { }

    public UserInputException(string message, Exception inner) : base(message, inner) { }
}
