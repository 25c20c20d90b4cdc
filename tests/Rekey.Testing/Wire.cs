using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Rekey.Testing;

/// <summary>
/// The raw wire, for tests that read like it: JSON and form bodies in; status and JSON out (<see cref="SendForJsonAsync"/>)
/// or the whole answer read under the wire rules every Rekey answer obeys (<see cref="SendForReplyAsync"/>). What a
/// test does through the API (create a service, update a secret, …) is in <see cref="TestApi"/>.
/// </summary>
public static class Wire
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

    /// <summary>Sends a request and reads the answer completely, failing where it breaks a wire rule (see <see cref="Reply"/>).</summary>
    public static async Task<Reply> SendForReplyAsync(this HttpClient caller, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await caller.SendAsync(request);
        return await Reply.ReadAsync(response);
    }

    public static Task<Reply> GetForReplyAsync(this HttpClient caller, string path) => caller.SendForReplyAsync(HttpMethod.Get, path);

    /// <summary>A POST of <paramref name="json"/> (no body at all when empty).</summary>
    public static Task<Reply> PostJsonForReplyAsync(this HttpClient caller, string path, string json) =>
        caller.SendForReplyAsync(HttpMethod.Post, path, json.Length == 0 ? null : Json(json));
}
