using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Rekey.Contracts;

namespace Rekey.Server.Http;

/// <summary>
/// Reads a request body as a JSON object, whether it came as <c>application/json</c> or as
/// <c>application/x-www-form-urlencoded</c> (Authlete accepts both). Form fields are typed by the target's JSON
/// contract: booleans and integers are parsed, list properties collect repeated fields. Oversized bodies,
/// other content types, malformed JSON and duplicate JSON properties are refused with their result codes.
/// </summary>
internal static class RequestBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = 32,
        AllowDuplicateProperties = false,
    };

    public static async Task<Outcome<JsonObject>> ReadObjectAsync(HttpRequest request, JsonTypeInfo? target, bool required, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return RuleViolation.Of(ResultCodes.BodyTooLarge, limit);
        }

        var mediaType = MediaType(request.ContentType);
        var isJson = IsJson(mediaType);
        var isForm = mediaType is "application/x-www-form-urlencoded";
        if (mediaType.Length > 0 && !isJson && !isForm)
        {
            return RuleViolation.Of(ResultCodes.UnsupportedContentType, mediaType);
        }

        var body = await ReadBytesAsync(request, limit, ct);
        if (body is null)
        {
            return RuleViolation.Of(ResultCodes.BodyTooLarge, limit);
        }

        if (body.Length == 0 || (isJson && IsWhitespace(body)))
        {
            return required ? RuleViolation.Of(ResultCodes.MissingBody) : new JsonObject();
        }

        if (mediaType.Length == 0)
        {
            return RuleViolation.Of(ResultCodes.UnsupportedContentType, "(none)");
        }

        return isJson ? ParseJson(body) : ParseForm(Encoding.UTF8.GetString(body), target);
    }

    public static Outcome<T> Bind<T>(JsonObject body, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            var value = body.Deserialize(typeInfo);
            return value is null ? RuleViolation.Of(ResultCodes.BodyNotObject) : value;
        }
        catch (JsonException ex)
        {
            var path = ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : ex.Path ?? "$";
            return RuleViolation.Of(ResultCodes.InvalidPropertyType, path);
        }
    }

    /// <summary>Is the media type of <paramref name="contentType"/> JSON (<c>application/json</c> or <c>…+json</c>)?</summary>
    public static bool IsJsonContentType(string? contentType) => IsJson(MediaType(contentType));

    private static bool IsJson(string mediaType) => mediaType is "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal);

    private static string MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return "";
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    private static bool IsWhitespace(byte[] body) => body.All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n');

    /// <summary>
    /// The whole body, or null when it is longer than <paramref name="limit"/> bytes. Sized from Content-Length when the
    /// client sent one, and read through a pooled buffer: a per-request buffer the size of the limit (64 KiB by
    /// default) would land on the large object heap and cost a full garbage collection every few requests, which is
    /// what the token endpoint's form reader once did (bench/README.md).
    /// </summary>
    public static async Task<byte[]?> ReadBytesAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        var expected = request.ContentLength is { } length and >= 0 ? (int)Math.Min(length, limit) : 0;
        using var buffer = new MemoryStream(expected);
        var chunk = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    /// <summary>
    /// A JSON object from bytes, under the rules of every /api body: at most 32 levels, no duplicate names, every string
    /// decodable; otherwise <c>A000207</c>-style malformed JSON or a body that is not an object. Also for JSON carried
    /// inside a request (Authlete's <c>json</c> member) and the registration endpoint's metadata.
    /// </summary>
    public static Outcome<JsonObject> ParseJson(byte[] body)
    {
        JsonNode? node;
        try
        {
            if (FirstUndecodableString(body) is { } offset)
            {
                var lineStart = Array.LastIndexOf(body, (byte)'\n', Math.Max(0, offset - 1)) + 1;
                var line = body.AsSpan(0, lineStart).Count((byte)'\n') + 1;
                return RuleViolation.Of(ResultCodes.MalformedJson, line, offset - lineStart + 1);
            }

            node = JsonNode.Parse(body, documentOptions: DocumentOptions);
        }
        catch (JsonException ex)
        {
            return RuleViolation.Of(ResultCodes.MalformedJson, (ex.LineNumber ?? 0) + 1, (ex.BytePositionInLine ?? 0) + 1);
        }

        return node is JsonObject obj ? obj : RuleViolation.Of(ResultCodes.BodyNotObject);
    }

    /// <summary>
    /// JsonNode checks the syntax but decodes strings only when someone reads them, so a string that is not Unicode
    /// text (invalid UTF-8 bytes, a lone surrogate escape such as <c>"\ud800"</c>) would surface as an exception
    /// later: in the duplicate-name check for a property name, in a handler for a value; a 500 either way. Decoding
    /// every name and string once, before the parse, refuses such a body as malformed JSON (RFC 8259 §8.1,
    /// RFC 7493 §2.1). Returns the byte offset of the first bad string; a syntax error throws as it would in the parse.
    /// </summary>
    private static int? FirstUndecodableString(byte[] body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
            {
                continue;
            }

            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException)
            {
                return (int)reader.TokenStartIndex;
            }
        }

        return null;
    }

    private static Outcome<JsonObject> ParseForm(string text, JsonTypeInfo? target)
    {
        var fields = new FormReader(text).ReadForm();
        var obj = new JsonObject();
        foreach (var (name, values) in fields)
        {
            var property = target?.Properties.FirstOrDefault(p => p.Name == name);
            var node = FormValue(name, values, property?.PropertyType);
            if (!node.IsOk(out var value, out var error))
            {
                return error;
            }

            obj[name] = value;
        }

        return obj;
    }

    private static Outcome<JsonNode?> FormValue(string name, StringValues values, Type? type)
    {
        var underlying = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        var isList = underlying is not null && underlying != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(underlying);
        if (isList || (underlying is null && values.Count > 1))
        {
            return new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }

        if (values.Count != 1)
        {
            return RuleViolation.Of(ResultCodes.RepeatedFormField, name);
        }

        var text = values[0] ?? "";
        if (underlying == typeof(bool) && bool.TryParse(text, out var flag))
        {
            return JsonValue.Create(flag);
        }

        if ((underlying == typeof(long) || underlying == typeof(int)) && long.TryParse(text, out var number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }
}
