using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Duende.IdentityModel;
using Duende.IdentityModel.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Tests.OAuth;

/// <summary>
/// client_secret_jwt (RFC 7523 §2.2, RFC 7521 §4.2, OpenID Connect Core §9): assertions signed with the client secret,
/// built by Microsoft.IdentityModel.JsonWebTokens and sent by hand or through Duende.IdentityModel.
/// </summary>
public abstract partial class OAuthSuite
{
    /// <summary>A secret long enough for HS512 (RFC 7518 §3.2: at least the hash's size; the library enforces it).</summary>
    private const string LongSecret = "rotated-Secret_0123456789-0123456789-0123456789-0123456789-0123456789";

    private static string JwtClient(string? alias = null) => OAuthClient(alias, method: "CLIENT_SECRET_JWT");

    /// <summary>
    /// An assertion for <paramref name="client"/> as a careful client builds it: iss = sub = its ID, aud = the token
    /// endpoint, a fresh jti, iat now and exp in one minute (the server's clock), signed with its secret.
    /// <paramref name="change"/> edits the claims before signing.
    /// </summary>
    private string Assertion(TestClient client, string? secret = null, string algorithm = SecurityAlgorithms.HmacSha256,
        Action<Dictionary<string, object>>? change = null, SigningCredentials? credentials = null)
    {
        var now = Time.GetUtcNow().ToUnixTimeSeconds();
        var claims = new Dictionary<string, object>
        {
            ["iss"] = client.Id,
            ["sub"] = client.Id,
            ["aud"] = TokenEndpoint(client.ServiceId),
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now,
            ["exp"] = now + 60,
        };
        change?.Invoke(claims);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = credentials ?? new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret ?? client.Secret)), algorithm),
        });
    }

    private Task<Reply> JwtTokenAsync(TestClient client, string assertion, params (string Key, string Value)[] more) =>
        PostTokenAsync(client.ServiceId, null, [("grant_type", "client_credentials"), ("client_assertion_type", ClientAssertionJwtBearer), ("client_assertion", assertion), .. more]);

    private const string ClientAssertionJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    [Theory]
    [InlineData(SecurityAlgorithms.HmacSha256)]
    [InlineData(SecurityAlgorithms.HmacSha384)]
    [InlineData(SecurityAlgorithms.HmacSha512)]
    public async Task client_secret_jwt_signed_by_json_web_token_handler_gets_a_token(string algorithm)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient());

        var reply = await JwtTokenAsync(client, Assertion(client, algorithm: algorithm), ("scope", "read"));

        AssertIssued(reply);
        var (_, payload) = Jwt.Decode(reply.Json["access_token"]!.GetValue<string>());
        Assert.Equal(client.Id, payload["client_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task client_secret_jwt_through_duende_client_assertion_gets_a_token_and_introspects_it()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient());

        var token = await Anonymous.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = TokenEndpoint(sid),
            ClientId = client.Id,
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = OidcConstants.ClientAssertionTypes.JwtBearer, Value = Assertion(client) },
            Scope = "read",
        });
        Assert.False(token.IsError, token.Error + " " + token.Raw);

        var introspection = await Anonymous.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = IntrospectionEndpoint(sid),
            ClientId = client.Id,
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = OidcConstants.ClientAssertionTypes.JwtBearer, Value = Assertion(client, change: c => c["aud"] = Issuer(sid)) },
            Token = token.AccessToken ?? "",
        });
        Assert.False(introspection.IsError, introspection.Error + " " + introspection.Raw);
        Assert.True(introspection.IsActive);
    }

    [Fact]
    public async Task client_secret_jwt_accepts_the_alias_as_iss_and_sub_and_the_issuer_in_an_aud_array()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient(alias: "jwt-job"));

        AssertIssued(await JwtTokenAsync(client, Assertion(client, change: c => (c["iss"], c["sub"]) = ("jwt-job", "jwt-job"))));
        AssertIssued(await JwtTokenAsync(client, Assertion(client, change: c => c["aud"] = new[] { "https://elsewhere.example", Issuer(sid) })));
        AssertIssued(await JwtTokenAsync(client, Assertion(client), ("client_id", client.Id)));
    }

    public static TheoryData<string> Refusals() =>
    [
        "wrong key", "alg none", "RS256", "ES256", "wrong audience", "expired", "exp too far", "no exp", "no jti", "iss differs from sub", "nbf in the future",
        "iat in the future", "tampered payload", "alias of another client",
    ];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task client_secret_jwt_refusals_are_invalid_client_without_saying_why(string refusal)
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient());
        var other = await Admin.CreateClientAsync(sid, JwtClient(alias: "other-" + sid));
        var assertion = refusal switch
        {
            "wrong key" => Assertion(client, secret: LongSecret),
            "alg none" => Jwt.Encode(new JsonObject { ["alg"] = "none", ["typ"] = "JWT" }) + "." + Assertion(client).Split('.')[1] + ".",
            "RS256" => Assertion(client, credentials: new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)), SecurityAlgorithms.RsaSha256)),
            "ES256" => Assertion(client, credentials: new SigningCredentials(new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)), SecurityAlgorithms.EcdsaSha256)),
            "wrong audience" => Assertion(client, change: c => c["aud"] = IntrospectionEndpoint(sid) + "/elsewhere"),
            "expired" => Assertion(client, change: c => c["exp"] = Time.GetUtcNow().ToUnixTimeSeconds() - 31),
            "exp too far" => Assertion(client, change: c => c["exp"] = Time.GetUtcNow().ToUnixTimeSeconds() + 331),
            "no exp" => Assertion(client, change: c => c.Remove("exp")),
            "no jti" => Assertion(client, change: c => c.Remove("jti")),
            "iss differs from sub" => Assertion(client, change: c => c["iss"] = other.Id),
            "nbf in the future" => Assertion(client, change: c => c["nbf"] = Time.GetUtcNow().ToUnixTimeSeconds() + 120),
            "iat in the future" => Assertion(client, change: c => c["iat"] = Time.GetUtcNow().ToUnixTimeSeconds() + 120),
            "tampered payload" => Jwt.WithPayload(Assertion(client), p => p["jti"] = "changed"),
            "alias of another client" => Assertion(client, change: c => (c["iss"], c["sub"]) = (other.Alias!, other.Alias!)),
            _ => throw new ArgumentOutOfRangeException(nameof(refusal)),
        };

        var reply = await JwtTokenAsync(client, assertion);

        AssertInvalidClient(reply);
        Assert.Equal("Client authentication failed.", reply.Json["error_description"]?.GetValue<string>());
    }

    [Fact]
    public async Task an_assertion_within_the_bounds_is_accepted_at_their_edges()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient());
        var now = Time.GetUtcNow().ToUnixTimeSeconds();

        AssertIssued(await JwtTokenAsync(client, Assertion(client, change: c => c["exp"] = now + 330)));
        AssertIssued(await JwtTokenAsync(client, Assertion(client, change: c => c["exp"] = now - 29)));
        AssertIssued(await JwtTokenAsync(client, Assertion(client, change: c => c["nbf"] = now + 30)));
    }

    [Fact]
    public async Task a_replayed_assertion_is_invalid_client_until_it_expires_and_the_jti_is_per_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient());
        var second = await Admin.CreateClientAsync(sid, JwtClient());
        var assertion = Assertion(client, change: c => c["jti"] = "once");

        AssertIssued(await JwtTokenAsync(client, assertion));
        AssertInvalidClient(await JwtTokenAsync(client, assertion));
        AssertInvalidClient(await SendAsync(Anonymous, HttpMethod.Post, IntrospectionEndpoint(sid),
            Wire.Form(("token", "x"), ("client_assertion_type", ClientAssertionJwtBearer), ("client_assertion", assertion))));

        // Another client may pick the same jti.
        AssertIssued(await JwtTokenAsync(second, Assertion(second, change: c => c["jti"] = "once")));
    }

    [Fact]
    public async Task forgotten_assertions_are_only_those_that_could_no_longer_be_accepted()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient());
        var store = Host.GetService<IRekeyStore>();
        var now = Time.GetUtcNow().ToUnixTimeSeconds();

        Assert.True(await store.RememberAssertionAsync(client.ClientId, "kept", now + 60, now, default));
        Assert.False(await store.RememberAssertionAsync(client.ClientId, "kept", now + 60, now + 60, default));
        await store.ForgetExpiredAssertionsAsync(now + 60, default);
        Assert.False(await store.RememberAssertionAsync(client.ClientId, "kept", now + 200, now + 60, default));

        // Past its time, a jti not yet pruned may be used again; pruning removes it.
        Assert.True(await store.RememberAssertionAsync(client.ClientId, "kept", now + 300, now + 61, default));
        Assert.True(await store.ForgetExpiredAssertionsAsync(now + 301, default) >= 1);
        Assert.True(await store.RememberAssertionAsync(client.ClientId, "kept", now + 400, now + 301, default));
    }

    [Fact]
    public async Task the_registered_token_auth_method_is_enforced_both_ways()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var basic = await Admin.CreateClientAsync(sid, OAuthClient());
        var jwt = await Admin.CreateClientAsync(sid, JwtClient());

        AssertInvalidClient(await JwtTokenAsync(basic, Assertion(basic)));
        AssertInvalidClient(await TokenAsync(jwt));
        AssertIssued(await TokenAsync(basic));
        AssertIssued(await JwtTokenAsync(jwt, Assertion(jwt)));
    }

    [Fact]
    public async Task an_assertion_together_with_another_method_or_an_unknown_type_is_invalid_request()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient());

        AssertOAuthError(await PostTokenAsync(sid, Basic(client.Id, client.Secret), ("grant_type", "client_credentials"),
            ("client_assertion_type", ClientAssertionJwtBearer), ("client_assertion", Assertion(client))), HttpStatusCode.BadRequest, "invalid_request");
        AssertOAuthError(await JwtTokenAsync(client, Assertion(client), ("client_secret", client.Secret)), HttpStatusCode.BadRequest, "invalid_request");
        AssertOAuthError(await PostTokenAsync(sid, null, ("grant_type", "client_credentials"), ("client_assertion_type", "urn:example:other"),
            ("client_assertion", Assertion(client))), HttpStatusCode.BadRequest, "invalid_request");
        AssertOAuthError(await JwtTokenAsync(client, Assertion(client), ("client_id", "someone-else")), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task a_previous_secret_signs_assertions_during_its_grace_period_and_not_after()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"graceful","clientSecretGracePeriod":600}""");
        var client = await Admin.CreateClientAsync(sid, JwtClient());

        await Admin.UpdateSecretAsync(client.ServiceId, client.ClientId, LongSecret);
        AssertIssued(await JwtTokenAsync(client, Assertion(client)));
        AssertIssued(await JwtTokenAsync(client, Assertion(client, secret: LongSecret, algorithm: SecurityAlgorithms.HmacSha512)));

        Time.Advance(TimeSpan.FromSeconds(599));
        AssertIssued(await JwtTokenAsync(client, Assertion(client)));

        Time.Advance(TimeSpan.FromSeconds(1));
        AssertInvalidClient(await JwtTokenAsync(client, Assertion(client)));
        AssertIssued(await JwtTokenAsync(client, Assertion(client, secret: LongSecret)));
    }

    [Fact]
    public async Task wrong_assertions_spend_the_failure_budget_of_the_client()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient());
        for (var i = 0; i < Rekey.Server.OAuth.FailedAuthLimiter.MaxFailures; i++)
        {
            AssertInvalidClient(await JwtTokenAsync(client, Assertion(client, secret: LongSecret)));
        }

        AssertOAuthError(await JwtTokenAsync(client, Assertion(client)), HttpStatusCode.TooManyRequests, "temporarily_unavailable");
        Time.Advance(Rekey.Server.OAuth.FailedAuthLimiter.Window);
        AssertIssued(await JwtTokenAsync(client, Assertion(client)));
    }

    [Fact]
    public async Task auth_token_accepts_a_client_assertion_in_the_relayed_parameters()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, JwtClient());
        var parameters = $"grant_type=client_credentials&client_assertion_type={Uri.EscapeDataString(ClientAssertionJwtBearer)}&client_assertion={Assertion(client)}";

        var (status, body) = await AuthTokenAsync(sid, new JsonObject { ["parameters"] = parameters });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("OK", body["action"]!.GetValue<string>());
        Assert.Equal("CLIENT_SECRET_JWT", body["clientAuthMethod"]!.GetValue<string>());

        var (_, replayed) = await AuthTokenAsync(sid, new JsonObject { ["parameters"] = parameters });
        Assert.Equal("INVALID_CLIENT", replayed["action"]!.GetValue<string>());
    }

    [Fact]
    public async Task metadata_announces_client_secret_jwt_and_its_hmac_algorithms()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var metadata = (await SendAsync(Anonymous, HttpMethod.Get, MetadataUrl(sid))).Json;

        foreach (var endpoint in new[] { "token_endpoint", "introspection_endpoint" })
        {
            Assert.Contains("client_secret_jwt", metadata[endpoint + "_auth_methods_supported"]!.AsArray().Select(m => m!.GetValue<string>()));
            Assert.Equal(["HS256", "HS384", "HS512"], metadata[endpoint + "_auth_signing_alg_values_supported"]!.AsArray().Select(m => m!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task a_previous_secret_of_a_basic_client_keeps_no_ciphertext_and_of_a_jwt_client_only_for_its_grace_period()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"graceful","clientSecretGracePeriod":600}""");
        var basic = await Admin.CreateClientAsync(sid, OAuthClient());
        var jwt = await Admin.CreateClientAsync(sid, JwtClient());
        var store = Host.GetService<IRekeyStore>();
        await Admin.UpdateSecretAsync(sid, basic.ClientId, LongSecret);
        await Admin.UpdateSecretAsync(sid, jwt.ClientId, LongSecret);

        Assert.Null(await PreviousCiphertextAsync(store, sid, basic.ClientId));
        Assert.NotNull(await PreviousCiphertextAsync(store, sid, jwt.ClientId));

        Time.Advance(TimeSpan.FromSeconds(600));
        await Admin.UpdateSecretAsync(sid, jwt.ClientId, LongSecret + "-3");
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var secrets = (await store.FindCredentialsAsync(sid, jwt.Id, default)).Value!.Secrets;
        Assert.Equal(3, secrets.Count);
        Assert.All(secrets, s => Assert.Equal(s.IsValidAt(now), s.Ciphertext is not null));
    }

    private static async Task<byte[]?> PreviousCiphertextAsync(IRekeyStore store, long serviceId, long clientId) =>
        Assert.Single((await store.FindCredentialsAsync(serviceId, clientId.ToString(System.Globalization.CultureInfo.InvariantCulture), default)).Value!.Secrets,
            s => s.State == SecretPolicy.StatePrevious).Ciphertext;
}
