using System.Net;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Tests.Golden;

namespace Rekey.Tests.Api;

/// <summary>
/// The wire rules strict Authlete clients depend on (docs: shared/reference/COMPATIBILITY.md): integers as integers,
/// no nulls, old SDKs' bodies accepted, unknown properties kept exactly, 204 without a body, and the golden shapes.
/// (Every response read by this suite is also checked for JSON media type, duplicate names and nulls by <see cref="Reply"/>.)
/// </summary>
public abstract partial class ApiSuite
{
    /// <summary>What the Java and C# SDKs of Authlete send for a client they did not fill in: everything, mostly null or 0.</summary>
    private const string OldSdkClientBody = """
        {"number":0,"serviceNumber":0,"clientId":0,"clientSecret":null,"clientName":"old sdk","clientNames":null,"description":null,
         "descriptions":null,"clientIdAlias":null,"clientIdAliasEnabled":false,"clientType":0,"applicationType":null,"logoUri":null,
         "logoUris":null,"contacts":null,"tlsClientCertificateBoundAccessTokens":false,"dynamicallyRegistered":false,
         "softwareId":null,"softwareVersion":null,"registrationAccessTokenHash":null,"createdAt":0,"modifiedAt":0,
         "grantTypes":null,"responseTypes":null,"redirectUris":null,"authorizationSignAlg":null,"authorizationEncryptionAlg":0,
         "tokenAuthMethod":null,"tokenAuthSignAlg":0,"selfSignedCertificateKeyId":null,"subjectType":0,"derivedSectorIdentifier":null,
         "developer":null,"locked":false,"extension":null,"attributes":null,"clientSource":null,"fapiModes":null,"responseModes":null,
         "defaultMaxAge":0,"requestUris":null,"bcUserCodeRequired":false}
        """;

    // ---- integers, IDs, timestamps -----------------------------------------------------------------

    [Fact]
    public async Task every_id_is_a_json_integer_of_at_least_12_digits_below_2_to_the_53_and_times_are_epoch_ms()
    {
        var client = await Admin.CreateClientAsync();
        var (tokenId, _) = await Admin.CreateApiTokenAsync(client.ServiceId, Permissions.ClientRead);
        var service = await GetAsync($"/api/{client.ServiceId}/service/get");
        var get = await GetAsync(client.GetPath());
        var list = await GetAsync($"/api/{client.ServiceId}/client/get/list");
        var tokens = await GetAsync("/api/apitoken/get/list?start=0&end=1000");

        Assert.Equal(client.ServiceId, JsonWire.AssertId(service.Json["apiKey"], "apiKey"));
        foreach (var doc in new[] { client.Created.Json, get.Json, list.Objects("clients")[0] })
        {
            Assert.Equal(client.ClientId, JsonWire.AssertId(doc["clientId"], "clientId"));
            JsonWire.Integer(doc["number"], "number");
            JsonWire.Integer(doc["serviceNumber"], "serviceNumber");
            JsonWire.AssertRecentEpochMs(doc["createdAt"], "createdAt");
            JsonWire.AssertRecentEpochMs(doc["modifiedAt"], "modifiedAt");
        }

        JsonWire.Integer(service.Json["number"], "number");
        JsonWire.AssertRecentEpochMs(service.Json["createdAt"], "createdAt");
        foreach (var paging in new[] { list, tokens })
        {
            JsonWire.Integer(paging.Json["start"], "start");
            JsonWire.Integer(paging.Json["end"], "end");
            JsonWire.Integer(paging.Json["totalCount"], "totalCount");
        }

        var token = Assert.Single(tokens.Objects("apiTokens"), t => JsonWire.AssertId(t["tokenId"], "tokenId") == tokenId);
        Assert.Equal(client.ServiceId, JsonWire.AssertId(token["serviceId"], "serviceId"));
    }

    // ---- nulls -------------------------------------------------------------------------------------

    [Fact]
    public async Task nulls_sent_at_any_depth_are_dropped_and_never_sent_back()
    {
        var client = await Admin.CreateClientAsync(json: """
            {"clientName":"nulls","developer":null,"extension":{"a":null,"b":[1,null,2],"c":{"d":null,"e":[null]},"f":"kept"},"g":null}
            """);

        foreach (var reply in new[] { client.Created, await GetAsync(client.GetPath()), await GetAsync($"/api/{client.ServiceId}/client/get/list") })
        {
            Assert.Null(JsonWire.FindNull(reply.Json, "$"));
        }

        Assert.False(client.Created.Has("developer"));
        Assert.False(client.Created.Has("g"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"b":[1,2],"c":{"e":[]},"f":"kept"}"""), client.Created.Json["extension"]), client.Created.Text);
    }

    // ---- older SDKs --------------------------------------------------------------------------------

    [Fact]
    public async Task an_old_sdk_client_body_with_nulls_zero_enums_and_read_only_fields_is_accepted()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var reply = await PostJsonAsync($"/api/{serviceId}/client/create", OldSdkClientBody);

        AssertOk(reply);
        JsonWire.AssertId(reply.Json["clientId"], "clientId");
        JsonWire.AssertGeneratedSecret(reply.Str("clientSecret"));
        JsonWire.AssertRecentEpochMs(reply.Json["createdAt"], "createdAt");
        Assert.True(reply.Int("number") > 0);
        Assert.Equal("old sdk", reply.Str("clientName"));
        Assert.Equal("CONFIDENTIAL", reply.Str("clientType"));
        Assert.Equal("CLIENT_SECRET_BASIC", reply.Str("tokenAuthMethod"));
        Assert.False(reply.Bool("locked"));
        foreach (var absent in new[] { "applicationType", "authorizationEncryptionAlg", "tokenAuthSignAlg", "subjectType", "grantTypes", "extension", "dynamicallyRegistered" })
        {
            Assert.False(reply.Has(absent), $"'{absent}' should be absent: {reply.Text}");
        }
    }

    [Fact]
    public async Task an_old_sdk_read_modify_write_of_a_client_changes_only_what_it_meant_to()
    {
        // Older SDKs GET the client, change one property and POST the whole document back, secret and IDs included.
        var client = await Admin.CreateClientAsync(json: """{"clientName":"rmw","clientIdAlias":"rmw","redirectUris":["https://rmw.example/cb"],"x-custom":{"n":1.50}}""");
        var document = (await GetAsync(client.GetPath())).Json;
        document["clientName"] = "rmw renamed";
        document["clientSecret"] = "not-taken-from-a-document";

        var reply = await PostJsonAsync(client.UpdatePath(), document.ToJsonString());

        AssertOk(reply);
        var expected = (JsonObject)client.Created.Json.DeepClone();
        expected["clientName"] = "rmw renamed";
        expected["modifiedAt"] = reply.Json["modifiedAt"]?.DeepClone();
        Assert.True(JsonNode.DeepEquals(expected, reply.Json), $"{expected.ToJsonString()}\n{reply.Text}");
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task an_old_sdk_service_body_with_nulls_zeros_and_read_only_fields_is_accepted()
    {
        var reply = await PostJsonAsync("/api/service/create", """
            {"number":0,"serviceOwnerNumber":0,"serviceName":"old sdk service","issuer":null,"description":null,"apiKey":0,"apiSecret":null,
             "supportedGrantTypes":null,"supportedTokenAuthMethods":[],"accessTokenSignAlg":0,"userCodeCharset":null,"createdAt":0,
             "modifiedAt":0,"accessTokenDuration":0,"pkceRequired":false,"supportedScopes":null}
            """);

        AssertOk(reply);
        JsonWire.AssertId(reply.Json["apiKey"], "apiKey");
        AssertProperties(reply, "number", "apiKey", "serviceName", "createdAt", "modifiedAt", "supportedTokenAuthMethods", "accessTokenDuration", "pkceRequired");
    }

    [Theory]
    [InlineData("""{"clientType":0}""")]
    [InlineData("""{"clientType":null}""")]
    [InlineData("""{"clientType":0.0}""")]
    public async Task an_enum_sent_as_zero_or_null_reads_as_absent_and_gets_the_default(string json)
    {
        var client = await Admin.CreateClientAsync(json: json);

        Assert.Equal("CONFIDENTIAL", client.Created.Str("clientType"));
        Assert.Equal("CLIENT_SECRET_BASIC", client.Created.Str("tokenAuthMethod"));
    }

    // ---- unknown properties ------------------------------------------------------------------------

    private const string UnknownProperties = """
        {"softwareStatement":"eyJhbGciOiJub25lIn0.e30.","decimal":1.50,"exponent":1e3,"huge":12345678901234567890,"negative":-0.25,
         "zero":0,"flag":false,"text":"caf\u00e9 \u20ac \ud83d\ude00 \"quoted\" \\ back\nslash","empty":"","emptyObject":{},"emptyArray":[],
         "nested":{"list":[1,"two",true,{"deeper":[[]]}],"obj":{"k":"v"}},"attributes":[{"key":"tier","value":"gold"}]}
        """;

    [Fact]
    public async Task unknown_client_properties_round_trip_exactly_through_create_get_list_and_update()
    {
        var sent = JsonWire.Object(UnknownProperties);
        var body = (JsonObject)sent.DeepClone();
        body["clientName"] = "unknowns";
        var client = await Admin.CreateClientAsync(json: body.ToJsonString());
        var updated = await PostJsonAsync(client.UpdatePath(), (await GetAsync(client.GetPath())).Text);
        var listed = (await GetAsync($"/api/{client.ServiceId}/client/get/list")).Objects("clients")[0];

        foreach (var document in new[] { client.Created.Json, (await GetAsync(client.GetPath())).Json, listed, updated.Json })
        {
            foreach (var (name, value) in sent)
            {
                Assert.True(document.ContainsKey(name), $"'{name}' was lost: {document.ToJsonString()}");
                Assert.True(JsonNode.DeepEquals(value, document[name]), $"'{name}': sent {value?.ToJsonString()}, got {document[name]?.ToJsonString()}");
            }

            foreach (var number in new[] { "decimal", "exponent", "huge", "negative", "zero" })
            {
                Assert.Equal(sent[number]?.ToJsonString(), document[number]?.ToJsonString());
            }
        }
    }

    [Fact]
    public async Task unknown_service_properties_round_trip_exactly_through_create_get_and_update()
    {
        var sent = JsonWire.Object(UnknownProperties);
        var body = (JsonObject)sent.DeepClone();
        body["serviceName"] = "unknowns";
        var created = await PostJsonAsync("/api/service/create", body.ToJsonString());
        var serviceId = created.Int("apiKey");
        var updated = await PostJsonAsync($"/api/{serviceId}/service/update", (await GetAsync($"/api/{serviceId}/service/get")).Text);

        foreach (var document in new[] { created.Json, (await GetAsync($"/api/{serviceId}/service/get")).Json, updated.Json })
        {
            foreach (var (name, value) in sent)
            {
                Assert.True(JsonNode.DeepEquals(value, document[name]), $"'{name}': sent {value?.ToJsonString()}, got {document[name]?.ToJsonString()}");
            }

            Assert.Equal("12345678901234567890", document["huge"]?.ToJsonString());
            Assert.Equal("1.50", document["decimal"]?.ToJsonString());
        }
    }

    // ---- 204 ---------------------------------------------------------------------------------------

    [Fact]
    public async Task every_delete_answers_204_with_no_body_and_no_content_type()
    {
        var client = await Admin.CreateClientAsync();
        var (tokenId, _) = await Admin.CreateApiTokenAsync(client.ServiceId, Permissions.ClientRead);

        AssertNoContent(await DeleteAsync(client.DeletePath()));
        AssertNoContent(await DeleteAsync($"/api/apitoken/delete/{tokenId}"));
        AssertNoContent(await DeleteAsync($"/api/{client.ServiceId}/service/delete"));
    }

    // ---- no 500 for anything a caller can send -----------------------------------------------------

    public static TheoryData<string, string> HostileBodies => new()
    {
        { "/api/{s}/client/create", """{"clientType":1e400}""" },
        { "/api/{s}/client/create", """{"clientType":-1e400}""" },
        { "/api/{s}/client/create", """{"grantTypes":[1e400]}""" },
        { "/api/{s}/client/create", """{"clientName":"\udfff"}""" },
        { "/api/{s}/client/create", """{"\ud800":"x"}""" },
        { "/api/{s}/client/create", """{"extension":{"a":""" + new string('[', 40) + new string(']', 40) + "}}" },
        { "/api/{s}/client/create", """{"redirectUris":["https://a.example/cb",{}]}""" },
        { "/api/{s}/client/update/{c}", """{"tokenAuthMethod":1e400}""" },
        { "/api/{s}/client/lock_flag/update/{c}", """{"clientLocked":1e400}""" },
        { "/api/{s}/client/secret/update/{c}", """{"clientSecret":1e400}""" },
        { "/api/{s}/service/update", """{"accessTokenSignAlg":1e400}""" },
        { "/api/service/create", """{"supportedGrantTypes":[1e400]}""" },
        { "/api/apitoken/create", """{"serviceId":1e400,"permissions":["client.read"]}""" },
        { "/api/apitoken/create", """{"serviceId":{s},"permissions":["\ud800"]}""" },
    };

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public async Task a_hostile_body_gets_a_4xx_with_a_result_code_never_a_500(string path, string json)
    {
        var client = await Admin.CreateClientAsync();
        string Fill(string s) => s.Replace("{s}", client.ServiceId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{c}", client.Id, StringComparison.Ordinal);

        var reply = await PostJsonAsync(Fill(path), Fill(json));

        Assert.True((int)reply.Status is >= 400 and < 500, reply.ToString());
        Assert.Matches("^A[0-9]{3}[23][0-9]{2}$", reply.Str("resultCode"));
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
    }

    [Theory]
    [InlineData("GET", "/api/{s}/client/get/")]
    [InlineData("GET", "/api/{s}/client/unknown")]
    [InlineData("GET", "/api/{s}/client/secret/update/{c}")]
    [InlineData("POST", "/api/{s}/client/secret/refresh/{c}")]
    [InlineData("PUT", "/api/{s}/client/update/{c}")]
    public async Task an_unknown_api_route_or_method_answers_json_with_a_result_code(string method, string path)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await Admin.SendForReplyAsync(new HttpMethod(method), path.Replace("{s}", client.ServiceId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{c}", client.Id, StringComparison.Ordinal));

        Assert.True(reply.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, reply.ToString());
        Assert.Matches("^A000[0-9]{3}$", reply.Str("resultCode"));
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
    }

    // ---- golden shapes -----------------------------------------------------------------------------

    private static Dictionary<string, string> Bind(params (string Name, string Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);

    [Fact]
    public async Task golden_secret_update_response()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"golden-New_Secret-1"}""");

        GoldenJson.AssertMatches("secret-update.json", reply.Json, Bind(("client", client.Id), ("created", client.Secret)));
    }

    [Fact]
    public async Task golden_secret_refresh_response()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await GetAsync(client.SecretRefreshPath());

        GoldenJson.AssertMatches("secret-refresh.json", reply.Json, Bind(("client", client.Id), ("created", client.Secret)));
    }

    [Fact]
    public async Task golden_client_create_response()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var reply = await PostJsonAsync($"/api/{serviceId}/client/create", """
            {"clientName":"golden client","clientIdAlias":"golden-alias","clientIdAliasEnabled":true,"applicationType":"WEB",
             "developer":"golden-developer","grantTypes":["AUTHORIZATION_CODE","REFRESH_TOKEN"],"responseTypes":["CODE"],
             "redirectUris":["https://client.example/cb"],"softwareId":"golden-software",
             "extension":{"accessTokenDuration":3600,"tokenExchangePermitted":false}}
            """);

        AssertOk(reply);
        GoldenJson.AssertMatches("client-create.json", reply.Json);
    }

    [Fact]
    public async Task golden_error_response_for_a_secret_of_87_characters()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.SecretUpdatePath(), $$"""{"clientSecret":"{{new string('g', 87)}}"}""");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        GoldenJson.AssertMatches("error-secret-too-long.json", reply.Json);
    }

    [Fact]
    public async Task golden_lock_flag_response()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.LockPath(), """{"clientLocked":true}""");

        AssertOk(reply);
        GoldenJson.AssertMatches("lock-flag.json", reply.Json, Bind(("client", client.Id)));
    }
}
