using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Rekey.Tests.OAuth;

/// <summary>
/// The OAuth suite: the standard endpoints (token, introspection, JWKS, RFC 8414 metadata) proved with a real OAuth
/// client library and a real resource server over real HTTP, plus Authlete's /auth/token and /auth/introspection
/// envelopes. It runs unchanged against each store; a subclass per store supplies the fixture. Every test makes its
/// own service, so the failed-authentication limiter and the shared clock never leak between tests.
/// </summary>
public abstract partial class OAuthSuite(OAuthServerFixture fixture)
{
    /// <summary>read (default), write and admin (not default).</summary>
    protected const string ScopedService =
        """{"serviceName":"oauth","supportedScopes":[{"name":"read","defaultEntry":true},{"name":"write","defaultEntry":false},{"name":"admin"}]}""";

    protected RekeyHost Host => fixture.Host;

    protected FakeTimeProvider Time => fixture.Time;

    protected HttpClient Admin { get; } = fixture.Host.CreateAdminClient();

    /// <summary>No credentials: what an OAuth client or resource server uses.</summary>
    protected HttpClient Anonymous { get; } = fixture.Host.CreateClient();

    protected string Origin => Host.BaseAddress.GetLeftPart(UriPartial.Authority);

    protected string Issuer(long serviceId) => $"{Origin}/oauth2/{serviceId}";

    protected string TokenEndpoint(long serviceId) => Issuer(serviceId) + "/token";

    protected string IntrospectionEndpoint(long serviceId) => Issuer(serviceId) + "/introspect";

    /// <summary>RFC 8414 §3.1: the well-known suffix goes between the host and the issuer's path.</summary>
    protected string MetadataUrl(long serviceId) => $"{Origin}/.well-known/oauth-authorization-server/oauth2/{serviceId}";

    /// <summary>
    /// The document of a confidential client allowed the client credentials grant, authenticating with
    /// <paramref name="method"/> (unless <paramref name="json"/> names one), for <see cref="TestApi.CreateClientAsync(HttpClient, long, string)"/>.
    /// </summary>
    protected static string OAuthClient(string? alias = null, string method = "CLIENT_SECRET_BASIC", string? json = null)
    {
        var document = JsonNode.Parse(json ?? """{"clientName":"oauth client","grantTypes":["CLIENT_CREDENTIALS"]}""")!.AsObject();
        document["tokenAuthMethod"] ??= method;
        if (alias is not null)
        {
            document["clientIdAlias"] = alias;
        }

        return document.ToJsonString();
    }

    /// <summary>RFC 6749 §2.3.1: ID and secret are each form-urlencoded (Appendix B), then joined by ':' and base64-encoded.</summary>
    protected static AuthenticationHeaderValue Basic(string clientId, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(FormEncode(clientId) + ":" + FormEncode(secret))));

    protected static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);

    /// <summary>One HTTP exchange, read completely: status, headers and body as text and (when it is one) a JSON object.</summary>
    protected sealed record Reply(HttpStatusCode Status, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders, string Text)
    {
        public JsonObject Json => JsonNode.Parse(Text)?.AsObject() ?? throw new InvalidOperationException("Not a JSON object: " + Text);

        public string? Error => Json["error"]?.GetValue<string>();

        public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
    }

    protected static async Task<Reply> SendAsync(HttpClient http, HttpMethod method, string url, HttpContent? content = null, AuthenticationHeaderValue? authorization = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Authorization = authorization;
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, response.Headers, response.Content.Headers, text);
    }

    /// <summary>A raw token request, for the cases a well-behaved library never sends.</summary>
    protected Task<Reply> PostTokenAsync(long serviceId, HttpContent content, AuthenticationHeaderValue? authorization = null, HttpClient? http = null) =>
        SendAsync(http ?? Anonymous, HttpMethod.Post, TokenEndpoint(serviceId), content, authorization);

    protected Task<Reply> PostTokenAsync(long serviceId, AuthenticationHeaderValue? authorization, params (string Key, string Value)[] form) =>
        PostTokenAsync(serviceId, Wire.Form(form), authorization);

    /// <summary>client_credentials with the client's registered method (Basic by default).</summary>
    protected Task<Reply> TokenAsync(TestClient client, string? secret = null, string? scope = null, HttpClient? http = null, string? identifier = null)
    {
        var form = new List<(string, string)> { ("grant_type", "client_credentials") };
        if (scope is not null)
        {
            form.Add(("scope", scope));
        }

        return PostTokenAsync(client.ServiceId, Wire.Form([.. form]), Basic(identifier ?? client.Id, secret ?? client.Secret), http);
    }

    protected async Task<string> AccessTokenAsync(TestClient client, string? scope = null)
    {
        var reply = await TokenAsync(client, scope: scope);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        return reply.Json["access_token"]!.GetValue<string>();
    }

    /// <summary>RFC 7662 introspection of <paramref name="token"/>, authenticated by <paramref name="by"/> with Basic.</summary>
    protected Task<Reply> IntrospectAsync(long serviceId, TestClient by, string token, string? secret = null) =>
        SendAsync(Anonymous, HttpMethod.Post, IntrospectionEndpoint(serviceId), Wire.Form(("token", token)), Basic(by.Id, secret ?? by.Secret));

    /// <summary>
    /// An HTTP client whose connections leave from <paramref name="source"/> (any 127.0.0.0/8 address is local on
    /// Linux), so that the server sees a different remote address than the default 127.0.0.1.
    /// </summary>
    protected HttpClient ClientFrom(IPAddress source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (Exception)
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = Host.BaseAddress };
    }

    protected static void AssertNoStore(Reply reply)
    {
        Assert.Equal("no-store", reply.Header("Cache-Control"));
        Assert.Equal("no-cache", reply.Header("Pragma"));
    }

    /// <summary>RFC 6749 §5.2 error: status, error code, no-store, and a description without quotes or backslashes.</summary>
    protected static void AssertOAuthError(Reply reply, HttpStatusCode status, string error)
    {
        Assert.True(reply.Status == status, $"expected {(int)status} {error}, got {(int)reply.Status}: {reply.Text}");
        Assert.StartsWith("application/json", reply.ContentHeaders.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Equal(error, reply.Error);
        var description = reply.Json["error_description"]?.GetValue<string>() ?? "";
        Assert.All(description, c => Assert.True(c is >= (char)0x20 and <= (char)0x7E and not '"' and not '\\', $"error_description has '{c}'"));
        AssertNoStore(reply);
    }

    protected static void AssertInvalidClient(Reply reply)
    {
        AssertOAuthError(reply, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.StartsWith("Basic", reply.Header("WWW-Authenticate"), StringComparison.Ordinal);
    }

    protected static void AssertIssued(Reply reply)
    {
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        Assert.Equal("Bearer", reply.Json["token_type"]!.GetValue<string>());
        AssertNoStore(reply);
    }
}
