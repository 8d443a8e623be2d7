namespace HierTcn.Security.Server.Internal;

/// <summary>Ends a gRPC call before it runs with a trailers-only response: HTTP 200, the status in the headers,
/// no message read or written (so a refused write never reaches the service).</summary>
internal static class GrpcRefusal
{
    public const int Unauthenticated = 16;
    public const int PermissionDenied = 7;
    public const int ResourceExhausted = 8;
    public const int Unimplemented = 12;

    public static Task WriteAsync(HttpContext context, int code, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return response.CompleteAsync();
    }
}
