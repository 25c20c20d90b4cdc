using System.Text;
using Microsoft.Extensions.Primitives;

namespace Rekey.Server.OAuth;

/// <summary>How the client presented its credentials at the token or introspection endpoint.</summary>
internal enum ClientAuthMethod
{
    None,
    ClientSecretBasic,
    ClientSecretPost,

    /// <summary>RFC 7523 §2.2: a JWT signed with the client secret (HS256/384/512), OpenID Connect Core §9.</summary>
    ClientSecretJwt,
}

/// <summary>
/// Client credentials as presented, before verification. <see cref="Problem"/> is set when the presentation itself is
/// invalid. For client_secret_jwt, <see cref="ClientId"/> is the assertion's unverified <c>sub</c> (the client to look
/// up; the signature and the claims are checked after the lookup) and <see cref="Assertion"/> the parsed JWT.
/// </summary>
internal sealed record PresentedClient(ClientAuthMethod Method, string? ClientId, string? Secret, string? Problem, ClientAssertion? Assertion = null)
{
    public override string ToString() => $"PresentedClient {{ Method = {Method}, ClientId = {ClientId} }}";

    public string AuthleteMethodName => Method switch
    {
        ClientAuthMethod.ClientSecretBasic => "CLIENT_SECRET_BASIC",
        ClientAuthMethod.ClientSecretPost => "CLIENT_SECRET_POST",
        ClientAuthMethod.ClientSecretJwt => "CLIENT_SECRET_JWT",
        _ => "NONE",
    };

    /// <summary>The method as metrics tag it (RFC 8414 names; <c>none</c> when no method was recognised).</summary>
    public string MetricName => Method switch
    {
        ClientAuthMethod.ClientSecretBasic => "client_secret_basic",
        ClientAuthMethod.ClientSecretPost => "client_secret_post",
        ClientAuthMethod.ClientSecretJwt => "client_secret_jwt",
        _ => "none",
    };
}

/// <summary>RFC 6749 §2.3.1: client_secret_basic and client_secret_post; RFC 7521 §4.2: client_secret_jwt. One method per request.</summary>
internal static class ClientAuthentication
{
    public const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>
    /// Reads the credentials from the Basic header value (already split by the caller into ID and secret, as Authlete's
    /// API receives them) or from the form parameters.
    /// </summary>
    public static PresentedClient FromParts(string? basicId, string? basicSecret, IReadOnlyDictionary<string, StringValues> form)
    {
        var postId = Single(form, "client_id");
        var postSecret = Single(form, "client_secret");
        var assertionType = Single(form, "client_assertion_type");
        var assertion = Single(form, "client_assertion");
        if (assertionType is not null || assertion is not null)
        {
            return FromAssertion(basicId is not null || postSecret is not null, postId, assertionType, assertion);
        }

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
    /// RFC 7521 §4.2: <c>client_assertion_type</c> and <c>client_assertion</c> together; <c>client_id</c> is optional
    /// and, when sent, must name the assertion's subject. Anything the assertion's content decides (signature, claims)
    /// is checked later and refused as <c>invalid_client</c>; only the request's shape is a problem here.
    /// </summary>
    private static PresentedClient FromAssertion(bool otherMethod, string? postId, string? assertionType, string? assertion)
    {
        if (otherMethod)
        {
            return new PresentedClient(ClientAuthMethod.None, postId, null, "the client used more than one authentication method");
        }

        if (assertionType is null || assertion is null)
        {
            return new PresentedClient(ClientAuthMethod.None, postId, null, "client_assertion and client_assertion_type go together");
        }

        if (assertionType != JwtBearerAssertionType)
        {
            return new PresentedClient(ClientAuthMethod.None, postId, null, "the client_assertion_type is not supported");
        }

        // An assertion that cannot be parsed names no client: it is refused like an unknown client, without a lookup.
        var parsed = ClientAssertion.Parse(assertion);
        var subject = parsed?.Subject;
        if (postId is not null && subject is not null && postId != subject)
        {
            return new PresentedClient(ClientAuthMethod.None, postId, null, "client_id differs from the subject of the client assertion");
        }

        return new PresentedClient(ClientAuthMethod.ClientSecretJwt, parsed is null ? null : subject, null, null, parsed);
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
