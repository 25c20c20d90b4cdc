using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Rekey.Tests.Hosting;

/// <summary>
/// Answers read as the docs show them: quotes in messages are plain <c>'</c>, not <c>\u0027</c>; JSON still escapes what
/// it must (<c>"</c>, <c>\</c>, control characters), and every answer says <c>nosniff</c>, which is what makes the
/// relaxed encoder safe.
/// </summary>
public sealed class ReadableJsonTests
{
    [Fact]
    public async Task a_refused_secret_update_names_the_property_in_plain_quotes()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store);
        using var admin = host.CreateAdminClient();
        var client = await admin.CreateClientAsync();

        using var response = await admin.PostAsync(new Uri($"/api/{client.ServiceId}/client/secret/update/{client.ClientId}", UriKind.Relative),
            Wire.Json("""{"clientSecret":"no spaces"}"""));
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("""{"resultCode":"A149205","resultMessage":"[A149205] 'clientSecret' has an illegal character at position 3""", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", raw, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task an_oauth_error_names_the_scope_in_plain_quotes()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store);
        using var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync("""{"serviceName":"scoped","supportedScopes":[{"name":"read"}]}""");
        var client = await admin.CreateClientAsync(serviceId, """{"clientName":"job","grantTypes":["CLIENT_CREDENTIALS"]}""");
        using var anonymous = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/oauth2/{serviceId}/token")
        {
            Content = Wire.Form(("grant_type", "client_credentials"), ("scope", "admin")),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{client.ClientId}:{client.Secret}")));

        using var response = await anonymous.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":"invalid_scope","error_description":"The scope 'admin' is not supported."}""", raw);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task quotes_backslashes_control_characters_and_line_separators_inside_strings_are_still_escaped_and_the_body_is_valid_json()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store);
        using var admin = host.CreateAdminClient();
        // Unknown properties of a service document are kept and returned (COMPATIBILITY.md rule 8): a place where any string comes back.
        const string value = "say \"hi\" \\ tab\there, bell\u0007, csi\u009b, line\u2028, </script> & 'é'";
        var sent = JsonSerializer.Serialize(new Dictionary<string, string> { ["serviceName"] = "escapes", ["customNote"] = value });
        var serviceId = await admin.CreateServiceAsync(sent);

        using var response = await admin.GetAsync(new Uri($"/api/{serviceId}/service/get", UriKind.Relative));
        var raw = await response.Content.ReadAsStringAsync();

        Assert.Contains("""
            "customNote":"say \"hi\" \\ tab\there, bell\u0007, csi\u009B, line\u2028, </script> & 'é'"
            """, raw, StringComparison.Ordinal);
        using var parsed = JsonDocument.Parse(raw);
        Assert.Equal(value, parsed.RootElement.GetProperty("customNote").GetString());
    }

    [Fact]
    public void the_server_writes_json_only_through_wire_json()
    {
        var source = Repository.File("src/Rekey.Server");
        var offenders = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.EndsWith("WireJson.cs", StringComparison.Ordinal)
                        && File.ReadAllText(f).Contains("RekeyJsonContext.Default", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(source, f))
            .ToList();

        Assert.True(offenders.Count == 0,
            "RekeyJsonContext.Default escapes ' and < as \\u0027 and \\u003C; the server uses WireJson.Context instead: " + string.Join(", ", offenders));
    }
}
