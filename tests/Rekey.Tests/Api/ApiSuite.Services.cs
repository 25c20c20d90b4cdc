using System.Net;
using System.Text.Json.Nodes;
using Rekey.Contracts;

namespace Rekey.Tests.Api;

/// <summary>Service management: create, get, list, update, delete (with its cascade), and what a service document may hold.</summary>
public abstract partial class ApiSuite
{
    private async Task<long> ServiceCountAsync() => (await GetAsync("/api/service/get/list?start=0&end=0")).Int("totalCount");

    /// <summary>Refused with <paramref name="code"/>, and no service appeared (tests of one class run one at a time).</summary>
    private async Task AssertServiceCreateRefusedAsync(string json, HttpStatusCode status, ResultCode code, params object?[] args)
    {
        var before = await ServiceCountAsync();

        var reply = await PostJsonAsync("/api/service/create", json);

        AssertResult(reply, status, code, args);
        Assert.Equal(before, await ServiceCountAsync());
    }

    // ---- create and get ----------------------------------------------------------------------------

    [Fact]
    public async Task service_create_answers_200_with_an_integer_api_key_and_timestamps()
    {
        var reply = await PostJsonAsync("/api/service/create", """{"serviceName":"created service","issuer":"https://issuer.example"}""");

        AssertOk(reply);
        AssertProperties(reply, "number", "apiKey", "serviceName", "issuer", "createdAt", "modifiedAt");
        JsonWire.AssertId(reply.Json["apiKey"], "apiKey");
        Assert.True(reply.Int("number") >= 1);
        Assert.Equal("created service", reply.Str("serviceName"));
        Assert.Equal("https://issuer.example", reply.Str("issuer"));
        Assert.Equal(JsonWire.AssertRecentEpochMs(reply.Json["createdAt"], "createdAt"), JsonWire.AssertRecentEpochMs(reply.Json["modifiedAt"], "modifiedAt"));
    }

    [Fact]
    public async Task service_create_with_a_form_body_is_accepted()
    {
        var reply = await PostFormAsync("/api/service/create", "serviceName=Form+Service&issuer=https%3A%2F%2Fform.example");

        AssertOk(reply);
        Assert.Equal("Form Service", reply.Str("serviceName"));
        Assert.Equal("https://form.example", reply.Str("issuer"));
    }

    [Fact]
    public async Task service_create_ignores_read_only_properties_sent_by_older_sdks()
    {
        var reply = await PostJsonAsync("/api/service/create",
            """{"serviceName":"old sdk","apiKey":123456789012,"apiSecret":"leaked?","number":9,"serviceOwnerNumber":3,"createdAt":1,"modifiedAt":2}""");

        AssertOk(reply);
        AssertProperties(reply, "number", "apiKey", "serviceName", "createdAt", "modifiedAt");
        Assert.NotEqual(123456789012, reply.Int("apiKey"));
        JsonWire.AssertRecentEpochMs(reply.Json["createdAt"], "createdAt");
    }

    [Fact]
    public async Task services_get_distinct_ids()
    {
        var ids = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await Admin.CreateServiceAsync());
        }

        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task service_get_returns_what_create_returned()
    {
        var created = await PostJsonAsync("/api/service/create", """{"serviceName":"read back","custom":{"a":[1,2]}}""");
        var serviceId = created.Int("apiKey");

        var reply = await GetAsync($"/api/{serviceId}/service/get");

        AssertOk(reply);
        Assert.True(JsonNode.DeepEquals(created.Json, reply.Json), $"{created.Text}\n{reply.Text}");
    }

    [Theory]
    [InlineData("999999999999")]
    [InlineData("not-a-number")]
    public async Task service_get_of_an_unknown_service_is_404(string serviceId) =>
        AssertResult(await GetAsync($"/api/{serviceId}/service/get"), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, serviceId);

    // ---- update ------------------------------------------------------------------------------------

    [Fact]
    public async Task service_update_replaces_the_whole_document_and_keeps_api_key_and_creation_time()
    {
        var created = await PostJsonAsync("/api/service/create", """{"serviceName":"before","issuer":"https://before.example","custom":1}""");
        var serviceId = created.Int("apiKey");

        var reply = await PostJsonAsync($"/api/{serviceId}/service/update", """{"serviceName":"after","apiKey":123456789012,"createdAt":5}""");

        AssertOk(reply);
        AssertProperties(reply, "number", "apiKey", "serviceName", "createdAt", "modifiedAt");
        Assert.Equal(serviceId, reply.Int("apiKey"));
        Assert.Equal("after", reply.Str("serviceName"));
        Assert.Equal(created.Int("number"), reply.Int("number"));
        Assert.Equal(created.Int("createdAt"), reply.Int("createdAt"));
        Assert.True(reply.Int("modifiedAt") >= created.Int("modifiedAt"));
        Assert.True(JsonNode.DeepEquals(reply.Json, (await GetAsync($"/api/{serviceId}/service/get")).Json));
    }

    [Fact]
    public async Task authletes_sdk_read_modify_write_of_a_service_keeps_rekeys_grace_period_and_secret_lifetime()
    {
        var serviceId = await Admin.CreateServiceAsync("""
            {"serviceName":"My service","clientSecretGracePeriod":3600,"clientSecretLifetime":7776000,"accessTokenDuration":600,
             "supportedScopes":[{"name":"read","defaultEntry":true}]}
            """);
        var client = await Admin.CreateClientAsync(serviceId);

        // Byte for byte what @authlete/typescript-sdk 0.0.3-beta sends for service.update({...(await service.get()), description}):
        // its model has no clientSecretGracePeriod or clientSecretLifetime, so they are dropped on the way.
        var body = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Golden", "request-service-update-authlete-typescript-sdk.json"));
        var reply = await PostJsonAsync($"/api/{serviceId}/service/update", body.Trim());

        AssertOk(reply);
        Assert.Equal("Billing clients", reply.Str("description"));
        Assert.Equal(3600, reply.Int("clientSecretGracePeriod"));
        Assert.Equal(7776000, reply.Int("clientSecretLifetime"));
        Assert.True(JsonNode.DeepEquals(reply.Json, (await GetAsync($"/api/{serviceId}/service/get")).Json));

        // The grace period still applies: a refresh leaves the replaced secret working for an hour.
        AssertOk(await GetAsync($"/api/{serviceId}/client/secret/refresh/{client.ClientId}"));
        var secrets = (await GetAsync($"/api/{serviceId}/client/secret/list/{client.ClientId}")).Json["secrets"]!.AsArray();
        Assert.Equal(["current", "previous"], secrets.Select(s => s!["status"]!.GetValue<string>()));

        // An explicit value changes them, 0 included.
        var zeroed = await PostJsonAsync($"/api/{serviceId}/service/update", """{"serviceName":"My service","clientSecretGracePeriod":0}""");
        AssertOk(zeroed);
        Assert.Equal(0, zeroed.Int("clientSecretGracePeriod"));
        Assert.Equal(7776000, zeroed.Int("clientSecretLifetime"));
        Assert.Null(zeroed.Json["description"]);
    }

    [Fact]
    public async Task service_update_with_a_form_body_collects_repeated_fields()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var reply = await PostFormAsync($"/api/{serviceId}/service/update", "serviceName=formed&custom=1&custom=2");

        AssertOk(reply);
        Assert.Equal("formed", reply.Str("serviceName"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["1","2"]"""), reply.Json["custom"]));
    }

    [Fact]
    public async Task service_update_that_breaks_a_rule_is_rejected_and_the_service_unchanged()
    {
        var serviceId = await Admin.CreateServiceAsync("""{"serviceName":"stable","issuer":"https://stable.example"}""");
        var before = await GetAsync($"/api/{serviceId}/service/get");

        AssertResult(await PostJsonAsync($"/api/{serviceId}/service/update", """{"serviceName":""}"""), HttpStatusCode.BadRequest, ResultCodes.InvalidServiceName, 200);
        AssertResult(await PostJsonAsync($"/api/{serviceId}/service/update", """{"issuer":"ftp://x.example"}"""), HttpStatusCode.BadRequest, ResultCodes.InvalidIssuer);
        AssertResult(await PostJsonAsync($"/api/{serviceId}/service/update", """{"supportedGrantTypes":["NOPE"]}"""), HttpStatusCode.BadRequest, ResultCodes.InvalidEnumValue, "supportedGrantTypes", "NOPE");
        AssertResultCode(await PostJsonAsync($"/api/{serviceId}/service/update", """{"serviceName":"x"""), HttpStatusCode.BadRequest, ResultCodes.MalformedJson);

        Assert.True(JsonNode.DeepEquals(before.Json, (await GetAsync($"/api/{serviceId}/service/get")).Json));
    }

    [Theory]
    [InlineData("999999999999")]
    [InlineData("not-a-number")]
    public async Task service_update_of_an_unknown_service_is_404(string serviceId) =>
        AssertResult(await PostJsonAsync($"/api/{serviceId}/service/update", """{"serviceName":"nobody"}"""), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, serviceId);

    // ---- list --------------------------------------------------------------------------------------

    [Fact]
    public async Task service_list_for_the_admin_pages_through_every_service_with_end_exclusive()
    {
        var mine = new[] { await Admin.CreateServiceAsync(), await Admin.CreateServiceAsync(), await Admin.CreateServiceAsync() };
        var total = await ServiceCountAsync();
        var seen = new List<long>();

        for (var start = 0; start < total; start += 2)
        {
            var page = await GetAsync($"/api/service/get/list?start={start}&end={start + 2}");
            AssertOk(page);
            AssertProperties(page, "start", "end", "totalCount", "services");
            Assert.Equal(start, page.Int("start"));
            Assert.Equal(start + 2, page.Int("end"));
            Assert.Equal(total, page.Int("totalCount"));
            var services = page.Objects("services");
            Assert.Equal(Math.Min(2, total - start), services.Count);
            seen.AddRange(services.Select(s => JsonWire.AssertId(s["apiKey"], "apiKey")));
        }

        Assert.Equal(total, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.All(mine, id => Assert.Contains(id, seen));
        Assert.Equal(mine, seen.TakeLast(3));
    }

    [Fact]
    public async Task service_list_for_a_service_token_shows_only_its_own_service()
    {
        var serviceId = await Admin.CreateServiceAsync();
        await Admin.CreateServiceAsync();
        var token = await TokenClientAsync(serviceId, Permissions.ServiceRead);

        var page = await GetAsync("/api/service/get/list", token);
        var beyond = await GetAsync("/api/service/get/list?start=1&end=5", token);

        AssertOk(page);
        Assert.Equal(1, page.Int("totalCount"));
        Assert.Equal(new[] { serviceId }, page.Objects("services").Select(s => JsonWire.AssertId(s["apiKey"], "apiKey")).ToArray());
        Assert.Equal(1, beyond.Int("totalCount"));
        Assert.Empty(beyond.Objects("services"));
    }

    [Fact]
    public async Task service_list_with_a_start_beyond_the_default_end_and_no_end_is_an_empty_page()
    {
        for (var i = 0; i < 7; i++)
        {
            await Admin.CreateServiceAsync();
        }

        var page = await GetAsync("/api/service/get/list?start=6");

        AssertOk(page);
        Assert.Equal(6, page.Int("start"));
        Assert.Equal(6, page.Int("end"));
        Assert.True(page.Int("totalCount") >= 7);
        Assert.Empty(page.Objects("services"));
    }

    [Theory]
    [InlineData("start=-1", "start")]
    [InlineData("end=x", "end")]
    [InlineData("start=4&end=3", "end")]
    public async Task service_list_with_invalid_paging_is_rejected(string query, string parameter) =>
        AssertResult(await GetAsync($"/api/service/get/list?{query}"), HttpStatusCode.BadRequest, ResultCodes.InvalidQueryParameter, parameter, int.MaxValue);

    // ---- delete ------------------------------------------------------------------------------------

    [Fact]
    public async Task service_delete_answers_204_and_takes_its_clients_and_api_tokens_with_it()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"goes-too"}""");
        var survivor = await Admin.CreateClientAsync();
        var token = await TokenClientAsync(client.ServiceId, Permissions.ServiceRead, Permissions.ClientRead);
        AssertOk(await GetAsync(client.GetPath(), token));

        AssertNoContent(await DeleteAsync($"/api/{client.ServiceId}/service/delete"));

        AssertResult(await GetAsync($"/api/{client.ServiceId}/service/get"), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, client.ServiceId);
        AssertResult(await GetAsync(client.GetPath()), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, client.ServiceId);
        AssertResult(await GetAsync(client.GetPath("goes-too")), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, client.ServiceId);
        AssertResult(await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"after-delete"}"""), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, client.ServiceId);
        AssertResult(await GetAsync($"/api/{client.ServiceId}/client/get/list"), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, client.ServiceId);
        AssertResult(await GetAsync($"/api/{client.ServiceId}/service/get", token), HttpStatusCode.Unauthorized, ResultCodes.UnknownAccessToken);
        AssertResult(await DeleteAsync($"/api/{client.ServiceId}/service/delete"), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, client.ServiceId);
        Assert.Equal(survivor.Secret, await Admin.CurrentSecretAsync(survivor));
    }

    [Theory]
    [InlineData("999999999999")]
    [InlineData("not-a-number")]
    public async Task service_delete_of_an_unknown_service_is_404(string serviceId) =>
        AssertResult(await DeleteAsync($"/api/{serviceId}/service/delete"), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, serviceId);

    // ---- document rules ----------------------------------------------------------------------------

    [Fact]
    public async Task service_name_must_be_1_to_200_characters()
    {
        await AssertServiceCreateRefusedAsync("""{"serviceName":""}""", HttpStatusCode.BadRequest, ResultCodes.InvalidServiceName, 200);
        await AssertServiceCreateRefusedAsync($$"""{"serviceName":"{{new string('s', 201)}}"}""", HttpStatusCode.BadRequest, ResultCodes.InvalidServiceName, 200);
        await Admin.CreateServiceAsync($$"""{"serviceName":"{{new string('s', 200)}}"}""");
    }

    [Theory]
    [InlineData("http://issuer.example")]
    [InlineData("https://issuer.example?x=1")]
    [InlineData("https://issuer.example/#frag")]
    [InlineData("issuer.example")]
    [InlineData("/relative")]
    public async Task an_issuer_that_is_not_an_absolute_https_url_without_query_or_fragment_is_rejected(string issuer) =>
        await AssertServiceCreateRefusedAsync($$"""{"serviceName":"s","issuer":"{{issuer}}"}""", HttpStatusCode.BadRequest, ResultCodes.InvalidIssuer);

    [Theory]
    [InlineData("https://issuer.example/tenant/a")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://127.0.0.1")]
    public async Task an_https_issuer_or_a_loopback_http_issuer_is_accepted(string issuer) =>
        Assert.Equal(issuer, (await PostJsonAsync("/api/service/create", $$"""{"serviceName":"s","issuer":"{{issuer}}"}""")).Str("issuer"));

    [Theory]
    [InlineData("""{"supportedGrantTypes":["CLIENT_CREDENTIALS","NOPE"]}""", "supportedGrantTypes", "NOPE")]
    [InlineData("""{"accessTokenSignAlg":"HS1"}""", "accessTokenSignAlg", "HS1")]
    [InlineData("""{"userCodeCharset":"numeric"}""", "userCodeCharset", "numeric")]
    public async Task a_service_enum_value_outside_the_openapi_list_is_rejected(string json, string property, string value) =>
        await AssertServiceCreateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.InvalidEnumValue, property, value);

    [Theory]
    [InlineData("""{"serviceName":5}""", "serviceName")]
    [InlineData("""{"issuer":["https://a.example"]}""", "issuer")]
    [InlineData("""{"accessTokenSignAlg":7}""", "accessTokenSignAlg")]
    public async Task a_service_property_of_the_wrong_json_type_is_rejected(string json, string property) =>
        await AssertServiceCreateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.InvalidPropertyType, property);
}
