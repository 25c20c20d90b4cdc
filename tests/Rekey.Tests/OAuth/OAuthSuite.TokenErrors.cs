using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Rekey.Tests.OAuth;

/// <summary>RFC 6749 §5.2 at the token endpoint: each refusal with its status, error code and headers.</summary>
public abstract partial class OAuthSuite
{
    [Fact]
    public async Task successful_token_response_is_not_cached_and_is_json()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await TokenAsync(client, scope: "read");

        AssertIssued(reply);
        Assert.StartsWith("application/json", reply.ContentHeaders.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Equal(["access_token", "token_type", "expires_in", "scope"], reply.Json.Select(p => p.Key));
        Assert.Equal(3600, reply.Json["expires_in"]!.GetValue<long>());
    }

    [Fact]
    public async Task wrong_secret_is_401_invalid_client_with_a_basic_challenge()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await TokenAsync(client, secret: client.Secret + "x");

        AssertInvalidClient(reply);
        Assert.Equal("Basic realm=\"rekey\"", reply.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task unknown_client_gets_exactly_the_answer_of_a_wrong_secret()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "known-alias"));

        var wrongSecret = await TokenAsync(client, secret: "not-the-secret");
        var unknownId = await TokenAsync(client, identifier: "999999999999", secret: "not-the-secret");
        var unknownAlias = await TokenAsync(client, identifier: "unknown-alias", secret: "not-the-secret");

        foreach (var reply in new[] { wrongSecret, unknownId, unknownAlias })
        {
            AssertInvalidClient(reply);
            Assert.Equal(wrongSecret.Text, reply.Text);
            Assert.Equal(wrongSecret.Header("WWW-Authenticate"), reply.Header("WWW-Authenticate"));
        }
    }

    [Fact]
    public async Task client_authentication_missing_altogether_is_invalid_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        AssertInvalidClient(await PostTokenAsync(sid, null, ("grant_type", "client_credentials")));
        var client = await Admin.CreateClientAsync(sid, OAuthClient(method: "CLIENT_SECRET_POST"));
        AssertInvalidClient(await PostTokenAsync(sid, null, ("grant_type", "client_credentials"), ("client_id", client.Id)));
    }

    [Theory]
    [InlineData("Bearer abc")]
    [InlineData("Basic not-base64!")]
    [InlineData("Basic bm9jb2xvbg==")] // "nocolon"
    public async Task malformed_authorization_header_is_invalid_client(string header)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        using var content = Wire.Form(("grant_type", "client_credentials"));

        var reply = await PostTokenAsync(sid, content, AuthenticationHeaderValue.Parse(header));

        AssertInvalidClient(reply);
    }

    [Fact]
    public async Task locked_client_is_invalid_client_even_with_the_right_secret()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        AssertIssued(await TokenAsync(client));

        await Admin.LockClientAsync(client.ServiceId, client.ClientId);

        AssertInvalidClient(await TokenAsync(client));
    }

    [Fact]
    public async Task public_client_is_invalid_client_even_with_the_right_secret()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(json: """{"clientName":"spa","clientType":"PUBLIC","grantTypes":["CLIENT_CREDENTIALS"]}"""));

        AssertInvalidClient(await TokenAsync(client));
    }

    [Fact]
    public async Task basic_client_using_client_secret_post_is_invalid_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(method: "CLIENT_SECRET_BASIC"));

        var reply = await PostTokenAsync(sid, null, ("grant_type", "client_credentials"), ("client_id", client.Id), ("client_secret", client.Secret));

        AssertInvalidClient(reply);
        AssertIssued(await TokenAsync(client));
    }

    [Fact]
    public async Task post_client_using_client_secret_basic_is_invalid_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(method: "CLIENT_SECRET_POST"));

        AssertInvalidClient(await TokenAsync(client));
        AssertIssued(await PostTokenAsync(sid, null, ("grant_type", "client_credentials"), ("client_id", client.Id), ("client_secret", client.Secret)));
    }

    [Fact]
    public async Task client_without_the_client_credentials_grant_is_400_unauthorized_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(json: """{"clientName":"web app","grantTypes":["AUTHORIZATION_CODE"],"redirectUris":["https://app.example/cb"]}"""));

        var reply = await TokenAsync(client);

        AssertOAuthError(reply, HttpStatusCode.BadRequest, "unauthorized_client");
        Assert.Null(reply.Header("WWW-Authenticate"));
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("read bogus")]
    [InlineData("READ")]
    public async Task unknown_scope_is_400_invalid_scope(string scope)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        AssertOAuthError(await TokenAsync(client, scope: scope), HttpStatusCode.BadRequest, "invalid_scope");
    }

    [Theory]
    [InlineData("password")]
    [InlineData("authorization_code")]
    [InlineData("refresh_token")]
    [InlineData("urn:ietf:params:oauth:grant-type:jwt-bearer")]
    public async Task other_grant_types_are_400_unsupported_grant_type(string grantType)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", grantType));

        AssertOAuthError(reply, HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Fact]
    public async Task missing_grant_type_is_400_invalid_request()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        AssertOAuthError(await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("scope", "read")), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData("grant_type")]
    [InlineData("scope")]
    [InlineData("client_id")]
    public async Task repeated_parameter_is_400_invalid_request(string parameter)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var value = parameter switch { "grant_type" => "client_credentials", "scope" => "read", _ => client.Id };

        var reply = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"), (parameter, value), (parameter, value));

        AssertOAuthError(reply, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task basic_header_and_client_secret_in_the_body_together_are_400_invalid_request()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"), ("client_secret", client.Secret));

        AssertOAuthError(reply, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task client_id_in_the_body_that_differs_from_the_basic_header_is_400_invalid_request()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var other = await Admin.CreateClientAsync(sid, OAuthClient());

        var reply = await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"), ("client_id", other.Id));

        AssertOAuthError(reply, HttpStatusCode.BadRequest, "invalid_request");
        AssertIssued(await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"), ("client_id", client.Id)));
    }

    [Theory]
    [InlineData("application/json", """{"grant_type":"client_credentials"}""")]
    [InlineData("text/plain", "grant_type=client_credentials")]
    [InlineData(null, "grant_type=client_credentials")]
    public async Task body_that_is_not_form_urlencoded_is_400_invalid_request(string? mediaType, string body)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (mediaType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        AssertOAuthError(await PostTokenAsync(sid, content, Basic(client.Id, client.Secret)), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task form_with_a_charset_parameter_is_accepted()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        using var content = new StringContent("grant_type=client_credentials&scope=read", Encoding.UTF8, "application/x-www-form-urlencoded");

        AssertIssued(await PostTokenAsync(sid, content, Basic(client.Id, client.Secret)));
    }

    [Fact]
    public async Task unknown_service_is_404_and_not_cached()
    {
        var reply = await PostTokenAsync(123456789012345, Basic("1", "x"), ("grant_type", "client_credentials"));

        AssertOAuthError(reply, HttpStatusCode.NotFound, "invalid_request");
    }

    [Fact]
    public async Task ten_failures_block_the_client_from_that_address_with_429_and_retry_after_until_the_window_ends()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        using var fromOtherAddress = ClientFrom(IPAddress.Parse("127.0.0.2"));

        for (var i = 0; i < 10; i++)
        {
            AssertInvalidClient(await TokenAsync(client, secret: "guess-" + i.ToString(CultureInfo.InvariantCulture)));
        }

        // The eleventh request is refused before the secret is looked at: even the right one.
        var blocked = await TokenAsync(client);
        AssertOAuthError(blocked, HttpStatusCode.TooManyRequests, "temporarily_unavailable");
        var retryAfter = int.Parse(blocked.Header("Retry-After") ?? "", CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);

        // The pair is (client, address): the real client elsewhere is not locked out, and neither are other clients here.
        AssertIssued(await TokenAsync(client, http: fromOtherAddress));
        AssertIssued(await TokenAsync(await Admin.CreateClientAsync(sid, OAuthClient())));

        Time.Advance(TimeSpan.FromSeconds(59));
        AssertOAuthError(await TokenAsync(client), HttpStatusCode.TooManyRequests, "temporarily_unavailable");

        Time.Advance(TimeSpan.FromSeconds(2));
        AssertIssued(await TokenAsync(client));
    }

    [Fact]
    public async Task failures_under_zero_padded_forms_of_the_numeric_id_count_for_the_same_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        // The store reads "0…0<id>" as <id>; were the limiter keyed on the raw text, each padding would get its own 10.
        for (var i = 1; i <= 10; i++)
        {
            AssertInvalidClient(await TokenAsync(client, identifier: new string('0', i) + client.Id, secret: "guess"));
        }

        AssertOAuthError(await TokenAsync(client), HttpStatusCode.TooManyRequests, "temporarily_unavailable");
        AssertOAuthError(await TokenAsync(client, identifier: "0" + client.Id), HttpStatusCode.TooManyRequests, "temporarily_unavailable");
    }

    [Fact]
    public async Task failures_under_the_alias_count_for_the_client_whichever_identifier_comes_next()
    {
        // An alias and the numeric ID name one client: guesses under both share one budget of 10, not 10 each.
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "limited-" + Guid.NewGuid().ToString("N")[..8]));

        for (var i = 0; i < 10; i++)
        {
            AssertInvalidClient(await TokenAsync(client, identifier: client.Alias, secret: "guess"));
        }

        AssertOAuthError(await TokenAsync(client), HttpStatusCode.TooManyRequests, "temporarily_unavailable");
        AssertOAuthError(await TokenAsync(client, identifier: client.Alias), HttpStatusCode.TooManyRequests, "temporarily_unavailable");

        Time.Advance(TimeSpan.FromSeconds(61));
        AssertIssued(await TokenAsync(client, identifier: client.Alias));
    }

    [Fact]
    public async Task failures_split_between_the_alias_and_the_numeric_id_add_up()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient(alias: "split-" + Guid.NewGuid().ToString("N")[..8]));

        for (var i = 0; i < 5; i++)
        {
            AssertInvalidClient(await TokenAsync(client, identifier: client.Alias, secret: "guess"));
            AssertInvalidClient(await TokenAsync(client, secret: "guess"));
        }

        AssertOAuthError(await TokenAsync(client, identifier: client.Alias), HttpStatusCode.TooManyRequests, "temporarily_unavailable");
        AssertOAuthError(await TokenAsync(client), HttpStatusCode.TooManyRequests, "temporarily_unavailable");
    }

    [Fact]
    public async Task nine_failures_do_not_block()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        for (var i = 0; i < 9; i++)
        {
            AssertInvalidClient(await TokenAsync(client, secret: "guess"));
        }

        AssertIssued(await TokenAsync(client));
    }

    [Fact]
    public async Task failed_introspection_authentications_count_towards_the_same_limit()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        for (var i = 0; i < 10; i++)
        {
            AssertInvalidClient(await IntrospectAsync(sid, client, token, secret: "guess"));
        }

        var blocked = await IntrospectAsync(sid, client, token);
        AssertOAuthError(blocked, HttpStatusCode.TooManyRequests, "temporarily_unavailable");
        Assert.NotNull(blocked.Header("Retry-After"));
        AssertOAuthError(await TokenAsync(client), HttpStatusCode.TooManyRequests, "temporarily_unavailable");
    }
}
