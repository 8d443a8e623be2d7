using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using HierTcn.Inference.Server.Services;
using HierTcn.Inference.V1;

namespace HierTcn.Inference.Server.Internal;

/// <summary>Binds the generated Recommender methods to <see cref="RecommenderEndpoint"/>, each with a request
/// marshaller that turns a parse failure into INVALID_ARGUMENT (logged at debug level, event 206, and counted in
/// hiertcn_inference_calls_total). In ObserveEventStream a malformed message ends the stream with INVALID_ARGUMENT;
/// chunks applied before it stay applied, as for any failure mid-stream.</summary>
internal sealed class RecommenderMethodProvider(ILogger<RecommenderEndpoint> logger) : IServiceMethodProvider<RecommenderEndpoint>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<RecommenderEndpoint> context)
        => Recommender.BindService(new Binder(context, logger), null);

    private sealed class Binder(ServiceMethodProviderContext<RecommenderEndpoint> context, ILogger logger) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var invoke = typeof(RecommenderService).GetMethod(method.Name, [typeof(TRequest), typeof(ServerCallContext)])!
                .CreateDelegate<Func<RecommenderService, TRequest, ServerCallContext, Task<TResponse>>>();
            context.AddUnaryMethod(Tolerant(method), [], (endpoint, request, call) => invoke(endpoint.Service, request, call));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var invoke = typeof(RecommenderService).GetMethod(method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)])!
                .CreateDelegate<Func<RecommenderService, IAsyncStreamReader<TRequest>, ServerCallContext, Task<TResponse>>>();
            context.AddClientStreamingMethod(Tolerant(method), [], (endpoint, requests, call) => invoke(endpoint.Service, requests, call));
        }

        private Method<TRequest, TResponse> Tolerant<TRequest, TResponse>(Method<TRequest, TResponse> method)
            where TRequest : class
            where TResponse : class
        {
            var inner = method.RequestMarshaller;
            var marshaller = new Marshaller<TRequest>(inner.ContextualSerializer, deserialization =>
            {
                try
                {
                    return inner.ContextualDeserializer(deserialization);
                }
                catch (InvalidProtocolBufferException ex)
                {
                    string reason = $"the request is not a valid {typeof(TRequest).Name} message ({ex.Message})";
                    ServerLog.MalformedRequest(logger, method.Name, reason);
                    PrometheusMetrics.Malformed(method.Name);
                    throw new RpcException(new Status(StatusCode.InvalidArgument, reason));
                }
            });
            return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
        }
    }
}
