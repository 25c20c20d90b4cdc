using System.Net;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.OAuth;
using Rekey.Server.Storage;

namespace Rekey.Tests.OAuth;

/// <summary>Client-secret rotation and signing-key rotation, seen from the token and introspection endpoints.</summary>
public abstract partial class OAuthSuite
{
    private const string NewSecret = "rotated-Secret_0123456789";

    [Fact]
    public async Task after_an_update_without_grace_the_old_secret_is_invalid_client_at_once_and_the_new_one_works()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        AssertIssued(await TokenAsync(client));

        await Admin.UpdateSecretAsync(client.ServiceId, client.ClientId, NewSecret);

        AssertInvalidClient(await TokenAsync(client));
        AssertIssued(await TokenAsync(client, secret: NewSecret));
    }

    [Fact]
    public async Task with_a_service_grace_period_both_secrets_work_until_it_ends_then_only_the_new_one()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"graceful","clientSecretGracePeriod":600}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        await Admin.UpdateSecretAsync(client.ServiceId, client.ClientId, NewSecret);
        AssertIssued(await TokenAsync(client));
        AssertIssued(await TokenAsync(client, secret: NewSecret));

        Time.Advance(TimeSpan.FromSeconds(599));
        AssertIssued(await TokenAsync(client));

        Time.Advance(TimeSpan.FromSeconds(1));
        AssertInvalidClient(await TokenAsync(client));
        AssertIssued(await TokenAsync(client, secret: NewSecret));
    }

    [Fact]
    public async Task a_grace_period_of_zero_in_the_update_overrides_the_service_grace_period()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"graceful","clientSecretGracePeriod":600}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());

        await Admin.UpdateSecretAsync(client.ServiceId, client.ClientId, NewSecret, grace: 0);

        AssertInvalidClient(await TokenAsync(client));
        AssertIssued(await TokenAsync(client, secret: NewSecret));
    }

    [Fact]
    public async Task the_old_secret_also_works_with_client_secret_post_and_at_introspection_during_the_grace_period()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"graceful","clientSecretGracePeriod":600}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient(method: "CLIENT_SECRET_POST"));
        var token = await PostTokenAsync(sid, null, ("grant_type", "client_credentials"), ("client_id", client.Id), ("client_secret", client.Secret));
        AssertIssued(token);

        await Admin.UpdateSecretAsync(client.ServiceId, client.ClientId, NewSecret);

        AssertIssued(await PostTokenAsync(sid, null, ("grant_type", "client_credentials"), ("client_id", client.Id), ("client_secret", client.Secret)));
        var introspection = await SendAsync(Anonymous, HttpMethod.Post, IntrospectionEndpoint(sid),
            Wire.Form(("token", token.Json["access_token"]!.GetValue<string>()), ("client_id", client.Id), ("client_secret", client.Secret)));
        Assert.Equal(HttpStatusCode.OK, introspection.Status);
        Assert.True(introspection.Json["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task revoking_the_previous_secret_ends_its_grace_period_at_once()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"graceful","clientSecretGracePeriod":600}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        await Admin.UpdateSecretAsync(client.ServiceId, client.ClientId, NewSecret);
        AssertIssued(await TokenAsync(client));

        var previous = Assert.Single(await Admin.ListSecretsAsync(sid, client.ClientId), s => s!["status"]!.GetValue<string>() == "previous")!;
        await Admin.RevokeSecretAsync(sid, client.ClientId, JsonWire.Integer(previous["secretId"], "secretId"));

        AssertInvalidClient(await TokenAsync(client));
        AssertIssued(await TokenAsync(client, secret: NewSecret));
    }

    [Fact]
    public async Task tokens_issued_before_a_secret_rotation_stay_active_until_they_expire()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var token = await AccessTokenAsync(client);

        await Admin.UpdateSecretAsync(client.ServiceId, client.ClientId, NewSecret);

        var reply = await IntrospectAsync(sid, client, token, secret: NewSecret);
        Assert.True(reply.Json["active"]!.GetValue<bool>(), reply.Text);
    }

    /// <summary>Rotates through the management API; the answer carries every key's schedule.</summary>
    private async Task<(string KeyId, JsonArray Keys)> RotateSigningKeyAsync(long serviceId)
    {
        var reply = await SendAsync(Admin, HttpMethod.Post, $"/api/{serviceId}/signing_key/rotate");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        Assert.Equal(ResultCodes.SigningKeyRotated.Code, reply.Json["resultCode"]!.GetValue<string>());
        var keys = reply.Json["keys"]!.AsArray();
        return (keys[0]!["keyId"]!.GetValue<string>(), keys);
    }

    private async Task<List<string>> PublishedKeyIdsAsync(long serviceId)
    {
        var reply = await SendAsync(Anonymous, HttpMethod.Get, Issuer(serviceId) + "/jwks");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.Json["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ToList();
    }

    [Fact]
    public async Task after_a_signing_key_rotation_and_its_activation_the_jwks_publishes_both_keys_and_old_tokens_stay_valid()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var oldKid = Jwt.Decode(await AccessTokenAsync(client)).Header["kid"]!.GetValue<string>();
        Time.Advance(TimeSpan.FromSeconds(1));

        var (newKid, _) = await RotateSigningKeyAsync(sid);
        Time.Advance(ActivationDelay - TimeSpan.FromMinutes(1));
        var before = await AccessTokenAsync(client);
        Time.Advance(TimeSpan.FromMinutes(1));
        var after = await AccessTokenAsync(client);

        Assert.Equal(oldKid, Jwt.Decode(before).Header["kid"]!.GetValue<string>());
        Assert.Equal(newKid, Jwt.Decode(after).Header["kid"]!.GetValue<string>());
        Assert.Equal([newKid, oldKid], await PublishedKeyIdsAsync(sid));
        Assert.True((await IntrospectAsync(sid, client, before)).Json["active"]!.GetValue<bool>());
        await using var api = await StartResourceServerAsync(sid);
        Assert.Equal(HttpStatusCode.OK, (await api.CallAsync(before)).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.CallAsync(after)).Status);
    }

    [Fact]
    public async Task jwks_is_public_cacheable_and_holds_no_private_key_material()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);

        var reply = await SendAsync(Anonymous, HttpMethod.Get, Issuer(sid) + "/jwks");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("public, max-age=60", reply.Header("Cache-Control"));
        var key = Assert.Single(reply.Json["keys"]!.AsArray())!.AsObject();
        Assert.Equal(["kty", "crv", "x", "y", "kid", "use", "alg"], key.Select(p => p.Key));
        Assert.False(key.ContainsKey("d"));
        Assert.Equal(("EC", "P-256", "sig", "ES256"),
            (key["kty"]!.GetValue<string>(), key["crv"]!.GetValue<string>(), key["use"]!.GetValue<string>(), key["alg"]!.GetValue<string>()));
    }
}
