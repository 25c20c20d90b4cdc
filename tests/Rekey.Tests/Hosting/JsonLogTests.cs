using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rekey.Tests.Hosting;

/// <summary>
/// docs/observability.md's JSON console format, as a log collector reads it from the real server process: every line
/// one JSON object with a UTC timestamp, and a line logged inside an /api request carries the request ID and the
/// service ID in its scopes — never the secret that was tried.
/// </summary>
public sealed class JsonLogTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-jsonlog-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task with_the_documented_settings_every_line_is_json_and_an_api_line_carries_its_request_and_service_in_scopes()
    {
        var environment = new Dictionary<string, string>
        {
            ["Rekey__AdminToken"] = RekeyHost.AdminToken,
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__Console__FormatterOptions__IncludeScopes"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        };
        var (server, baseAddress) = await ProgramProcess.StartServerAsync(_work.FullName, environment);
        using (server)
        {
            using var admin = RekeyHost.AdminClientFor(baseAddress);
            var serviceId = await admin.CreateServiceAsync();
            var client = await admin.CreateClientAsync(serviceId);

            // Authlete's /auth/token with a wrong secret: a refusal logged (event 50) inside an /api request.
            const string Wrong = "definitely-not-the-secret-4711";
            var (status, _) = await admin.PostForJsonAsync($"/api/{serviceId}/auth/token", Wire.Json(new JsonObject
            {
                ["parameters"] = "grant_type=client_credentials",
                ["clientId"] = client.Id,
                ["clientSecret"] = Wrong,
            }.ToJsonString()));
            Assert.Equal(HttpStatusCode.OK, status); // Authlete's envelope: the refusal is inside it

            await Waits.UntilAsync(() => Lines(server).Any(IsRefusal), "the refusal's log line (event 50)");
            var refusal = Lines(server).First(IsRefusal);
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", refusal["Timestamp"]!.GetValue<string>());
            var scopes = refusal["Scopes"]!.AsArray().OfType<JsonObject>().ToList();
            Assert.Contains(scopes, s => s["RequestId"] is not null);
            Assert.Contains(scopes, s => s["ServiceId"]?.ToString() == serviceId.ToString(System.Globalization.CultureInfo.InvariantCulture));

            Assert.All(server.Stdout.Where(l => l.Length > 0), l => Assert.True(IsJsonObject(l), "not one JSON object: " + l));
            Assert.DoesNotContain(Wrong, server.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(client.Secret, server.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(RekeyHost.AdminToken, server.Output, StringComparison.Ordinal);
        }
    }

    private static bool IsRefusal(JsonObject line) => line["EventId"]?.GetValue<int>() == 50;

    private static IEnumerable<JsonObject> Lines(ProgramProcess server) =>
        server.Stdout.Where(IsJsonObject).Select(l => JsonNode.Parse(l)!.AsObject());

    private static bool IsJsonObject(string line)
    {
        try
        {
            return JsonNode.Parse(line) is JsonObject;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
