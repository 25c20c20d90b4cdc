using System.Net;
using System.Text.Json.Nodes;
using Rekey.Contracts;

namespace Rekey.Tests.Security;

/// <summary>
/// Text that a person later reads in a listing, a terminal or the audit trail: client and service names and
/// descriptions with a control character (ESC, CR, LF, TAB, DEL, C1) are refused with a result code and nothing is
/// stored; identifiers of refused requests are audited escaped.
/// </summary>
public sealed class ControlCharacterTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    private HttpClient Admin { get; } = fixture.Host.CreateAdminClient();

    /// <summary>A client document (JSON escapes: \u001b is ESC) and the property the refusal names.</summary>
    public static TheoryData<string, string> ClientTexts => new()
    {
        { """{"clientName":"red \u001b[31mALERT\u001b[0m"}""", "clientName" },
        { """{"clientName":"two\r\nlines"}""", "clientName" },
        { """{"clientName":"ok","developer":"dev\n warn: forged"}""", "developer" },
        { """{"description":"tab\there"}""", "description" },
        { """{"clientNames":[{"tag":"ja","value":"c1 \u009b2J"}]}""", "clientNames[0].value" },
        { """{"descriptions":[{"tag":"en","value":"fine"},{"tag":"fr","value":"del\u007f"}]}""", "descriptions[1].value" },
    };

    /// <summary>A service document and the property the refusal names.</summary>
    public static TheoryData<string, string> ServiceTexts => new()
    {
        { """{"serviceName":"title \u001b]0;owned\u0007"}""", "serviceName" },
        { """{"serviceName":"ok","description":"line\nbreak"}""", "description" },
        { """{"serviceName":"next line \u0085"}""", "serviceName" },
    };

    [Theory]
    [MemberData(nameof(ClientTexts))]
    public async Task client_create_with_a_control_character_is_refused_and_nothing_is_stored(string document, string property)
    {
        var sid = await Admin.CreateServiceAsync();

        var (status, body) = await Admin.PostForJsonAsync($"/api/{sid}/client/create", Wire.Json(document));

        AssertRefused(status, body, ResultCodes.ClientTextControlCharacter, property);
        var (_, list) = await Admin.GetForJsonAsync($"/api/{sid}/client/get/list");
        Assert.Equal(0, list["totalCount"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(ClientTexts))]
    public async Task client_update_with_a_control_character_is_refused_and_the_client_unchanged(string document, string property)
    {
        var sid = await Admin.CreateServiceAsync();
        var created = await Admin.CreateClientAsync(sid, """{"clientName":"before","developer":"dev","description":"kept"}""");
        var (_, before) = await Admin.GetForJsonAsync($"/api/{sid}/client/get/{created.ClientId}");

        var (status, body) = await Admin.PostForJsonAsync($"/api/{sid}/client/update/{created.ClientId}", Wire.Json(document));

        AssertRefused(status, body, ResultCodes.ClientTextControlCharacter, property);
        var (_, after) = await Admin.GetForJsonAsync($"/api/{sid}/client/get/{created.ClientId}");
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(ServiceTexts))]
    public async Task service_create_with_a_control_character_is_refused_and_nothing_is_stored(string document, string property)
    {
        var (_, listed) = await Admin.GetForJsonAsync("/api/service/get/list");

        var (status, body) = await Admin.PostForJsonAsync("/api/service/create", Wire.Json(document));

        AssertRefused(status, body, ResultCodes.ServiceTextControlCharacter, property);
        var (_, after) = await Admin.GetForJsonAsync("/api/service/get/list");
        Assert.Equal(listed["totalCount"]!.GetValue<int>(), after["totalCount"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(ServiceTexts))]
    public async Task service_update_with_a_control_character_is_refused_and_the_service_unchanged(string document, string property)
    {
        var sid = await Admin.CreateServiceAsync("""{"serviceName":"before","description":"kept"}""");
        var (_, before) = await Admin.GetForJsonAsync($"/api/{sid}/service/get");

        var (status, body) = await Admin.PostForJsonAsync($"/api/{sid}/service/update", Wire.Json(document));

        AssertRefused(status, body, ResultCodes.ServiceTextControlCharacter, property);
        var (_, after) = await Admin.GetForJsonAsync($"/api/{sid}/service/get");
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Fact]
    public async Task names_in_any_script_with_emoji_and_punctuation_are_kept_as_sent()
    {
        const string name = "Café 東京 ☕🚀 \"quoted\" \\ back-slash — ok";
        var sid = await Admin.CreateServiceAsync(new JsonObject { ["serviceName"] = name, ["description"] = name }.ToJsonString());
        var client = await Admin.CreateClientAsync(sid, new JsonObject
        {
            ["clientName"] = name,
            ["developer"] = "東京",
            ["clientNames"] = new JsonArray(new JsonObject { ["tag"] = "ja", ["value"] = name }),
        }.ToJsonString());

        Assert.Equal(name, client.Document.ClientName);
        var (_, service) = await Admin.GetForJsonAsync($"/api/{sid}/service/get");
        Assert.Equal(name, service["serviceName"]!.GetValue<string>());
        Assert.Equal(name, service["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_identifier_of_a_refused_request_is_audited_escaped_and_cut()
    {
        var sid = await Admin.CreateServiceAsync();
        var named = Uri.EscapeDataString("\u001b[31mred\nline\\u0041");
        var longName = new string('z', 500);

        var (status, _) = await Admin.PostForJsonAsync($"/api/{sid}/client/update/{named}", Wire.Json("""{"clientName":"x"}"""));
        Assert.Equal(HttpStatusCode.NotFound, status);
        (status, _) = await Admin.PostForJsonAsync($"/api/{sid}/client/update/{longName}", Wire.Json("""{"clientName":"x"}"""));
        Assert.Equal(HttpStatusCode.NotFound, status);

        var (_, trail) = await Admin.GetForJsonAsync($"/api/{sid}/audit/get/list");
        var targets = trail["events"]!.AsArray()
            .Where(e => e!["outcome"]?.GetValue<string>() == ResultCodes.ClientNotFound.Code)
            .Select(e => e!["target"]?.GetValue<string>())
            .ToList();
        Assert.Equal([new string('z', 200) + "…(500 chars)", @"\u001B[31mred\nline\\u0041"], targets);
    }

    private static void AssertRefused(HttpStatusCode status, JsonObject body, ResultCode code, string property)
    {
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code.Code, body["resultCode"]?.GetValue<string>());
        Assert.Equal(code.Format(property), body["resultMessage"]?.GetValue<string>());
    }
}
