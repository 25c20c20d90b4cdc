using System.Text;
using Microsoft.Extensions.Primitives;

namespace Rekey.Server.OAuth;

/// <summary>How the client presented its credentials at the token or introspection endpoint.</summary>
internal enum ClientAuthMethod
{
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

/// <summary>Client credentials as presented, before verification. <see cref="Problem"/> is set when the presentation itself is invalid.</summary>
internal sealed record PresentedClient(ClientAuthMethod Method, string? ClientId, string? Secret, string? Problem)
{
    public override string ToString() => $"PresentedClient {{ Method = {Method}, ClientId = {ClientId} }}";

    public string AuthleteMethodName => Method switch
    {
        ClientAuthMethod.ClientSecretBasic => "CLIENT_SECRET_BASIC",
        ClientAuthMethod.ClientSecretPost => "CLIENT_SECRET_POST",
        _ => "NONE",
    };
}

/// <summary>RFC 6749 §2.3.1: client_secret_basic and client_secret_post, one method per request.</summary>
internal static class ClientAuthentication
{
    /// <summary>
    /// Reads the credentials from the Basic header value (already split by the caller into ID and secret, as Authlete's
    /// API receives them) or from the form parameters.
    /// </summary>
    public static PresentedClient FromParts(string? basicId, string? basicSecret, IReadOnlyDictionary<string, StringValues> form)
    {
        var postId = Single(form, "client_id");
        var postSecret = Single(form, "client_secret");
        if (basicId is not null)
        {
            if (postSecret is not null)
            {
                return new PresentedClient(ClientAuthMethod.None, basicId, null, "the client used more than one authentication method");
            }

            if (postId is not null && postId != basicId)
            {
                return new PresentedClient(ClientAuthMethod.None, basicId, null, "client_id differs from the Authorization header");
            }

            return new PresentedClient(ClientAuthMethod.ClientSecretBasic, basicId, basicSecret ?? "", null);
        }

        return postSecret is not null
            ? new PresentedClient(ClientAuthMethod.ClientSecretPost, postId, postSecret, null)
            : new PresentedClient(ClientAuthMethod.None, postId, null, null);
    }

    /// <summary>
    /// Parses <c>Authorization: Basic</c>. The ID and secret inside are form-urlencoded before base64 (RFC 6749
    /// §2.3.1), so they are decoded after splitting at the first colon. Returns false when the header is present but
    /// not valid Basic; (null, null) when there is no Basic header.
    /// </summary>
    public static bool TryParseBasic(string? header, out string? clientId, out string? secret)
    {
        clientId = null;
        secret = null;
        if (string.IsNullOrEmpty(header))
        {
            return true;
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        clientId = FormDecode(decoded[..colon]);
        secret = FormDecode(decoded[(colon + 1)..]);
        return clientId is not null && secret is not null;
    }

    private static string? FormDecode(string value)
    {
        try
        {
            return Uri.UnescapeDataString(value.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return null;
        }
    }

    private static string? Single(IReadOnlyDictionary<string, StringValues> form, string name) =>
        form.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
}
