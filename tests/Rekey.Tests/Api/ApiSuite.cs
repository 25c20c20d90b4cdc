using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Rekey.Contracts;

namespace Rekey.Tests.Api;

/// <summary>
/// The end-to-end suite: every test drives the real server over HTTP. It runs unchanged against each store; a
/// subclass per store supplies the fixture. Nothing here may assume a particular store: checks of a store's files
/// live in that store's own test classes. Each test makes its own service, so tests never see each other's clients.
/// The areas are split into partial files: Secrets, Clients, Services, Auth, Wire.
/// </summary>
public abstract partial class ApiSuite(ServerFixture fixture) : IDisposable
{
    protected const string JsonType = "application/json";
    protected const string FormType = "application/x-www-form-urlencoded";

    private readonly List<HttpClient> _clients = [];
    private HttpClient? _admin;

    protected RekeyHost Host => fixture.Host;

    /// <summary>Carries the organisation (admin) token.</summary>
    protected HttpClient Admin => _admin ??= Track(Host.CreateAdminClient());

    /// <summary>Carries no token at all.</summary>
    protected HttpClient Anonymous() => Track(Host.CreateClient());

    /// <summary>Carries <paramref name="token"/>.</summary>
    protected HttpClient As(string token) => Track(Host.CreateClient(token));

    private HttpClient Track(HttpClient client)
    {
        _clients.Add(client);
        return client;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    // ---- requests ----------------------------------------------------------------------------------

    protected Task<Reply> GetAsync(string path, HttpClient? caller = null) => (caller ?? Admin).SendForReplyAsync(HttpMethod.Get, path);

    protected Task<Reply> DeleteAsync(string path, HttpClient? caller = null) => (caller ?? Admin).SendForReplyAsync(HttpMethod.Delete, path);

    protected Task<Reply> PostJsonAsync(string path, string json, HttpClient? caller = null) =>
        (caller ?? Admin).SendForReplyAsync(HttpMethod.Post, path, Body(JsonType, json));

    /// <summary>Posts <paramref name="form"/> exactly as written (already URL-encoded), so tests control every byte.</summary>
    protected Task<Reply> PostFormAsync(string path, string form, HttpClient? caller = null) =>
        (caller ?? Admin).SendForReplyAsync(HttpMethod.Post, path, Body(FormType, form));

    /// <summary>A body with exactly this media type (none when <see langword="null"/>) and these UTF-8 bytes (no body when <see langword="null"/>).</summary>
    protected static ByteArrayContent? Body(string? mediaType, string? text) => Body(mediaType, text is null ? null : Encoding.UTF8.GetBytes(text));

    protected static ByteArrayContent? Body(string? mediaType, byte[]? bytes)
    {
        if (bytes is null)
        {
            return null;
        }

        var content = new ByteArrayContent(bytes);
        if (mediaType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        }

        return content;
    }

    // ---- things to test on -------------------------------------------------------------------------

    /// <summary>A client carrying a new API token for <paramref name="serviceId"/> with exactly <paramref name="permissions"/>.</summary>
    protected async Task<HttpClient> TokenClientAsync(long serviceId, params string[] permissions) =>
        As((await Admin.CreateApiTokenAsync(serviceId, permissions)).Token);

    // ---- assertions --------------------------------------------------------------------------------

    protected static void AssertOk(Reply reply) => Assert.True(reply.Status == HttpStatusCode.OK, "Expected 200: " + reply);

    /// <summary>
    /// An Authlete result body: exactly <c>resultCode</c> and <c>resultMessage</c>, the expected HTTP status (stated
    /// by the test, not taken from the catalogue), and the message the catalogue builds from <paramref name="args"/>.
    /// </summary>
    protected static void AssertResult(Reply reply, HttpStatusCode status, ResultCode code, params object?[] args)
    {
        Assert.True(reply.Status == status && reply.Body?["resultCode"]?.ToString() == code.Code,
            $"Expected {(int)status} {code.Code}, got {reply}");
        Assert.Equal((int)status, code.HttpStatus);
        AssertProperties(reply, "resultCode", "resultMessage");
        Assert.Equal(code.Format(args), reply.Str("resultMessage"));
    }

    /// <summary>Like <see cref="AssertResult"/> but only the message's prefix is fixed (it carries a position or a request ID).</summary>
    protected static void AssertResultCode(Reply reply, HttpStatusCode status, ResultCode code)
    {
        Assert.True(reply.Status == status && reply.Body?["resultCode"]?.ToString() == code.Code,
            $"Expected {(int)status} {code.Code}, got {reply}");
        AssertProperties(reply, "resultCode", "resultMessage");
        Assert.StartsWith($"[{code.Code}] ", reply.Str("resultMessage"), StringComparison.Ordinal);
    }

    /// <summary>The body's property names are exactly <paramref name="names"/>: none missing, none extra.</summary>
    protected static void AssertProperties(Reply reply, params string[] names) =>
        Assert.Equal(names.Order(StringComparer.Ordinal).ToArray(), reply.Json.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray());

    /// <summary>A 204 with nothing after the headers: no body bytes and no content type.</summary>
    protected static void AssertNoContent(Reply reply)
    {
        Assert.True(reply.Status == HttpStatusCode.NoContent, "Expected 204: " + reply);
        Assert.Equal("", reply.Text);
        Assert.Null(reply.MediaType);
        Assert.True(reply.Header("Content-Length") is null or "0", "Content-Length: " + reply.Header("Content-Length"));
    }
}

public sealed class SqliteApiTests(SqliteServerFixture fixture) : ApiSuite(fixture), IClassFixture<SqliteServerFixture>;

[RequiresPostgres]
public sealed class PostgresApiTests(PostgresServerFixture fixture) : ApiSuite(fixture), IClassFixture<PostgresServerFixture>;
