namespace HierTcn.Inference.Batching;

/// <summary>A queued request whose deadline passed before its batch ran; it was not computed.</summary>
public sealed class DeadlineExpiredException : Exception
{
    public DeadlineExpiredException() : base("the request's deadline passed while it was queued; it was not computed") { }
}
