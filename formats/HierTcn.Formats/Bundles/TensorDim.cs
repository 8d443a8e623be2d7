using System.Text.Json;
using System.Text.Json.Serialization;

namespace HierTcn.Formats.Bundles;

/// <summary>One dimension of a graph input or output: a fixed size, or a named dynamic one ("B", "T"). In JSON a
/// number or a string.</summary>
[JsonConverter(typeof(TensorDimJsonConverter))]
public readonly record struct TensorDim(long Value, string? Param)
{
    public static TensorDim Fixed(long value) => new(value, null);

    public static TensorDim Dynamic(string name) => new(0, name);

    public bool IsDynamic => Param is not null;

    public override string ToString() => Param ?? Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Formats a shape as [B, T, 128].</summary>
    public static string Format(IEnumerable<TensorDim> shape) => "[" + string.Join(", ", shape) + "]";

    private sealed class TensorDimJsonConverter : JsonConverter<TensorDim>
    {
        public override TensorDim Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.Number => Fixed(reader.GetInt64()),
            JsonTokenType.String => Dynamic(reader.GetString()!),
            _ => throw new JsonException($"a dimension must be a number or a string, found {reader.TokenType}"),
        };

        public override void Write(Utf8JsonWriter writer, TensorDim value, JsonSerializerOptions options)
        {
            if (value.Param is { } p)
            {
                writer.WriteStringValue(p);
            }
            else
            {
                writer.WriteNumberValue(value.Value);
            }
        }
    }
}
