using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Xunit;

namespace Rekey.Testing;

/// <summary>
/// What a test does through the API, named as the README's walk-through speaks: create a service, create a client,
/// create an API token, update or refresh a secret, list and revoke secrets, read the current secret back, lock or
/// delete a client. <c>XxxAsync</c> checks that the call succeeded (its answer read under the wire rules of
/// <see cref="Reply"/>) and returns what the test needs next; <c>SendXxxAsync</c> returns the status and body for
/// the test to check (a refusal, a status). One shape per concept: a service is its ID, a client a
/// <see cref="TestClient"/>, an API token a <see cref="TestToken"/>, a secret its value.
/// </summary>
public static class TestApi
{
    private const string DefaultService = """{"serviceName":"test service"}""";

    private const string DefaultClient = """{"clientName":"test client"}""";

    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>A random secret of the allowed alphabet: long enough that finding it by chance is impossible.</summary>
    public static string NewSecret(int length = 40) => RandomNumberGenerator.GetString(SecretAlphabet, length);

    // ---- services ----------------------------------------------------------------------------------

    /// <summary>Creates a service from <paramref name="json"/> and returns its ID (apiKey).</summary>
    public static async Task<long> CreateServiceAsync(this HttpClient admin, string json)
    {
        var reply = await admin.SendForReplyAsync(HttpMethod.Post, "/api/service/create", Wire.Json(json));
        AssertOk(reply);
        return JsonWire.AssertId(reply.Json["apiKey"], "apiKey");
    }

    /// <summary>Creates a service with these rotation settings (seconds; absent: the server's default) and returns its ID.</summary>
    public static Task<long> CreateServiceAsync(this HttpClient admin, long? grace = null, long? lifetime = null)
    {
        var body = JsonNode.Parse(DefaultService)!.AsObject();
        if (grace is { } g)
        {
            body["clientSecretGracePeriod"] = g;
        }

        if (lifetime is { } l)
        {
            body["clientSecretLifetime"] = l;
        }

        return admin.CreateServiceAsync(body.ToJsonString());
    }

    // ---- clients -----------------------------------------------------------------------------------

    /// <summary>Creates a client of <paramref name="serviceId"/> from <paramref name="json"/>.</summary>
    public static async Task<TestClient> CreateClientAsync(this HttpClient admin, long serviceId, string json = DefaultClient)
    {
        var reply = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{serviceId}/client/create", Wire.Json(json));
        AssertOk(reply);
        return new TestClient(serviceId, JsonWire.AssertId(reply.Json["clientId"], "clientId"),
            reply.Has("clientIdAlias") ? reply.Str("clientIdAlias") : null, reply.Str("clientSecret"), reply);
    }

    /// <summary>Creates a client from <paramref name="json"/> in a new service of its own.</summary>
    public static async Task<TestClient> CreateClientAsync(this HttpClient admin, string json = DefaultClient) =>
        await admin.CreateClientAsync(await admin.CreateServiceAsync(), json);

    /// <summary>The client's current secret, read back through client/get.</summary>
    public static async Task<string> CurrentSecretAsync(this HttpClient caller, long serviceId, long clientId)
    {
        var reply = await caller.SendForReplyAsync(HttpMethod.Get, $"/api/{serviceId}/client/get/{clientId}");
        AssertOk(reply);
        return reply.Str("clientSecret");
    }

    /// <inheritdoc cref="CurrentSecretAsync(HttpClient, long, long)"/>
    public static Task<string> CurrentSecretAsync(this HttpClient caller, TestClient client) =>
        caller.CurrentSecretAsync(client.ServiceId, client.ClientId);

    /// <summary>Locks the client (or, with <paramref name="locked"/> false, unlocks it).</summary>
    public static async Task LockClientAsync(this HttpClient admin, long serviceId, long clientId, bool locked = true)
    {
        var body = new JsonObject { ["clientLocked"] = locked };
        AssertOk(await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{serviceId}/client/lock_flag/update/{clientId}", Wire.Json(body.ToJsonString())));
    }

    public static async Task DeleteClientAsync(this HttpClient admin, long serviceId, long clientId)
    {
        var reply = await admin.SendForReplyAsync(HttpMethod.Delete, $"/api/{serviceId}/client/delete/{clientId}");
        Assert.True(reply.Status is HttpStatusCode.OK or HttpStatusCode.NoContent, "Expected 200 or 204: " + reply);
    }

    // ---- secrets -----------------------------------------------------------------------------------

    /// <summary>Sets <paramref name="secret"/> as the client's secret, checks the answer names it, and returns it.</summary>
    public static async Task<string> UpdateSecretAsync(this HttpClient caller, long serviceId, long clientId, string secret, JsonNode? grace = null)
    {
        var reply = await caller.SendForReplyAsync(HttpMethod.Post, $"/api/{serviceId}/client/secret/update/{clientId}", UpdateBody(secret, grace));
        AssertOk(reply);
        Assert.Equal(secret, reply.Str("newClientSecret"));
        return secret;
    }

    /// <summary>The update as sent, with whatever identifier, secret and grace period; the answer for the test to check.</summary>
    public static Task<(HttpStatusCode Status, JsonObject Body)> SendUpdateSecretAsync(this HttpClient caller, long serviceId, object clientIdentifier, string secret, JsonNode? grace = null) =>
        caller.PostForJsonAsync($"/api/{serviceId}/client/secret/update/{clientIdentifier}", UpdateBody(secret, grace));

    /// <summary>Has the server generate the client's next secret and returns it.</summary>
    public static async Task<string> RefreshSecretAsync(this HttpClient caller, long serviceId, long clientId, string? grace = null)
    {
        var reply = await caller.SendForReplyAsync(HttpMethod.Get, RefreshPath(serviceId, clientId, grace));
        AssertOk(reply);
        return reply.Str("newClientSecret");
    }

    /// <summary>The refresh as sent; the answer for the test to check.</summary>
    public static Task<(HttpStatusCode Status, JsonObject Body)> SendRefreshSecretAsync(this HttpClient caller, long serviceId, object clientIdentifier, string? grace = null) =>
        caller.GetForJsonAsync(RefreshPath(serviceId, clientIdentifier, grace));

    /// <summary>The client's secrets as the secret list shows them (status, times, hints; never values), current first.</summary>
    public static async Task<JsonArray> ListSecretsAsync(this HttpClient caller, long serviceId, long clientId)
    {
        var reply = await caller.SendForReplyAsync(HttpMethod.Get, $"/api/{serviceId}/client/secret/list/{clientId}");
        AssertOk(reply);
        return reply.Json["secrets"] as JsonArray ?? throw new Xunit.Sdk.XunitException("'secrets' is not a JSON array: " + reply);
    }

    /// <summary>The ID of the client's current secret, from the secret list.</summary>
    public static async Task<long> CurrentSecretIdAsync(this HttpClient caller, long serviceId, long clientId) =>
        JsonWire.Integer((await caller.ListSecretsAsync(serviceId, clientId)).Single(s => s?["status"]?.GetValue<string>() == "current")?["secretId"], "secretId");

    /// <summary>Revokes one of the client's previous secrets.</summary>
    public static async Task RevokeSecretAsync(this HttpClient caller, long serviceId, long clientId, long secretId) =>
        AssertOk(await caller.SendForReplyAsync(HttpMethod.Delete, $"/api/{serviceId}/client/secret/delete/{clientId}/{secretId}"));

    /// <summary>The revocation as sent, with whatever secret ID; the answer for the test to check.</summary>
    public static Task<(HttpStatusCode Status, JsonObject Body)> SendRevokeSecretAsync(this HttpClient caller, long serviceId, long clientId, object secretId) =>
        caller.SendForJsonAsync(HttpMethod.Delete, $"/api/{serviceId}/client/secret/delete/{clientId}/{secretId}");

    private static StringContent UpdateBody(string secret, JsonNode? grace)
    {
        var body = new JsonObject { ["clientSecret"] = secret };
        if (grace is not null)
        {
            body["gracePeriod"] = grace;
        }

        return Wire.Json(body.ToJsonString());
    }

    private static string RefreshPath(long serviceId, object clientIdentifier, string? grace) =>
        $"/api/{serviceId}/client/secret/refresh/{clientIdentifier}" + (grace is null ? "" : "?gracePeriod=" + Uri.EscapeDataString(grace));

    // ---- API tokens --------------------------------------------------------------------------------

    /// <summary>Creates an API token for <paramref name="serviceId"/> with exactly <paramref name="permissions"/>.</summary>
    public static async Task<TestToken> CreateApiTokenAsync(this HttpClient admin, long serviceId, params string[] permissions)
    {
        var body = new JsonObject
        {
            ["serviceId"] = serviceId,
            ["permissions"] = new JsonArray([.. permissions.Select(p => (JsonNode)p)]),
            ["description"] = "test token",
        };
        var reply = await admin.SendForReplyAsync(HttpMethod.Post, "/api/apitoken/create", Wire.Json(body.ToJsonString()));
        AssertOk(reply);
        return new TestToken(JsonWire.AssertId(reply.Json["tokenId"], "tokenId"), reply.Str("token"));
    }

    // ---- webhooks ----------------------------------------------------------------------------------

    /// <summary>Creates an enabled webhook of <paramref name="serviceId"/> for every event type, sending to <paramref name="url"/>; its ID.</summary>
    public static async Task<long> CreateWebhookAsync(this HttpClient admin, long serviceId, Uri url)
    {
        var reply = await admin.SendForReplyAsync(HttpMethod.Post, $"/api/{serviceId}/webhook/create", Wire.Json(new JsonObject { ["url"] = url.ToString() }.ToJsonString()));
        AssertOk(reply);
        return JsonWire.AssertId(reply.Json["webhookId"], "webhookId");
    }

    /// <summary>The webhook's whole delivery log, every page of it, newest first.</summary>
    public static async Task<IReadOnlyList<WebhookDeliveryInfo>> DeliveryLogAsync(this HttpClient caller, long serviceId, long webhookId)
    {
        const int PageSize = 1000;
        var log = new List<WebhookDeliveryInfo>();
        for (var start = 0; ; start += PageSize)
        {
            var reply = await caller.SendForReplyAsync(HttpMethod.Get, $"/api/{serviceId}/webhook/deliveries/{webhookId}?start={start}&end={start + PageSize}");
            AssertOk(reply);
            var page = reply.Json.Deserialize(RekeyJsonContext.Default.WebhookDeliveryListResponse)?.Deliveries ?? [];
            log.AddRange(page);
            if (page.Count < PageSize)
            {
                return log;
            }
        }
    }

    // ---- client authentication ---------------------------------------------------------------------

    /// <summary>A client-credentials token request at <c>/oauth2/{serviceId}/token</c>, the client authenticated with HTTP Basic.</summary>
    public static Task<(HttpStatusCode Status, JsonObject Body)> SendTokenRequestAsync(this HttpClient anyone, long serviceId, object clientIdentifier, string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/oauth2/{serviceId}/token") { Content = Wire.Form(("grant_type", "client_credentials")) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{clientIdentifier}:{secret}")));
        return SendAsync(anyone, request);

        static async Task<(HttpStatusCode, JsonObject)> SendAsync(HttpClient anyone, HttpRequestMessage request)
        {
            using (request)
            {
                using var response = await anyone.SendAsync(request);
                return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject ?? []);
            }
        }
    }

    private static void AssertOk(Reply reply) => Assert.True(reply.Status == HttpStatusCode.OK, "Expected 200: " + reply);
}
