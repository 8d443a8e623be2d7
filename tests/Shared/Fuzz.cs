using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;

namespace HierTcn.Tests.Shared;

/// <summary>Malformed input for a gRPC server, from a seeded generator (the same seed gives the same bytes): broken
/// and truncated protobuf messages sent as gRPC calls, and raw HTTP/2 frames written to a TCP connection.</summary>
internal static class Fuzz
{
    /// <summary>A gRPC method that sends and receives raw bytes.</summary>
    public static Method<byte[], byte[]> Unary(string service, string method) => new(MethodType.Unary, service, method, Raw, Raw);

    /// <summary>A client-streaming or duplex method of raw bytes.</summary>
    public static Method<byte[], byte[]> Streaming(MethodType type, string service, string method) => new(type, service, method, Raw, Raw);

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    /// <summary>A message derived from <paramref name="valid"/>: unchanged (1 in 8, so some calls are accepted),
    /// truncated, with bytes flipped, with random bytes inserted, or replaced by random bytes.</summary>
    public static byte[] Mutate(Random random, byte[] valid)
    {
        switch (random.Next(8))
        {
            case 0:
                return valid;
            case 1:
            case 2:
                return valid[..random.Next(valid.Length + 1)];
            case 3:
            case 4:
                {
                    var copy = (byte[])valid.Clone();
                    for (int i = random.Next(1, 4); i > 0 && copy.Length > 0; i--)
                        copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                    return copy;
                }
            case 5:
                {
                    int at = random.Next(valid.Length + 1);
                    var noise = new byte[random.Next(1, 16)];
                    random.NextBytes(noise);
                    return [.. valid[..at], .. noise, .. valid[at..]];
                }
            default:
                {
                    var noise = new byte[random.Next(0, 256)];
                    random.NextBytes(noise);
                    return noise;
                }
        }
    }

    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>Opens <paramref name="connections"/> TCP connections to 127.0.0.1:<paramref name="port"/> one after
    /// another and writes malformed HTTP/2 to each: random bytes, a truncated preface, random frames (any type, flags,
    /// stream), a HEADERS frame with a random header block, frames whose declared length exceeds what follows. What
    /// the server answers is read and ignored; a connection it closes is expected.</summary>
    public static async Task RawHttp2Async(int port, int seed, int connections, TimeSpan budget)
    {
        var random = new Random(seed);
        var end = DateTime.UtcNow + budget;
        for (int c = 0; c < connections && DateTime.UtcNow < end; c++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var stream = tcp.GetStream();
            var bytes = new List<byte>();
            int kind = random.Next(5);
            if (kind == 0)
            {
                bytes.AddRange(RandomBytes(random, random.Next(1, 512)));
            }
            else if (kind == 1)
            {
                bytes.AddRange(Preface[..random.Next(1, Preface.Length)]);
            }
            else
            {
                bytes.AddRange(Preface);
                bytes.AddRange(Frame(4, 0, 0, []));
                for (int f = random.Next(1, 12); f > 0; f--)
                {
                    byte type = kind == 3 ? (byte)1 : (byte)random.Next(11);
                    byte flags = (byte)random.Next(256);
                    int streamId = random.Next(3) == 0 ? random.Next() : 1 + 2 * random.Next(4);
                    var payload = RandomBytes(random, random.Next(0, 64));
                    var frame = Frame(type, flags, streamId, payload);
                    if (kind == 4)
                        frame = frame[..random.Next(1, frame.Length + 1)];
                    bytes.AddRange(frame);
                }
            }
            try
            {
                await stream.WriteAsync(bytes.ToArray());
                using var read = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                var buffer = new byte[4096];
                while (await stream.ReadAsync(buffer, read.Token) > 0)
                {
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The server closed or reset the connection, or had nothing more to say.
            }
        }
    }

    private static byte[] Frame(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId & int.MaxValue);
        payload.CopyTo(frame, 9);
        return frame;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
