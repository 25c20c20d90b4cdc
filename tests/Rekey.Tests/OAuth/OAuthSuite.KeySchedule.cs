using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Hosting;

namespace Rekey.Tests.OAuth;

/// <summary>
/// Signing keys are announced before they sign: a rotation publishes the next key at once, signs with it after the
/// activation delay, and keeps the replaced key published until the tokens it signed have expired.
/// </summary>
public abstract partial class OAuthSuite
{
    /// <summary><c>Rekey:SigningKeyActivationDelay</c> and <c>Rekey:SigningKeyRetirementMargin</c> of the server (its defaults).</summary>
    private TimeSpan ActivationDelay => Host.GetService<IOptions<RekeyOptions>>().Value.SigningKeyActivationDelay;

    private TimeSpan RetirementMargin => Host.GetService<IOptions<RekeyOptions>>().Value.SigningKeyRetirementMargin;

    private async Task<JsonArray> SigningKeysAsync(long serviceId)
    {
        var reply = await SendAsync(Admin, HttpMethod.Get, $"/api/{serviceId}/signing_key/get/list");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        Assert.Equal(ResultCodes.SigningKeysListed.Code, reply.Json["resultCode"]!.GetValue<string>());
        return reply.Json["keys"]!.AsArray();
    }

    private static (string KeyId, string Status, long PublishedAt, long ActivatesAt, long? RetiresAt) Schedule(JsonNode? key) =>
        (key!["keyId"]!.GetValue<string>(), key["status"]!.GetValue<string>(), key["publishedAt"]!.GetValue<long>(), key["activatesAt"]!.GetValue<long>(),
            key["retiresAt"]?.GetValue<long>());

    private static string KeyIdOf(string token) => Jwt.Decode(token).Header["kid"]!.GetValue<string>();

    [Fact]
    public async Task a_rotated_key_is_published_at_once_and_signs_only_after_the_activation_delay()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"scheduled","accessTokenDuration":600}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var oldKid = KeyIdOf(await AccessTokenAsync(client));
        Time.Advance(TimeSpan.FromSeconds(1));
        var rotatedAt = Time.GetUtcNow().ToUnixTimeMilliseconds();

        var (newKid, keys) = await RotateSigningKeyAsync(sid);

        var activatesAt = rotatedAt + (long)ActivationDelay.TotalMilliseconds;
        var retiresAt = activatesAt + 600_000 + (long)RetirementMargin.TotalMilliseconds;
        Assert.Equal([(newKid, "published", rotatedAt, activatesAt, (long?)null), (oldKid, "active", Schedule(keys[1]).PublishedAt, Schedule(keys[1]).ActivatesAt, retiresAt)],
            keys.Select(Schedule));
        Assert.Equal([newKid, oldKid], await PublishedKeyIdsAsync(sid));
        Assert.Equal(oldKid, KeyIdOf(await AccessTokenAsync(client)));

        Time.Advance(ActivationDelay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(oldKid, KeyIdOf(await AccessTokenAsync(client)));

        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(newKid, KeyIdOf(await AccessTokenAsync(client)));
        Assert.Equal(["active", "retiring"], (await SigningKeysAsync(sid)).Select(k => Schedule(k).Status));
        Assert.Equal([newKid, oldKid], await PublishedKeyIdsAsync(sid));
    }

    [Fact]
    public async Task the_rotate_and_list_answers_have_the_golden_shapes()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var oldKid = KeyIdOf(await AccessTokenAsync(client));
        Time.Advance(TimeSpan.FromSeconds(1));

        var rotated = await SendAsync(Admin, HttpMethod.Post, $"/api/{sid}/signing_key/rotate");
        var newKid = rotated.Json["keys"]![0]!["keyId"]!.GetValue<string>();
        Time.Advance(ActivationDelay);
        var listed = await SendAsync(Admin, HttpMethod.Get, $"/api/{sid}/signing_key/get/list");

        OAuthGolden.AssertMatches("signing-key-rotate.json", rotated.Json, new Dictionary<string, string>
        {
            ["<message>"] = ResultCodes.SigningKeyRotated.Format(sid, newKid), ["<new-kid>"] = newKid, ["<old-kid>"] = oldKid,
        });
        OAuthGolden.AssertMatches("signing-key-list.json", listed.Json, new Dictionary<string, string>
        {
            ["<message>"] = ResultCodes.SigningKeysListed.Format(2, sid), ["<new-kid>"] = newKid, ["<old-kid>"] = oldKid,
        });
    }

    [Fact]
    public async Task a_rotation_while_a_key_waits_to_sign_is_refused_with_A182201_and_changes_nothing()
    {
        var sid = await Admin.CreateServiceAsync(ScopedService);
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        await AccessTokenAsync(client); // the first key
        Time.Advance(TimeSpan.FromSeconds(1));
        var (waiting, _) = await RotateSigningKeyAsync(sid);
        var before = await SigningKeysAsync(sid);

        var reply = await SendAsync(Admin, HttpMethod.Post, $"/api/{sid}/signing_key/rotate");

        Assert.Equal(HttpStatusCode.Conflict, reply.Status);
        Assert.Equal(ResultCodes.SigningKeyStillPending.Code, reply.Json["resultCode"]!.GetValue<string>());
        Assert.Contains(waiting, reply.Json["resultMessage"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before.ToJsonString(), (await SigningKeysAsync(sid)).ToJsonString());

        Time.Advance(ActivationDelay);
        var (next, _) = await RotateSigningKeyAsync(sid);
        Assert.Equal(["published", "active", "retiring"], (await SigningKeysAsync(sid)).Select(k => Schedule(k).Status));
        Assert.Equal(next, Schedule((await SigningKeysAsync(sid))[0]).KeyId);
    }

    [Fact]
    public async Task a_token_of_the_replaced_key_verifies_until_it_expires_and_the_key_leaves_the_jwks_after()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"retiring","accessTokenDuration":600}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        await AccessTokenAsync(client); // the first key
        Time.Advance(TimeSpan.FromSeconds(1));
        var (newKid, _) = await RotateSigningKeyAsync(sid);
        Time.Advance(ActivationDelay - TimeSpan.FromSeconds(1));
        var last = await AccessTokenAsync(client); // the replaced key's last token: valid 600 s from here
        var oldKid = KeyIdOf(last);
        Assert.NotEqual(newKid, oldKid);
        await using var api = await StartResourceServerAsync(sid);

        Time.Advance(TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(598));
        Assert.Equal(HttpStatusCode.OK, (await api.CallAsync(last)).Status);
        Assert.True((await IntrospectAsync(sid, client, last)).Json["active"]!.GetValue<bool>());
        Assert.Equal([newKid, oldKid], await PublishedKeyIdsAsync(sid));

        // Expired now; the key stays published for the retirement margin (verifiers' clock skew), then leaves.
        var retiresAt = Schedule((await SigningKeysAsync(sid))[1]).RetiresAt ?? throw new InvalidOperationException("no retirement time");
        Assert.Equal(KeyIdOf(last), Schedule((await SigningKeysAsync(sid))[1]).KeyId);
        Time.Advance(DateTimeOffset.FromUnixTimeMilliseconds(retiresAt - 1) - Time.GetUtcNow());
        Assert.Equal([newKid, oldKid], await PublishedKeyIdsAsync(sid));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([newKid], await PublishedKeyIdsAsync(sid));
        Assert.Equal(["active", "retired"], (await SigningKeysAsync(sid)).Select(k => Schedule(k).Status));
        Assert.Equal("""{"active":false}""", (await IntrospectAsync(sid, client, last)).Text);
    }

    /// <summary>
    /// A JWKS cache that refreshes only when the JWKS's <c>Cache-Control: max-age</c> has run out on the suite's clock,
    /// never because a token names an unknown key: the strictest verifier that still follows HTTP caching.
    /// </summary>
    private sealed class MaxAgeConfiguration(HttpClient http, string metadataUrl, TimeProvider time) : IConfigurationManager<OpenIdConnectConfiguration>
    {
        private OpenIdConnectConfiguration? _current;
        private DateTimeOffset _staleAt;

        public int Fetches { get; private set; }

        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
        {
            if (_current is not null && time.GetUtcNow() < _staleAt)
            {
                return _current;
            }

            var configuration = OpenIdConnectConfiguration.Create(await http.GetStringAsync(metadataUrl, cancel));
            using var response = await http.GetAsync(configuration.JwksUri, cancel);
            configuration.JsonWebKeySet = new Microsoft.IdentityModel.Tokens.JsonWebKeySet(await response.Content.ReadAsStringAsync(cancel));
            foreach (var key in configuration.JsonWebKeySet.GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }

            (_current, _staleAt) = (configuration, time.GetUtcNow() + (response.Headers.CacheControl?.MaxAge ?? TimeSpan.Zero));
            Fetches++;
            return configuration;
        }

        public void RequestRefresh()
        {
        }
    }

    private async Task<(ResourceServer Api, MaxAgeConfiguration Cache)> StartCachingResourceServerAsync(long serviceId)
    {
        var cache = new MaxAgeConfiguration(Anonymous, $"{Issuer(serviceId)}/.well-known/openid-configuration", Time);
        var api = await StartResourceServerAsync(o =>
        {
            o.ConfigurationManager = cache;
            o.RefreshOnIssuerKeyNotFound = false;
            o.Audience = Issuer(serviceId);
            o.MapInboundClaims = false;
        });
        return (api, cache);
    }

    [Fact]
    public async Task resource_servers_with_a_cached_jwks_accept_every_new_token_across_a_rotation_and_its_activation()
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"steady","accessTokenDuration":600}""");
        var client = await Admin.CreateClientAsync(sid, OAuthClient());
        var (cachingApi, cache) = await StartCachingResourceServerAsync(sid);
        await using var caching = cachingApi;
        var servers = new List<(string Name, ResourceServer Api)> { ("max-age cache", caching) };
        var failures = new List<string>();
        var kids = new List<string>();

        async Task TokensEvery20SecondsAsync(int count)
        {
            for (var step = 0; step < count; step++)
            {
                var token = await AccessTokenAsync(client);
                kids.Add(KeyIdOf(token));
                foreach (var (name, api) in servers)
                {
                    var (status, challenge, _) = await api.CallAsync(token);
                    if (status != HttpStatusCode.OK)
                    {
                        failures.Add($"{Time.GetUtcNow():O}, {name}, kid {kids[^1]}: {(int)status} {challenge}");
                    }
                }

                Time.Advance(TimeSpan.FromSeconds(20));
            }
        }

        // Five minutes of tokens, the rotation, then from five minutes before the activation to five minutes after it.
        await TokensEvery20SecondsAsync(15);
        var rotatedAt = Time.GetUtcNow();
        await RotateSigningKeyAsync(sid);

        // A JwtBearer instance refreshes its metadata every 12 hours by default, in real time, which this test does not
        // move: one that first fetches after the rotation stands for every instance once the one-day delay has passed.
        await using var byIssuer = await StartIssuerOnlyResourceServerAsync(Issuer(sid));
        servers.Add(("JwtBearer with Authority", byIssuer));
        await TokensEvery20SecondsAsync(1);
        Time.Advance(rotatedAt + ActivationDelay - TimeSpan.FromMinutes(5) - Time.GetUtcNow());
        await TokensEvery20SecondsAsync(31);

        Assert.Empty(failures);
        Assert.Equal(2, kids.Distinct().Count());
        Assert.True(cache.Fetches > 2, $"the cache fetched {cache.Fetches} times");
    }
}
