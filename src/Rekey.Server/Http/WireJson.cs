using System.Text.Encodings.Web;
using System.Text.Json;
using Rekey.Contracts;

namespace Rekey.Server.Http;

/// <summary>
/// The one serialiser of the server: <see cref="RekeyJsonContext"/>'s settings (camelCase, nulls omitted) with an encoder
/// that escapes only what JSON requires (<c>"</c>, <c>\</c> and control characters), so that a message reads
/// <c>'clientSecret'</c> rather than <c>\u0027clientSecret\u0027</c> and non-ASCII names stay as they are.
/// </summary>
/// <remarks>
/// The relaxed encoder is safe here because every answer is <c>application/json</c> sent with
/// <c>X-Content-Type-Options: nosniff</c> (see <c>RekeyHosting.SafeHeaders</c>) and is never embedded in an HTML page or
/// a script: the HTML-sensitive characters the default encoder escapes (<c>&lt; &gt; &amp; ' +</c>) mean nothing to a
/// JSON parser. Every <c>Results.Json</c>, <c>WriteAsJsonAsync</c> and <c>JsonSerializer</c> call of the server takes its
/// type information from <see cref="Context"/>; <c>WireJsonTests</c> fails when one uses <c>RekeyJsonContext.Default</c>.
/// </remarks>
internal static class WireJson
{
    public static JavaScriptEncoder Encoder => JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static RekeyJsonContext Context { get; } = new(new JsonSerializerOptions(RekeyJsonContext.Default.Options) { Encoder = Encoder });
}
