using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Rekey.Tests.OAuth;

/// <summary>RFC 7662 at /oauth2/{serviceId}/introspect on the wire, and the request rules both endpoints share.</summary>
public abstract partial class OAuthSuite
{
    [Fact]
    public async Task introspection_response_is_the_rfc7662_member_set_and_not_cached()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client, scope: "read write");

        var reply = await IntrospectAsync(sid, client, token);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        AssertNoStore(reply);
        Assert.Equal(["active", "scope", "client_id", "token_type", "exp", "iat", "sub", "aud", "iss", "jti"], reply.Json.Select(p => p.Key));
        Assert.Equal("read write", reply.Json["scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task inactive_introspection_response_says_nothing_but_active_false()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await IntrospectAsync(sid, client, "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("""{"active":false}""", reply.Text);
        AssertNoStore(reply);
    }

    [Theory]
    [InlineData("access_token")]
    [InlineData("refresh_token")]
    public async Task token_type_hint_is_only_a_hint(string hint)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        var reply = await SendAsync(Anonymous, HttpMethod.Post, IntrospectionEndpoint(sid), Wire.Form(("token", token), ("token_type_hint", hint)), Basic(client.Id, client.Secret));

        Assert.True(reply.Json["active"]!.GetValue<bool>(), reply.Text);
    }

    [Fact]
    public async Task introspection_without_a_token_is_400_invalid_request()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await SendAsync(Anonymous, HttpMethod.Post, IntrospectionEndpoint(sid), Wire.Form(("token_type_hint", "access_token")), Basic(client.Id, client.Secret));

        AssertOAuthError(reply, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task introspection_without_client_authentication_is_invalid_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var token = await AccessTokenAsync(await Admin.CreateClientAsync(sid, OAuthClient()));

        AssertInvalidClient(await SendAsync(Anonymous, HttpMethod.Post, IntrospectionEndpoint(sid), Wire.Form(("token", token))));
    }

    [Fact]
    public async Task introspection_with_basic_and_client_secret_together_is_400_invalid_request()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        var reply = await SendAsync(Anonymous, HttpMethod.Post, IntrospectionEndpoint(sid), Wire.Form(("token", token), ("client_secret", client.Secret)), Basic(client.Id, client.Secret));

        AssertOAuthError(reply, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task introspection_with_a_json_body_is_400_invalid_request()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await SendAsync(Anonymous, HttpMethod.Post, IntrospectionEndpoint(sid), Wire.Json("""{"token":"x"}"""), Basic(client.Id, client.Secret));

        AssertOAuthError(reply, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task client_credentials_in_the_query_string_are_ignored()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(method: "CLIENT_SECRET_POST"));

        // RFC 6749 §2.3.1: the parameters MUST NOT be included in the request URI.
        var reply = await SendAsync(Anonymous, HttpMethod.Post, $"{TokenEndpoint(sid)}?client_id={client.Id}&client_secret={client.Secret}",
            Wire.Form(("grant_type", "client_credentials")));

        AssertInvalidClient(reply);
    }

    [Fact]
    public async Task token_endpoint_answers_only_post()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var reply = await SendAsync(Anonymous, HttpMethod.Get, $"{TokenEndpoint(sid)}?grant_type=client_credentials");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, reply.Status);
    }

    [Fact]
    public async Task authorization_scheme_name_is_case_insensitive()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var basic = Basic(client.Id, client.Secret);

        AssertIssued(await PostTokenAsync(sid, new AuthenticationHeaderValue("basic", basic.Parameter), ("grant_type", "client_credentials")));
    }

    [Fact]
    public async Task oversized_token_request_is_400_invalid_request()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        using var content = new StringContent("grant_type=client_credentials&scope=" + new string('a', 70 * 1024), Encoding.ASCII, "application/x-www-form-urlencoded");

        AssertOAuthError(await PostTokenAsync(sid, content, Basic(client.Id, client.Secret)), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task token_request_just_within_the_size_limit_is_read_whole()
    {
        // RFC 6749 §3.2: unknown parameters are ignored. The scope after the padding proves the reader saw the whole body.
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var start = "grant_type=client_credentials&pad=";
        const string end = "&scope=nope";
        using var content = new StringContent(start + new string('a', (64 * 1024) - start.Length - end.Length) + end, Encoding.ASCII, "application/x-www-form-urlencoded");

        AssertOAuthError(await PostTokenAsync(sid, content, Basic(client.Id, client.Secret)), HttpStatusCode.BadRequest, "invalid_scope");
    }

    [Fact]
    public async Task oversized_token_request_without_content_length_is_400_invalid_request()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        using var content = new ChunkedContent(Encoding.ASCII.GetBytes("grant_type=client_credentials&pad=" + new string('a', 70 * 1024)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded");

        AssertOAuthError(await PostTokenAsync(sid, content, Basic(client.Id, client.Secret)), HttpStatusCode.BadRequest, "invalid_request");
    }

    /// <summary>A body sent with chunked transfer encoding: no Content-Length for the server to check up front.</summary>
    private sealed class ChunkedContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
