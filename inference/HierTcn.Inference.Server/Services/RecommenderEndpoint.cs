namespace HierTcn.Inference.Server.Services;

/// <summary>The gRPC endpoint of <see cref="RecommenderService"/>. Its methods are the generated ones, bound by
/// <see cref="Internal.RecommenderMethodProvider"/> with request marshallers that answer bytes that are not a valid
/// message with INVALID_ARGUMENT (the generated ones let the parse error escape as UNKNOWN "Exception was thrown by
/// handler").</summary>
internal sealed class RecommenderEndpoint(RecommenderService service)
{
    public RecommenderService Service => service;
}
