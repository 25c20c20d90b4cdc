using System.Net;
using System.Text.Json.Nodes;
using Rekey.Contracts;

namespace Rekey.Tests.Api;

/// <summary>Client management: create, get, list, update, delete, lock flag, aliases, and what a document may hold.</summary>
public abstract partial class ApiSuite
{
    private const string AliasAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:@";

    /// <summary>Refused with <paramref name="code"/>, and nothing was created in the (fresh) service.</summary>
    private async Task AssertCreateRefusedAsync(string json, HttpStatusCode status, ResultCode code, params object?[] args)
    {
        var serviceId = await Admin.CreateServiceAsync();

        var reply = await PostJsonAsync($"/api/{serviceId}/client/create", json);

        AssertResult(reply, status, code, args);
        Assert.Equal(0, (await GetAsync($"/api/{serviceId}/client/get/list")).Int("totalCount"));
    }

    /// <summary>Refused with <paramref name="code"/>, and the client's document is what it was.</summary>
    private async Task AssertClientUpdateRefusedAsync(TestClient client, HttpContent? content, HttpStatusCode status, ResultCode code, params object?[] args)
    {
        var before = await GetAsync(client.GetPath());

        var reply = await Admin.SendForReplyAsync(HttpMethod.Post, client.UpdatePath(), content);

        AssertResult(reply, status, code, args);
        Assert.True(JsonNode.DeepEquals(before.Json, (await GetAsync(client.GetPath())).Json), "A refused update changed the client.");
    }

    // ---- create ------------------------------------------------------------------------------------

    [Fact]
    public async Task create_answers_200_with_a_generated_client_id_and_an_86_character_secret()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var reply = await PostJsonAsync($"/api/{serviceId}/client/create", """{"clientName":"created"}""");

        AssertOk(reply);
        AssertProperties(reply, "number", "serviceNumber", "clientId", "clientSecret", "clientName", "clientType", "tokenAuthMethod", "locked", "createdAt", "modifiedAt");
        var clientId = JsonWire.AssertId(reply.Json["clientId"], "clientId");
        Assert.InRange(clientId.ToString(System.Globalization.CultureInfo.InvariantCulture).Length, 12, 16);
        JsonWire.AssertGeneratedSecret(reply.Str("clientSecret"));
        Assert.Equal("created", reply.Str("clientName"));
        Assert.Equal("CONFIDENTIAL", reply.Str("clientType"));
        Assert.Equal("CLIENT_SECRET_BASIC", reply.Str("tokenAuthMethod"));
        Assert.False(reply.Bool("locked"));
        Assert.True(reply.Int("number") >= 1);
        Assert.True(reply.Int("serviceNumber") >= 1);
        Assert.Equal(JsonWire.AssertRecentEpochMs(reply.Json["createdAt"], "createdAt"), JsonWire.AssertRecentEpochMs(reply.Json["modifiedAt"], "modifiedAt"));
    }

    [Fact]
    public async Task create_with_an_empty_object_or_no_body_makes_a_confidential_client()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var empty = await PostJsonAsync($"/api/{serviceId}/client/create", "{}");
        var none = await Admin.SendForReplyAsync(HttpMethod.Post, $"/api/{serviceId}/client/create");

        foreach (var reply in new[] { empty, none })
        {
            AssertOk(reply);
            Assert.Equal("CONFIDENTIAL", reply.Str("clientType"));
            Assert.Equal("CLIENT_SECRET_BASIC", reply.Str("tokenAuthMethod"));
            Assert.False(reply.Has("clientName"));
        }
    }

    [Fact]
    public async Task create_with_a_form_body_is_accepted()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var reply = await PostFormAsync($"/api/{serviceId}/client/create", "clientName=From+a+form&clientType=PUBLIC&locked=true");

        AssertOk(reply);
        Assert.Equal("From a form", reply.Str("clientName"));
        Assert.Equal("PUBLIC", reply.Str("clientType"));
        Assert.True(reply.Bool("locked"));
    }

    [Fact]
    public async Task create_of_a_public_client_defaults_token_auth_method_to_none()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientType":"PUBLIC"}""");

        Assert.Equal("PUBLIC", client.Created.Str("clientType"));
        Assert.Equal("NONE", client.Created.Str("tokenAuthMethod"));
    }

    [Theory]
    [InlineData("CONFIDENTIAL", "PRIVATE_KEY_JWT")]
    [InlineData("CONFIDENTIAL", "CLIENT_SECRET_POST")]
    [InlineData("PUBLIC", "NONE")]
    public async Task create_keeps_an_explicit_token_auth_method(string clientType, string method)
    {
        var client = await Admin.CreateClientAsync(json: $$"""{"clientType":"{{clientType}}","tokenAuthMethod":"{{method}}"}""");

        Assert.Equal(method, client.Created.Str("tokenAuthMethod"));
        Assert.Equal(method, (await GetAsync(client.GetPath())).Str("tokenAuthMethod"));
    }

    [Fact]
    public async Task create_honours_locked_true()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientName":"born locked","locked":true}""");

        Assert.True(client.Created.Bool("locked"));
        Assert.True((await GetAsync(client.GetPath())).Bool("locked"));
    }

    [Fact]
    public async Task create_ignores_a_client_id_and_client_secret_sent_in_the_body()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientId":123456789012,"clientSecret":"chosen-by-caller","number":5,"createdAt":1}""");

        Assert.NotEqual(123456789012, client.ClientId);
        Assert.NotEqual("chosen-by-caller", client.Secret);
        JsonWire.AssertGeneratedSecret(client.Secret);
        JsonWire.AssertRecentEpochMs(client.Created.Json["createdAt"], "createdAt");
    }

    [Fact]
    public async Task clients_get_distinct_ids_and_secrets()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var clients = new List<TestClient>();
        for (var i = 0; i < 6; i++)
        {
            clients.Add(await Admin.CreateClientAsync(serviceId));
        }

        Assert.Equal(clients.Count, clients.Select(c => c.ClientId).Distinct().Count());
        Assert.Equal(clients.Count, clients.Select(c => c.Secret).Distinct().Count());
        Assert.Equal(clients.Count, clients.Select(c => c.Created.Int("number")).Distinct().Count());
    }

    [Fact]
    public async Task create_in_an_unknown_service_is_404()
    {
        var reply = await PostJsonAsync("/api/999999999999/client/create", """{"clientName":"orphan"}""");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, "999999999999");
    }

    // ---- get ---------------------------------------------------------------------------------------

    [Fact]
    public async Task get_returns_what_create_returned_by_client_id_and_by_alias()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientName":"twice","clientIdAlias":"twice.example","developer":"dev","x-note":{"k":[1,"2"]}}""");

        var byId = await GetAsync(client.GetPath());
        var byAlias = await GetAsync(client.GetPath("twice.example"));

        AssertOk(byId);
        AssertOk(byAlias);
        Assert.True(JsonNode.DeepEquals(client.Created.Json, byId.Json), $"{client.Created.Text}\n{byId.Text}");
        Assert.True(JsonNode.DeepEquals(byId.Json, byAlias.Json), $"{byId.Text}\n{byAlias.Text}");
    }

    [Theory]
    [InlineData("123456789012")]
    [InlineData("unknown-alias")]
    public async Task get_of_an_unknown_client_is_404(string identifier)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await GetAsync(client.GetPath(identifier));

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ClientNotFound, identifier, client.ServiceId);
    }

    [Fact]
    public async Task get_in_an_unknown_service_is_404()
    {
        var reply = await GetAsync("/api/999999999999/client/get/123456789012");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, "999999999999");
    }

    // ---- update ------------------------------------------------------------------------------------

    [Fact]
    public async Task update_replaces_the_whole_document_and_keeps_id_secret_and_creation_time()
    {
        var client = await Admin.CreateClientAsync(json: """
            {"clientName":"before","developer":"dev-a","redirectUris":["https://a.example/cb"],"grantTypes":["AUTHORIZATION_CODE"],
             "clientIdAlias":"before-alias","clientIdAliasEnabled":true,"custom":{"keep":false}}
            """);

        var reply = await PostJsonAsync(client.UpdatePath(), """{"clientName":"after","applicationType":"NATIVE"}""");

        AssertOk(reply);
        AssertProperties(reply, "number", "serviceNumber", "clientId", "clientSecret", "clientName", "applicationType", "clientType", "tokenAuthMethod", "locked", "createdAt", "modifiedAt");
        Assert.Equal(client.ClientId, reply.Int("clientId"));
        Assert.Equal(client.Secret, reply.Str("clientSecret"));
        Assert.Equal("after", reply.Str("clientName"));
        Assert.Equal("NATIVE", reply.Str("applicationType"));
        Assert.Equal(client.Created.Int("number"), reply.Int("number"));
        Assert.Equal(client.Created.Int("createdAt"), reply.Int("createdAt"));
        Assert.True(reply.Int("modifiedAt") >= client.Created.Int("modifiedAt"));
        Assert.True(JsonNode.DeepEquals(reply.Json, (await GetAsync(client.GetPath())).Json));
        AssertResult(await GetAsync(client.GetPath("before-alias")), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, "before-alias", client.ServiceId);
    }

    [Fact]
    public async Task update_with_a_form_body_types_booleans_and_collects_repeated_list_fields()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostFormAsync(client.UpdatePath(),
            "clientName=Form+Client&clientIdAliasEnabled=true&redirectUris=https%3A%2F%2Fa.example%2Fcb&redirectUris=https%3A%2F%2Fb.example%2Fcb" +
            "&grantTypes=CLIENT_CREDENTIALS&custom=x&tags=one&tags=two");

        AssertOk(reply);
        Assert.Equal("Form Client", reply.Str("clientName"));
        Assert.True(reply.Bool("clientIdAliasEnabled"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["https://a.example/cb","https://b.example/cb"]"""), reply.Json["redirectUris"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["CLIENT_CREDENTIALS"]"""), reply.Json["grantTypes"]));
        Assert.Equal("x", reply.Str("custom"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["one","two"]"""), reply.Json["tags"]));
        Assert.Equal(client.Secret, reply.Str("clientSecret"));
    }

    [Fact]
    public async Task update_with_a_repeated_single_valued_form_field_is_rejected_and_client_unchanged()
    {
        var client = await Admin.CreateClientAsync();

        await AssertClientUpdateRefusedAsync(client, Body(FormType, "clientName=a&clientName=b"), HttpStatusCode.BadRequest, ResultCodes.RepeatedFormField, "clientName");
    }

    [Fact]
    public async Task update_ignores_the_locked_property_in_both_directions()
    {
        var locked = await Admin.CreateClientAsync(json: """{"locked":true}""");
        var open = await Admin.CreateClientAsync(locked.ServiceId);

        var unlocking = await PostJsonAsync(locked.UpdatePath(), """{"clientName":"still locked","locked":false}""");
        var locking = await PostJsonAsync(open.UpdatePath(), """{"clientName":"still open","locked":true}""");

        Assert.True(unlocking.Bool("locked"));
        Assert.False(locking.Bool("locked"));
        Assert.True((await GetAsync(locked.GetPath())).Bool("locked"));
        Assert.False((await GetAsync(open.GetPath())).Bool("locked"));
    }

    [Fact]
    public async Task update_ignores_client_secret_and_read_only_properties_in_the_body()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.UpdatePath(), """
            {"clientName":"renamed","clientSecret":"sneaky-secret","clientId":123456789012,"number":99,"serviceNumber":98,
             "createdAt":1,"modifiedAt":2,"dynamicallyRegistered":true,"derivedSectorIdentifier":"x.example"}
            """);

        AssertOk(reply);
        Assert.Equal(client.ClientId, reply.Int("clientId"));
        Assert.Equal(client.Secret, reply.Str("clientSecret"));
        Assert.Equal(client.Created.Int("number"), reply.Int("number"));
        Assert.Equal(client.Created.Int("createdAt"), reply.Int("createdAt"));
        Assert.False(reply.Has("dynamicallyRegistered"));
        Assert.False(reply.Has("derivedSectorIdentifier"));
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task update_through_the_alias_updates_that_client()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"upd-alias"}""");

        var reply = await PostJsonAsync(client.UpdatePath("upd-alias"), """{"clientName":"via alias","clientIdAlias":"upd-alias"}""");

        AssertOk(reply);
        Assert.Equal(client.ClientId, reply.Int("clientId"));
        Assert.Equal("via alias", (await GetAsync(client.GetPath())).Str("clientName"));
    }

    [Fact]
    public async Task update_can_change_the_alias_and_the_old_one_stops_resolving()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"old-name"}""");

        AssertOk(await PostJsonAsync(client.UpdatePath(), """{"clientIdAlias":"new-name"}"""));

        Assert.Equal(client.ClientId, (await GetAsync(client.GetPath("new-name"))).Int("clientId"));
        AssertResult(await GetAsync(client.GetPath("old-name")), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, "old-name", client.ServiceId);
        var reuse = await Admin.CreateClientAsync(client.ServiceId, """{"clientIdAlias":"old-name"}""");
        Assert.NotEqual(client.ClientId, reuse.ClientId);
    }

    [Theory]
    [InlineData("123456789012")]
    [InlineData("unknown-alias")]
    public async Task update_of_an_unknown_client_is_404(string identifier)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.UpdatePath(identifier), """{"clientName":"nobody"}""");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ClientNotFound, identifier, client.ServiceId);
    }

    [Fact]
    public async Task update_in_an_unknown_service_is_404()
    {
        var reply = await PostJsonAsync("/api/999999999999/client/update/123456789012", """{"clientName":"nobody"}""");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, "999999999999");
    }

    // ---- delete ------------------------------------------------------------------------------------

    [Fact]
    public async Task delete_answers_204_with_an_empty_body_and_the_client_is_gone_everywhere()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"doomed"}""");
        var neighbour = await Admin.CreateClientAsync(client.ServiceId);

        AssertNoContent(await DeleteAsync(client.DeletePath()));

        AssertResult(await GetAsync(client.GetPath()), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, client.Id, client.ServiceId);
        AssertResult(await GetAsync(client.GetPath("doomed")), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, "doomed", client.ServiceId);
        AssertResult(await GetAsync(client.SecretRefreshPath()), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, client.Id, client.ServiceId);
        AssertResult(await PostJsonAsync(client.LockPath(), """{"clientLocked":true}"""), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, client.Id, client.ServiceId);
        AssertResult(await DeleteAsync(client.DeletePath()), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, client.Id, client.ServiceId);
        var list = await GetAsync($"/api/{client.ServiceId}/client/get/list");
        Assert.Equal(1, list.Int("totalCount"));
        Assert.Equal(neighbour.Secret, await Admin.CurrentSecretAsync(neighbour));
    }

    [Fact]
    public async Task delete_through_the_alias_deletes_that_client_and_frees_the_alias()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"short-lived"}""");

        AssertNoContent(await DeleteAsync(client.DeletePath("short-lived")));

        AssertResult(await GetAsync(client.GetPath()), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, client.Id, client.ServiceId);
        await Admin.CreateClientAsync(client.ServiceId, """{"clientIdAlias":"short-lived"}""");
    }

    [Theory]
    [InlineData("123456789012")]
    [InlineData("unknown-alias")]
    public async Task delete_of_an_unknown_client_is_404(string identifier)
    {
        var client = await Admin.CreateClientAsync();

        AssertResult(await DeleteAsync(client.DeletePath(identifier)), HttpStatusCode.NotFound, ResultCodes.ClientNotFound, identifier, client.ServiceId);
        AssertOk(await GetAsync(client.GetPath()));
    }

    // ---- aliases -----------------------------------------------------------------------------------

    [Fact]
    public async Task alias_must_be_unique_within_a_service_on_create_and_on_update()
    {
        var taken = await Admin.CreateClientAsync(json: """{"clientIdAlias":"taken"}""");
        var other = await Admin.CreateClientAsync(taken.ServiceId);

        var create = await PostJsonAsync($"/api/{taken.ServiceId}/client/create", """{"clientIdAlias":"taken"}""");
        AssertResult(create, HttpStatusCode.BadRequest, ResultCodes.ClientIdAliasInUse, "taken");
        Assert.Equal("[A120203] The client ID alias 'taken' is already used by another client of this service.", create.Str("resultMessage"));
        await AssertClientUpdateRefusedAsync(other, Body(JsonType, """{"clientIdAlias":"taken"}"""), HttpStatusCode.BadRequest, ResultCodes.ClientIdAliasInUse, "taken");

        Assert.Equal(2, (await GetAsync($"/api/{taken.ServiceId}/client/get/list")).Int("totalCount"));
        Assert.Equal(taken.ClientId, (await GetAsync(taken.GetPath("taken"))).Int("clientId"));
    }

    [Fact]
    public async Task a_client_may_keep_its_own_alias_on_update()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"mine"}""");

        var reply = await PostJsonAsync(client.UpdatePath(), """{"clientIdAlias":"mine","clientName":"same alias"}""");

        AssertOk(reply);
        Assert.Equal("mine", reply.Str("clientIdAlias"));
    }

    [Fact]
    public async Task the_same_alias_may_be_used_in_two_services()
    {
        var first = await Admin.CreateClientAsync(json: """{"clientIdAlias":"shared-name"}""");
        var second = await Admin.CreateClientAsync(json: """{"clientIdAlias":"shared-name"}""");

        Assert.Equal(first.ClientId, (await GetAsync(first.GetPath("shared-name"))).Int("clientId"));
        Assert.Equal(second.ClientId, (await GetAsync(second.GetPath("shared-name"))).Int("clientId"));
    }

    [Fact]
    public async Task alias_may_not_equal_another_clients_numeric_id_on_create_or_update()
    {
        var target = await Admin.CreateClientAsync();
        var other = await Admin.CreateClientAsync(target.ServiceId);

        var create = await PostJsonAsync($"/api/{target.ServiceId}/client/create", $$"""{"clientIdAlias":"{{target.Id}}"}""");
        AssertResult(create, HttpStatusCode.BadRequest, ResultCodes.ClientIdAliasIsClientId, target.Id);
        await AssertClientUpdateRefusedAsync(other, Body(JsonType, $$"""{"clientIdAlias":"{{target.Id}}"}"""), HttpStatusCode.BadRequest, ResultCodes.ClientIdAliasIsClientId, target.Id);

        Assert.Equal(target.ClientId, (await GetAsync(target.GetPath())).Int("clientId"));
    }

    public static TheoryData<string> InvalidAliases => new()
    {
        "",
        " lead",
        "has space",
        "a/b",
        "a?b",
        "a#b",
        "a%b",
        "a+b",
        "caf\u00E9",
        new string('a', 129),
        ".",
        "..",
        "list",
    };

    [Theory]
    [MemberData(nameof(InvalidAliases))]
    public async Task alias_syntax_is_checked_on_create(string alias) =>
        await AssertCreateRefusedAsync($$"""{"clientIdAlias":"{{alias}}"}""", HttpStatusCode.BadRequest, ResultCodes.InvalidClientIdAlias, 128);

    [Fact]
    public async Task alias_syntax_is_checked_on_update()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"valid"}""");

        await AssertClientUpdateRefusedAsync(client, Body(JsonType, """{"clientIdAlias":"not valid"}"""), HttpStatusCode.BadRequest, ResultCodes.InvalidClientIdAlias, 128);
    }

    [Fact]
    public async Task an_alias_of_128_characters_with_every_allowed_symbol_works_in_every_path()
    {
        var alias = (AliasAlphabet + AliasAlphabet)[..128];
        var client = await Admin.CreateClientAsync(json: $$"""{"clientIdAlias":"{{alias}}"}""");

        Assert.Equal(alias, client.Created.Str("clientIdAlias"));
        Assert.Equal(client.ClientId, (await GetAsync(client.GetPath(alias))).Int("clientId"));
        AssertOk(await PostJsonAsync(client.UpdatePath(alias), $$"""{"clientName":"long alias","clientIdAlias":"{{alias}}"}"""));
        AssertOk(await PostJsonAsync(client.SecretUpdatePath(alias), """{"clientSecret":"long-alias-secret"}"""));
        AssertOk(await GetAsync(client.SecretRefreshPath(alias)));
        AssertOk(await PostJsonAsync(client.LockPath(alias), """{"clientLocked":true}"""));
        AssertNoContent(await DeleteAsync(client.DeletePath(alias)));
    }

    [Fact]
    public async Task a_numeric_alias_that_is_no_clients_id_is_accepted_and_resolves()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"4242"}""");

        Assert.Equal(client.ClientId, (await GetAsync(client.GetPath("4242"))).Int("clientId"));
    }

    // ---- lock flag ---------------------------------------------------------------------------------

    [Fact]
    public async Task lock_flag_locks_and_unlocks_with_a_json_body()
    {
        var client = await Admin.CreateClientAsync();

        var locking = await PostJsonAsync(client.LockPath(), """{"clientLocked":true}""");
        AssertResult(locking, HttpStatusCode.OK, ResultCodes.LockFlagUpdated, client.ClientId, "true");
        Assert.Equal($"[A125001] Successfully updated the lock flag of the client (ID = {client.ClientId}) to true.", locking.Str("resultMessage"));
        Assert.True((await GetAsync(client.GetPath())).Bool("locked"));

        var unlocking = await PostJsonAsync(client.LockPath(), """{"clientLocked":false}""");
        AssertResult(unlocking, HttpStatusCode.OK, ResultCodes.LockFlagUpdated, client.ClientId, "false");
        Assert.False((await GetAsync(client.GetPath())).Bool("locked"));
    }

    [Theory]
    [InlineData("clientLocked=true", true)]
    [InlineData("clientLocked=True", true)]
    [InlineData("clientLocked=false", false)]
    public async Task lock_flag_accepts_a_form_body(string form, bool locked)
    {
        var client = await Admin.CreateClientAsync(json: locked ? "{}" : """{"locked":true}""");

        var reply = await PostFormAsync(client.LockPath(), form);

        AssertResult(reply, HttpStatusCode.OK, ResultCodes.LockFlagUpdated, client.ClientId, locked ? "true" : "false");
        Assert.Equal(locked, (await GetAsync(client.GetPath())).Bool("locked"));
    }

    [Fact]
    public async Task lock_flag_through_the_alias_locks_that_client_and_names_its_numeric_id()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"lock-me"}""");

        var reply = await PostJsonAsync(client.LockPath("lock-me"), """{"clientLocked":true}""");

        AssertResult(reply, HttpStatusCode.OK, ResultCodes.LockFlagUpdated, client.ClientId, "true");
        Assert.True((await GetAsync(client.GetPath())).Bool("locked"));
    }

    [Fact]
    public async Task lock_flag_set_twice_to_the_same_value_is_accepted()
    {
        var client = await Admin.CreateClientAsync();

        AssertOk(await PostJsonAsync(client.LockPath(), """{"clientLocked":true}"""));
        AssertOk(await PostJsonAsync(client.LockPath(), """{"clientLocked":true}"""));

        Assert.True((await GetAsync(client.GetPath())).Bool("locked"));
    }

    [Theory]
    [InlineData(JsonType, """{}""")]
    [InlineData(JsonType, """{"clientLocked":null}""")]
    [InlineData(JsonType, """{"clientLocked":"true"}""")]
    [InlineData(JsonType, """{"clientLocked":1}""")]
    [InlineData(JsonType, """{"locked":true}""")]
    [InlineData(FormType, "clientLocked=yes")]
    [InlineData(FormType, "clientLocked=1")]
    [InlineData(FormType, "other=true")]
    public async Task lock_flag_without_a_boolean_client_locked_is_rejected_and_flag_unchanged(string mediaType, string body)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await Admin.SendForReplyAsync(HttpMethod.Post, client.LockPath(), Body(mediaType, body));

        AssertResult(reply, HttpStatusCode.BadRequest, ResultCodes.InvalidLockFlag);
        Assert.False((await GetAsync(client.GetPath())).Bool("locked"));
    }

    [Fact]
    public async Task lock_flag_without_a_body_or_with_malformed_json_is_rejected()
    {
        var client = await Admin.CreateClientAsync();

        AssertResult(await Admin.SendForReplyAsync(HttpMethod.Post, client.LockPath()), HttpStatusCode.BadRequest, ResultCodes.MissingBody);
        AssertResultCode(await PostJsonAsync(client.LockPath(), """{"clientLocked":tru}"""), HttpStatusCode.BadRequest, ResultCodes.MalformedJson);
        AssertResult(await PostJsonAsync(client.LockPath(), "[true]"), HttpStatusCode.BadRequest, ResultCodes.BodyNotObject);
        Assert.False((await GetAsync(client.GetPath())).Bool("locked"));
    }

    [Theory]
    [InlineData("123456789012")]
    [InlineData("unknown-alias")]
    public async Task lock_flag_of_an_unknown_client_is_404(string identifier)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.LockPath(identifier), """{"clientLocked":true}""");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ClientNotFound, identifier, client.ServiceId);
    }

    // ---- list --------------------------------------------------------------------------------------

    private async Task<(long ServiceId, List<long> ClientIds)> ServiceWithClientsAsync(int count, Func<int, string>? json = null)
    {
        var serviceId = await Admin.CreateServiceAsync();
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await Admin.CreateClientAsync(serviceId, json?.Invoke(i) ?? $$"""{"clientName":"c{{i}}"}""")).ClientId);
        }

        return (serviceId, ids);
    }

    private static List<long> ClientIdsOf(Reply list) =>
        list.Objects("clients").Select(c => JsonWire.AssertId(c["clientId"], "clientId")).ToList();

    [Fact]
    public async Task list_pages_with_end_exclusive_and_counts_all_clients()
    {
        var (serviceId, ids) = await ServiceWithClientsAsync(7);

        async Task AssertPage(string query, int start, int end, IEnumerable<long> expected)
        {
            var page = await GetAsync($"/api/{serviceId}/client/get/list{query}");
            AssertOk(page);
            AssertProperties(page, "start", "end", "totalCount", "clients");
            Assert.Equal(start, page.Int("start"));
            Assert.Equal(end, page.Int("end"));
            Assert.Equal(7, page.Int("totalCount"));
            Assert.Equal(expected, ClientIdsOf(page));
        }

        await AssertPage("", 0, 5, ids.Take(5));
        await AssertPage("?start=0&end=5", 0, 5, ids.Take(5));
        await AssertPage("?start=5&end=10", 5, 10, ids.Skip(5));
        await AssertPage("?start=2&end=3", 2, 3, [ids[2]]);
        await AssertPage("?start=3&end=3", 3, 3, []);
        await AssertPage("?start=7&end=9", 7, 9, []);
    }

    [Fact]
    public async Task list_with_a_start_beyond_the_default_end_and_no_end_is_an_empty_page_not_an_unbounded_one()
    {
        // end defaults to 5; with start=6 that range is empty. It must not turn into "no limit" (LIMIT -1).
        var (serviceId, _) = await ServiceWithClientsAsync(8);

        var page = await GetAsync($"/api/{serviceId}/client/get/list?start=6");

        AssertOk(page);
        Assert.Equal(6, page.Int("start"));
        Assert.Equal(6, page.Int("end"));
        Assert.Equal(8, page.Int("totalCount"));
        Assert.Empty(ClientIdsOf(page));
    }

    [Fact]
    public async Task list_filters_by_developer_and_counts_only_the_matches()
    {
        var (serviceId, ids) = await ServiceWithClientsAsync(5, i => $$"""{"clientName":"c{{i}}","developer":"{{(i % 2 == 0 ? "alice" : "bob")}}"}""");

        var alice = await GetAsync($"/api/{serviceId}/client/get/list?developer=alice");
        var bobFirst = await GetAsync($"/api/{serviceId}/client/get/list?developer=bob&start=0&end=1");
        var nobody = await GetAsync($"/api/{serviceId}/client/get/list?developer=carol");
        var everyone = await GetAsync($"/api/{serviceId}/client/get/list?developer=");

        Assert.Equal([ids[0], ids[2], ids[4]], ClientIdsOf(alice));
        Assert.Equal(3, alice.Int("totalCount"));
        Assert.Equal([ids[1]], ClientIdsOf(bobFirst));
        Assert.Equal(2, bobFirst.Int("totalCount"));
        Assert.Empty(ClientIdsOf(nobody));
        Assert.Equal(0, nobody.Int("totalCount"));
        Assert.Equal(5, everyone.Int("totalCount"));
    }

    [Fact]
    public async Task list_carries_the_same_documents_as_get()
    {
        var (serviceId, ids) = await ServiceWithClientsAsync(2, i => $$$"""{"clientName":"c{{{i}}}","clientIdAlias":"alias-{{{i}}}","extra":{"i":{{{i}}}}}""");

        var list = await GetAsync($"/api/{serviceId}/client/get/list");

        var clients = list.Objects("clients");
        for (var i = 0; i < ids.Count; i++)
        {
            var get = await GetAsync($"/api/{serviceId}/client/get/{ids[i]}");
            Assert.True(JsonNode.DeepEquals(get.Json, clients[i]), $"{get.Text}\n{clients[i]?.ToJsonString()}");
        }
    }

    [Fact]
    public async Task list_of_a_new_service_is_empty()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var list = await GetAsync($"/api/{serviceId}/client/get/list");

        AssertOk(list);
        Assert.Equal(0, list.Int("totalCount"));
        Assert.Empty(list.Objects("clients"));
    }

    [Fact]
    public async Task list_caps_a_page_at_1000_clients()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var list = await GetAsync($"/api/{serviceId}/client/get/list?start=10&end=5000");

        Assert.Equal(10, list.Int("start"));
        Assert.Equal(1010, list.Int("end"));
    }

    [Theory]
    [InlineData("start=-1", "start")]
    [InlineData("start=x", "start")]
    [InlineData("start=", "start")]
    [InlineData("start=1.5", "start")]
    [InlineData("end=-1", "end")]
    [InlineData("start=3&end=2", "end")]
    [InlineData("end=99999999999", "end")]
    public async Task list_with_invalid_paging_is_rejected(string query, string parameter)
    {
        var serviceId = await Admin.CreateServiceAsync();

        var reply = await GetAsync($"/api/{serviceId}/client/get/list?{query}");

        AssertResult(reply, HttpStatusCode.BadRequest, ResultCodes.InvalidQueryParameter, parameter, int.MaxValue);
    }

    [Fact]
    public async Task list_in_an_unknown_service_is_404()
    {
        AssertResult(await GetAsync("/api/999999999999/client/get/list"), HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, 999999999999L);
    }

    // ---- document rules ----------------------------------------------------------------------------

    [Theory]
    [InlineData("""{"clientType":"PRIVATE"}""", "clientType", "PRIVATE")]
    [InlineData("""{"clientType":"confidential"}""", "clientType", "confidential")]
    [InlineData("""{"tokenAuthMethod":"CLIENT_SECRET"}""", "tokenAuthMethod", "CLIENT_SECRET")]
    [InlineData("""{"applicationType":"DESKTOP"}""", "applicationType", "DESKTOP")]
    [InlineData("""{"grantTypes":["CLIENT_CREDENTIALS","FOO"]}""", "grantTypes", "FOO")]
    [InlineData("""{"responseTypes":["code"]}""", "responseTypes", "code")]
    [InlineData("""{"subjectType":"SECRET"}""", "subjectType", "SECRET")]
    public async Task an_enum_value_outside_the_openapi_list_is_rejected(string json, string property, string value) =>
        await AssertCreateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.InvalidEnumValue, property, value);

    [Theory]
    [InlineData("""{"clientType":1}""", "clientType")]
    [InlineData("""{"clientType":1.5}""", "clientType")]
    [InlineData("""{"clientType":true}""", "clientType")]
    [InlineData("""{"clientType":{}}""", "clientType")]
    [InlineData("""{"clientType":1e400}""", "clientType")]
    [InlineData("""{"grantTypes":[1]}""", "grantTypes")]
    [InlineData("""{"grantTypes":[null]}""", "grantTypes")]
    [InlineData("""{"grantTypes":"CLIENT_CREDENTIALS"}""", "grantTypes")]
    [InlineData("""{"clientName":5}""", "clientName")]
    [InlineData("""{"clientName":["x"]}""", "clientName")]
    [InlineData("""{"developer":{}}""", "developer")]
    [InlineData("""{"redirectUris":"https://a.example/cb"}""", "redirectUris")]
    [InlineData("""{"redirectUris":[1]}""", "redirectUris[0]")]
    [InlineData("""{"clientIdAliasEnabled":"true"}""", "clientIdAliasEnabled")]
    [InlineData("""{"locked":"yes"}""", "locked")]
    public async Task a_property_of_the_wrong_json_type_is_rejected(string json, string property) =>
        await AssertCreateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.InvalidPropertyType, property);

    [Fact]
    public async Task a_client_name_over_200_characters_is_rejected_and_200_are_accepted()
    {
        await AssertCreateRefusedAsync($$"""{"clientName":"{{new string('n', 201)}}"}""", HttpStatusCode.BadRequest, ResultCodes.InvalidClientName, 200);
        await Admin.CreateClientAsync(json: $$"""{"clientName":"{{new string('n', 200)}}"}""");
    }

    [Fact]
    public async Task a_developer_over_100_characters_is_rejected_and_100_are_accepted()
    {
        await AssertCreateRefusedAsync($$"""{"developer":"{{new string('d', 101)}}"}""", HttpStatusCode.BadRequest, ResultCodes.InvalidDeveloper, 100);
        await Admin.CreateClientAsync(json: $$"""{"developer":"{{new string('d', 100)}}"}""");
    }

    [Theory]
    [InlineData("/relative/cb")]
    [InlineData("https://a.example/cb#fragment")]
    [InlineData("https://a.example/cb#")]
    [InlineData("not a uri")]
    public async Task a_redirect_uri_that_is_relative_or_has_a_fragment_is_rejected_naming_its_index(string uri) =>
        await AssertCreateRefusedAsync($$"""{"redirectUris":["https://ok.example/cb","{{uri}}"]}""", HttpStatusCode.BadRequest, ResultCodes.InvalidRedirectUri, 1);

    [Theory]
    [InlineData("https://a.example/cb?x=1")]
    [InlineData("http://localhost:8080/cb")]
    [InlineData("com.example.app:/oauth2redirect")]
    [InlineData("urn:ietf:wg:oauth:2.0:oob")]
    public async Task an_absolute_redirect_uri_of_any_scheme_is_accepted(string uri)
    {
        var client = await Admin.CreateClientAsync(json: $$"""{"redirectUris":["{{uri}}"]}""");

        Assert.Equal(uri, Assert.Single(client.Created.Json["redirectUris"]?.AsArray() ?? [])?.GetValue<string>());
    }

    [Fact]
    public async Task malformed_or_oversized_client_documents_are_rejected_and_nothing_is_created()
    {
        await AssertCreateRefusedAsync("""{"clientName":"x",}""", HttpStatusCode.BadRequest, ResultCodes.MalformedJson, 1, 19);
        await AssertCreateRefusedAsync("""{"clientName":"a","clientName":"b"}""", HttpStatusCode.BadRequest, ResultCodes.MalformedJson, 1, 1);
        await AssertCreateRefusedAsync("""{"clientName":"\ud800"}""", HttpStatusCode.BadRequest, ResultCodes.MalformedJson, 1, 15);
        await AssertCreateRefusedAsync("""[{"clientName":"x"}]""", HttpStatusCode.BadRequest, ResultCodes.BodyNotObject);
        await AssertCreateRefusedAsync($$"""{"pad":"{{new string('p', 70_000)}}"}""", HttpStatusCode.RequestEntityTooLarge, ResultCodes.BodyTooLarge, 65536);
    }
}
