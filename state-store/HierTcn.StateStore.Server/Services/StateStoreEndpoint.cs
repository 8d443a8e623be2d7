using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Server.Internal;

namespace HierTcn.StateStore.Server.Services;

/// <summary>The gRPC endpoint of <see cref="StateStoreService"/>. The methods are the generated ones, bound with
/// request marshallers that turn bytes that are not a valid message into INVALID_ARGUMENT (the generated ones let
/// the parse error escape as UNKNOWN "Exception was thrown by handler") and, in an Apply stream, into a request the
/// service answers with an INVALID_ARGUMENT ack, so one bad message does not end the stream.</summary>
internal sealed class StateStoreEndpoint(StateStoreService service)
{
    public StateStoreService Service => service;
}

/// <summary>Binds the generated state store methods to <see cref="StateStoreEndpoint"/> with tolerant request
/// marshallers (see there).</summary>
internal sealed class StateStoreMethodProvider(ServerMetrics metrics, ILogger<StateStoreEndpoint> logger) : IServiceMethodProvider<StateStoreEndpoint>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<StateStoreEndpoint> context)
        => Protocol.StateStore.BindService(new Binder(context, metrics, logger), null);

    private sealed class Binder(ServiceMethodProviderContext<StateStoreEndpoint> context, ServerMetrics metrics, ILogger logger) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var invoke = typeof(StateStoreService).GetMethod(method.Name, [typeof(TRequest), typeof(ServerCallContext)])!
                .CreateDelegate<Func<StateStoreService, TRequest, ServerCallContext, Task<TResponse>>>();
            context.AddUnaryMethod(Tolerant(method, null), [], (endpoint, request, call) => invoke(endpoint.Service, request, call));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var invoke = typeof(StateStoreService).GetMethod(method.Name, [typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)])!
                .CreateDelegate<Func<StateStoreService, IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task>>();
            // In a stream a malformed message becomes an empty request (no operation): the service acks it with
            // INVALID_ARGUMENT and goes on with the next one.
            context.AddDuplexStreamingMethod(Tolerant(method, () => (TRequest)(object)new ApplyRequest()), [],
                (endpoint, requests, responses, call) => invoke(endpoint.Service, requests, responses, call));
        }

        private Method<TRequest, TResponse> Tolerant<TRequest, TResponse>(Method<TRequest, TResponse> method, Func<TRequest>? malformed)
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
                    string reason = $"the request is not a valid {typeof(TRequest).Name} ({ex.Message})";
                    ServerLog.Rejected(logger, method.Name, reason);
                    // In a stream the service counts the empty request it acks; counted here too, it would count twice.
                    if (malformed is not null)
                        return malformed();
                    metrics.Rejected(method.Name, "invalid_argument");
                    throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, reason));
                }
            });
            return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
        }
    }
}
