using Xunit;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rekey.Contracts;

namespace Rekey.Testing;

/// <summary>Small helpers over raw HTTP, so that tests read like the wire: JSON in, status and JSON out.</summary>
public static class Api
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));

    public static async Task<(HttpStatusCode Status, JsonObject Body)> SendForJsonAsync(this HttpClient client, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? new JsonObject() : JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException("Not a JSON object: " + text);
        return (response.StatusCode, body);
    }

    public static Task<(HttpStatusCode Status, JsonObject Body)> PostForJsonAsync(this HttpClient client, string path, HttpContent? content) =>
        client.SendForJsonAsync(HttpMethod.Post, path, content);

    public static Task<(HttpStatusCode Status, JsonObject Body)> GetForJsonAsync(this HttpClient client, string path) =>
        client.SendForJsonAsync(HttpMethod.Get, path);

    /// <summary>Creates a service and returns its ID (apiKey).</summary>
    public static async Task<long> CreateServiceAsync(this HttpClient admin, string json = """{"serviceName":"test service"}""")
    {
        var (status, body) = await admin.PostForJsonAsync("/api/service/create", Json(json));
        Assert.Equal(HttpStatusCode.OK, status);
        return body["apiKey"]!.GetValue<long>();
    }

    /// <summary>Creates a client and returns its document (as the admin sees it, with the secret).</summary>
    public static async Task<ClientDocument> CreateClientAsync(this HttpClient admin, long serviceId, string json = """{"clientName":"test client"}""")
    {
        var (status, body) = await admin.PostForJsonAsync($"/api/{serviceId}/client/create", Json(json));
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return body.Deserialize(RekeyJsonContext.Default.ClientDocument)!;
    }

    /// <summary>The client's current secret, read through the API with the admin token.</summary>
    public static async Task<string?> CurrentSecretAsync(this HttpClient admin, long serviceId, long clientId)
    {
        var client = await admin.GetFromJsonAsync($"/api/{serviceId}/client/get/{clientId}", RekeyJsonContext.Default.ClientDocument);
        return client?.ClientSecret;
    }
}
