using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Rekey.Contracts;

namespace Rekey.Tests.Api;

/// <summary>
/// The central call: <c>POST /api/{serviceId}/client/secret/update/{clientIdentifier}</c>, and its sibling refresh.
/// Every refusal is checked for its status, its result code and that the stored secret did not move.
/// </summary>
public abstract partial class ApiSuite
{
    private const string AllowedAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>
    /// Sends <paramref name="content"/> to a fresh client's secret update and checks the refusal: status, code,
    /// exactly two properties, the message (when given) and, read back with the admin token, the old secret.
    /// </summary>
    private async Task<Reply> AssertUpdateRefusedAsync(HttpContent? content, HttpStatusCode status, ResultCode code, string? message = null)
    {
        var client = await Admin.CreateClientAsync();
        var reply = await Admin.SendForReplyAsync(HttpMethod.Post, client.SecretUpdatePath(), content);

        AssertResultCode(reply, status, code);
        Assert.Equal(code.HttpStatus, (int)reply.Status);
        if (message is not null)
        {
            Assert.Equal(message, reply.Str("resultMessage"));
        }

        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
        return reply;
    }

    private Task<Reply> AssertJsonUpdateRefusedAsync(string json, HttpStatusCode status, ResultCode code, string? message = null) =>
        AssertUpdateRefusedAsync(Body(JsonType, json), status, code, message);

    private Task<Reply> AssertFormUpdateRefusedAsync(string form, HttpStatusCode status, ResultCode code, string? message = null) =>
        AssertUpdateRefusedAsync(Body(FormType, form), status, code, message);

    // ---- success -----------------------------------------------------------------------------------

    [Fact]
    public async Task update_with_json_body_returns_new_and_old_secret_and_stores_the_new_one()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"my_new-Secret1"}""");

        AssertOk(reply);
        AssertProperties(reply, "resultCode", "resultMessage", "newClientSecret", "oldClientSecret");
        Assert.Equal("A149001", reply.Str("resultCode"));
        Assert.Equal($"[A149001] Successfully updated the client secret of the client (ID = {client.ClientId}).", reply.Str("resultMessage"));
        Assert.Equal("my_new-Secret1", reply.Str("newClientSecret"));
        Assert.Equal(client.Secret, reply.Str("oldClientSecret"));
        Assert.Equal("my_new-Secret1", await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task update_with_form_body_returns_new_and_old_secret_and_stores_the_new_one()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostFormAsync(client.SecretUpdatePath(), "clientSecret=form_Secret-2");

        AssertOk(reply);
        Assert.Equal("A149001", reply.Str("resultCode"));
        Assert.Equal("form_Secret-2", reply.Str("newClientSecret"));
        Assert.Equal(client.Secret, reply.Str("oldClientSecret"));
        Assert.Equal("form_Secret-2", await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task update_through_the_client_id_alias_changes_that_client_and_names_its_numeric_id()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var other = await Admin.CreateClientAsync(serviceId);
        var client = await Admin.CreateClientAsync(serviceId, """{"clientName":"aliased","clientIdAlias":"my-app.prod"}""");

        var reply = await PostJsonAsync(client.SecretUpdatePath("my-app.prod"), """{"clientSecret":"via-alias"}""");

        AssertOk(reply);
        Assert.Equal($"[A149001] Successfully updated the client secret of the client (ID = {client.ClientId}).", reply.Str("resultMessage"));
        Assert.Equal(client.Secret, reply.Str("oldClientSecret"));
        Assert.Equal("via-alias", await Admin.CurrentSecretAsync(client));
        Assert.Equal(other.Secret, await Admin.CurrentSecretAsync(other));
    }

    [Fact]
    public async Task update_with_form_body_through_the_alias_is_accepted()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"form:alias@x"}""");

        var reply = await PostFormAsync(client.SecretUpdatePath("form:alias@x"), "clientSecret=aliased-form");

        AssertOk(reply);
        Assert.Equal("aliased-form", await Admin.CurrentSecretAsync(client));
    }

    public static TheoryData<string> ValidSecrets => new()
    {
        "a",
        "Z",
        "0",
        "-",
        "_",
        AllowedAlphabet,
        new string('x', 86),
        (AllowedAlphabet + AllowedAlphabet)[..86],
    };

    [Theory]
    [MemberData(nameof(ValidSecrets))]
    public async Task update_accepts_1_to_86_characters_of_the_allowed_alphabet(string secret)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.SecretUpdatePath(), $$"""{"clientSecret":"{{secret}}"}""");

        AssertOk(reply);
        Assert.Equal(secret, reply.Str("newClientSecret"));
        Assert.Equal(secret, await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task update_decodes_json_escapes_before_checking_the_secret()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"\u0041bc\u005f"}""");

        AssertOk(reply);
        Assert.Equal("Abc_", await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task update_ignores_other_properties_next_to_client_secret()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"with-extras","clientId":0,"note":{"x":[1,null]}}""");

        AssertOk(reply);
        Assert.Equal("with-extras", await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task update_to_the_current_secret_is_accepted_and_reports_it_as_old_and_new()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.SecretUpdatePath(), $$"""{"clientSecret":"{{client.Secret}}"}""");

        AssertOk(reply);
        Assert.Equal(client.Secret, reply.Str("newClientSecret"));
        Assert.Equal(client.Secret, reply.Str("oldClientSecret"));
    }

    [Fact]
    public async Task successive_updates_each_report_the_previous_secret_as_old()
    {
        var client = await Admin.CreateClientAsync();

        var first = await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"first"}""");
        var second = await PostFormAsync(client.SecretUpdatePath(), "clientSecret=second");

        Assert.Equal(client.Secret, first.Str("oldClientSecret"));
        Assert.Equal("first", second.Str("oldClientSecret"));
        Assert.Equal("second", await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task update_with_a_json_media_type_suffix_and_upper_case_type_is_accepted()
    {
        var client = await Admin.CreateClientAsync();

        var upper = await Admin.SendForReplyAsync(HttpMethod.Post, client.SecretUpdatePath(), Body("APPLICATION/JSON; charset=UTF-8", """{"clientSecret":"upper"}"""));
        AssertOk(upper);
        var suffix = await Admin.SendForReplyAsync(HttpMethod.Post, client.SecretUpdatePath(), Body("application/vnd.rekey+json", """{"clientSecret":"suffix"}"""));
        AssertOk(suffix);

        Assert.Equal("suffix", await Admin.CurrentSecretAsync(client));
    }

    // ---- refusals: the clientSecret property ---------------------------------------------------------

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"secret":"abc"}""")]
    [InlineData("""{"client_secret":"abc"}""")]
    [InlineData("""{"ClientSecret":"abc"}""")]
    [InlineData("""{"clientsecret":"abc"}""")]
    public async Task update_without_a_client_secret_property_is_rejected_and_secret_unchanged(string json) =>
        await AssertJsonUpdateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.SecretMissing, "[A149201] The request has no 'clientSecret'.");

    [Theory]
    [InlineData("other=abc")]
    [InlineData("ClientSecret=abc")]
    [InlineData("client_secret=abc")]
    public async Task update_with_a_form_without_client_secret_field_is_rejected_and_secret_unchanged(string form) =>
        await AssertFormUpdateRefusedAsync(form, HttpStatusCode.BadRequest, ResultCodes.SecretMissing);

    [Theory]
    [InlineData("""{"clientSecret":null}""")]
    [InlineData("""{"clientSecret":123}""")]
    [InlineData("""{"clientSecret":0}""")]
    [InlineData("""{"clientSecret":true}""")]
    [InlineData("""{"clientSecret":["abc"]}""")]
    [InlineData("""{"clientSecret":{"value":"abc"}}""")]
    public async Task update_with_client_secret_null_or_not_a_string_is_rejected_and_secret_unchanged(string json) =>
        await AssertJsonUpdateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.SecretNotString, "[A149202] 'clientSecret' must be a string.");

    [Fact]
    public async Task update_with_empty_secret_is_rejected_and_secret_unchanged() =>
        await AssertJsonUpdateRefusedAsync("""{"clientSecret":""}""", HttpStatusCode.BadRequest, ResultCodes.SecretEmpty, "[A149203] 'clientSecret' must not be empty.");

    [Fact]
    public async Task update_with_empty_form_field_is_rejected_and_secret_unchanged() =>
        await AssertFormUpdateRefusedAsync("clientSecret=", HttpStatusCode.BadRequest, ResultCodes.SecretEmpty);

    [Fact]
    public async Task update_with_87_characters_is_rejected_and_secret_unchanged() =>
        await AssertJsonUpdateRefusedAsync($$"""{"clientSecret":"{{new string('a', 87)}}"}""", HttpStatusCode.BadRequest, ResultCodes.SecretTooLong,
            "[A149204] 'clientSecret' is 87 characters long; the maximum is 86.");

    [Fact]
    public async Task update_with_87_characters_in_a_form_is_rejected_and_secret_unchanged() =>
        await AssertFormUpdateRefusedAsync("clientSecret=" + new string('b', 87), HttpStatusCode.BadRequest, ResultCodes.SecretTooLong,
            "[A149204] 'clientSecret' is 87 characters long; the maximum is 86.");

    [Fact]
    public async Task update_with_4000_characters_is_rejected_naming_the_length_and_secret_unchanged() =>
        await AssertJsonUpdateRefusedAsync($$"""{"clientSecret":"{{new string('c', 4000)}}"}""", HttpStatusCode.BadRequest, ResultCodes.SecretTooLong,
            "[A149204] 'clientSecret' is 4000 characters long; the maximum is 86.");

    [Fact]
    public async Task update_that_is_too_long_and_has_an_illegal_character_reports_the_length_first() =>
        await AssertJsonUpdateRefusedAsync($$"""{"clientSecret":"{{"+" + new string('a', 86)}}"}""", HttpStatusCode.BadRequest, ResultCodes.SecretTooLong);

    public static TheoryData<string, int> IllegalSecrets => new()
    {
        { " abc", 1 },
        { "abc ", 4 },
        { "a b", 2 },
        { "a+b", 2 },
        { "a/b", 2 },
        { "abc=", 4 },
        { "a.b", 2 },
        { "a~b", 2 },
        { "a!b", 2 },
        { "a\\\"b", 2 },
        { "a\\\\b", 2 },
        { "a\\tb", 2 },
        { "a\\nb", 2 },
        { "a\\u0000b", 2 },
        { "ab\u00FC", 3 },
        { "\u0410bc", 1 },
        { "\uFF21bc", 1 },
        { "ab\U0001F600", 3 },
        { new string('x', 85) + "%", 86 },
    };

    /// <summary>The JSON strings above are written as they appear inside the JSON text (escapes included).</summary>
    [Theory]
    [MemberData(nameof(IllegalSecrets))]
    public async Task update_with_an_illegal_character_is_rejected_naming_its_position_and_secret_unchanged(string jsonString, int position) =>
        await AssertJsonUpdateRefusedAsync($$"""{"clientSecret":"{{jsonString}}"}""", HttpStatusCode.BadRequest, ResultCodes.SecretIllegalCharacter,
            $"[A149205] 'clientSecret' has an illegal character at position {position} (1-based); allowed are A-Z, a-z, 0-9, '-' and '_'.");

    [Theory]
    [InlineData("clientSecret=a+b", 2)]
    [InlineData("clientSecret=a%2Bb", 2)]
    [InlineData("clientSecret=a%2Fb", 2)]
    [InlineData("clientSecret=ab%3D", 3)]
    [InlineData("clientSecret=%C3%BCbc", 1)]
    [InlineData("clientSecret=%FFbc", 1)]
    public async Task update_with_an_illegal_character_in_a_form_is_rejected_naming_its_position_and_secret_unchanged(string form, int position) =>
        await AssertFormUpdateRefusedAsync(form, HttpStatusCode.BadRequest, ResultCodes.SecretIllegalCharacter,
            $"[A149205] 'clientSecret' has an illegal character at position {position} (1-based); allowed are A-Z, a-z, 0-9, '-' and '_'.");

    [Fact]
    public async Task update_with_repeated_form_field_is_rejected_and_secret_unchanged() =>
        await AssertFormUpdateRefusedAsync("clientSecret=first&clientSecret=second", HttpStatusCode.BadRequest, ResultCodes.RepeatedFormField,
            "[A000216] The form field 'clientSecret' must be given once.");

    // ---- refusals: the body ------------------------------------------------------------------------

    [Fact]
    public async Task update_with_truncated_json_is_rejected_naming_the_position_and_secret_unchanged() =>
        await AssertJsonUpdateRefusedAsync("""{"clientSecret":""", HttpStatusCode.BadRequest, ResultCodes.MalformedJson,
            "[A000205] The request body is not well-formed JSON (line 1, byte 17).");

    [Theory]
    [InlineData("""{"clientSecret":"abc"} trailing""")]
    [InlineData("""{"clientSecret":"abc"}{}""")]
    [InlineData("""{'clientSecret':'abc'}""")]
    [InlineData("""{clientSecret:"abc"}""")]
    [InlineData("""{"clientSecret":"abc",}""")]
    [InlineData("""{"clientSecret":"abc"} // comment""")]
    [InlineData("""{"clientSecret":"abc""")]
    [InlineData("""{"clientSecret":"a\qb"}""")]
    [InlineData("clientSecret=abc")]
    public async Task update_with_malformed_json_is_rejected_and_secret_unchanged(string json) =>
        await AssertJsonUpdateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.MalformedJson);

    [Theory]
    [InlineData("""{"clientSecret":"first","clientSecret":"second"}""")]
    [InlineData("""{"clientSecret":"first","client\u0053ecret":"second"}""")]
    [InlineData("""{"clientSecret":"abc","nested":{"x":1,"x":2}}""")]
    public async Task update_with_duplicate_json_properties_is_rejected_as_malformed_and_secret_unchanged(string json) =>
        await AssertJsonUpdateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.MalformedJson);

    [Fact]
    public async Task update_with_json_nested_deeper_than_32_levels_is_rejected_as_malformed_and_secret_unchanged() =>
        await AssertJsonUpdateRefusedAsync("""{"clientSecret":"abc","deep":""" + new string('[', 64) + new string(']', 64) + "}",
            HttpStatusCode.BadRequest, ResultCodes.MalformedJson);

    [Fact]
    public async Task update_with_invalid_utf8_bytes_is_rejected_as_malformed_and_secret_unchanged()
    {
        byte[] body = [.. """{"clientSecret":"ab"""u8, 0xFF, 0xFE, .. "\"}"u8];
        await AssertUpdateRefusedAsync(Body(JsonType, body), HttpStatusCode.BadRequest, ResultCodes.MalformedJson,
            "[A000205] The request body is not well-formed JSON (line 1, byte 17).");
    }

    [Theory]
    [InlineData("""{"clientSecret":"\ud800"}""")]
    [InlineData("""{"clientSecret":"ab\udc00"}""")]
    [InlineData("""{"clientSecret":"abc","note":"\udfff\ud800"}""")]
    public async Task update_with_a_lone_surrogate_escape_is_rejected_as_malformed_and_secret_unchanged(string json) =>
        await AssertJsonUpdateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.MalformedJson);

    [Theory]
    [InlineData("[]")]
    [InlineData("""["abc"]""")]
    [InlineData("""[{"clientSecret":"abc"}]""")]
    [InlineData("\"abc\"")]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("null")]
    public async Task update_with_json_that_is_not_an_object_is_rejected_and_secret_unchanged(string json) =>
        await AssertJsonUpdateRefusedAsync(json, HttpStatusCode.BadRequest, ResultCodes.BodyNotObject, "[A000208] The request body must be a JSON object.");

    [Theory]
    [InlineData(null, null)]
    [InlineData(JsonType, "")]
    [InlineData(JsonType, " \r\n\t ")]
    [InlineData(FormType, "")]
    public async Task update_without_a_body_is_rejected_and_secret_unchanged(string? mediaType, string? body) =>
        await AssertUpdateRefusedAsync(Body(mediaType, body), HttpStatusCode.BadRequest, ResultCodes.MissingBody, "[A000209] The request body is missing.");

    [Theory]
    [InlineData("text/plain", "text/plain")]
    [InlineData("application/xml", "application/xml")]
    [InlineData("multipart/form-data; boundary=x", "multipart/form-data")]
    [InlineData("application/octet-stream", "application/octet-stream")]
    [InlineData(null, "(none)")]
    public async Task update_with_an_unsupported_content_type_is_rejected_with_415_and_secret_unchanged(string? mediaType, string named) =>
        await AssertUpdateRefusedAsync(Body(mediaType, """{"clientSecret":"abc"}"""), HttpStatusCode.UnsupportedMediaType, ResultCodes.UnsupportedContentType,
            $"[A000206] The content type '{named}' is not supported; use application/json or application/x-www-form-urlencoded.");

    /// <summary>A JSON body of exactly <paramref name="size"/> bytes whose secret is valid, padded with an ignored property.</summary>
    private static string PaddedBody(int size, string secret)
    {
        var head = $$"""{"clientSecret":"{{secret}}","pad":""";
        return head + "\"" + new string('p', size - head.Length - 3) + "\"}";
    }

    [Fact]
    public async Task update_with_a_body_of_exactly_64_kib_is_accepted()
    {
        var client = await Admin.CreateClientAsync();
        var body = PaddedBody(64 * 1024, "exactly-64KiB");
        Assert.Equal(65536, Encoding.UTF8.GetByteCount(body));

        var reply = await PostJsonAsync(client.SecretUpdatePath(), body);

        AssertOk(reply);
        Assert.Equal("exactly-64KiB", await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task update_with_a_body_one_byte_over_64_kib_is_rejected_with_413_and_secret_unchanged() =>
        await AssertJsonUpdateRefusedAsync(PaddedBody(64 * 1024 + 1, "over-64KiB"), HttpStatusCode.RequestEntityTooLarge, ResultCodes.BodyTooLarge,
            "[A000207] The request body exceeds 65536 bytes.");

    [Fact]
    public async Task update_with_a_chunked_body_over_64_kib_is_rejected_with_413_and_secret_unchanged()
    {
        var bytes = Encoding.UTF8.GetBytes(PaddedBody(70_000, "chunked-over"));
        var content = new StreamContent(new UnknownLengthStream(bytes));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(JsonType);
        Assert.Null(content.Headers.ContentLength);

        await AssertUpdateRefusedAsync(content, HttpStatusCode.RequestEntityTooLarge, ResultCodes.BodyTooLarge, "[A000207] The request body exceeds 65536 bytes.");
    }

    /// <summary>A stream that cannot tell its length, so that HttpClient sends it chunked (no Content-Length).</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    // ---- refusals: the target ----------------------------------------------------------------------

    [Fact]
    public async Task update_in_an_unknown_service_is_404_and_no_secret_changes()
    {
        var client = await Admin.CreateClientAsync();
        var unknownService = client.ServiceId == 999_999_999_999 ? 999_999_999_998 : 999_999_999_999;

        var reply = await PostJsonAsync($"/api/{unknownService}/client/secret/update/{client.ClientId}", """{"clientSecret":"nowhere"}""");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, unknownService);
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
    }

    [Theory]
    [InlineData("not-a-number")]
    [InlineData("99999999999999999999")]
    [InlineData("-1")]
    public async Task update_in_a_service_id_that_is_not_a_number_is_404(string serviceId)
    {
        var reply = await PostJsonAsync($"/api/{serviceId}/client/secret/update/123456789012", """{"clientSecret":"nowhere"}""");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, serviceId);
    }

    [Theory]
    [InlineData("123456789012")]
    [InlineData("no-such-alias")]
    public async Task update_of_an_unknown_client_is_404_and_no_secret_changes(string identifier)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await PostJsonAsync(client.SecretUpdatePath(identifier), """{"clientSecret":"nobody"}""");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ClientNotFound, identifier, client.ServiceId);
        Assert.Equal($"[A000211] The client '{identifier}' was not found in the service {client.ServiceId}.", reply.Str("resultMessage"));
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task update_of_a_deleted_client_is_404()
    {
        var client = await Admin.CreateClientAsync();
        AssertNoContent(await DeleteAsync(client.DeletePath()));

        var reply = await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"too-late"}""");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ClientNotFound, client.Id, client.ServiceId);
    }

    [Fact]
    public async Task a_valid_body_is_not_enough_when_the_secret_is_refused_even_for_an_unknown_client()
    {
        // Body rules come first: a broken body says why, whatever the path names.
        var reply = await PostJsonAsync("/api/123456789012/client/secret/update/123456789012", """{"clientSecret":""}""");

        AssertResult(reply, HttpStatusCode.BadRequest, ResultCodes.SecretEmpty);
    }

    // ---- refresh -----------------------------------------------------------------------------------

    [Fact]
    public async Task refresh_replaces_the_secret_with_a_generated_86_character_base64url_secret()
    {
        var client = await Admin.CreateClientAsync();

        var reply = await GetAsync(client.SecretRefreshPath());

        AssertOk(reply);
        AssertProperties(reply, "resultCode", "resultMessage", "newClientSecret", "oldClientSecret");
        Assert.Equal("A148001", reply.Str("resultCode"));
        Assert.Equal($"[A148001] Successfully refreshed the client secret of the client (ID = {client.ClientId}).", reply.Str("resultMessage"));
        var fresh = reply.Str("newClientSecret");
        JsonWire.AssertGeneratedSecret(fresh);
        Assert.NotEqual(client.Secret, fresh);
        Assert.Equal(client.Secret, reply.Str("oldClientSecret"));
        Assert.Equal(fresh, await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task refresh_through_the_alias_refreshes_that_client()
    {
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"refresh~me"}""");

        var reply = await GetAsync(client.SecretRefreshPath("refresh~me"));

        AssertOk(reply);
        Assert.Equal($"[A148001] Successfully refreshed the client secret of the client (ID = {client.ClientId}).", reply.Str("resultMessage"));
        Assert.Equal(reply.Str("newClientSecret"), await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task refreshes_in_a_row_give_distinct_secrets_that_chain()
    {
        var client = await Admin.CreateClientAsync();
        var seen = new HashSet<string>(StringComparer.Ordinal) { client.Secret };
        var previous = client.Secret;

        for (var i = 0; i < 5; i++)
        {
            var reply = await GetAsync(client.SecretRefreshPath());
            AssertOk(reply);
            Assert.Equal(previous, reply.Str("oldClientSecret"));
            previous = reply.Str("newClientSecret");
            JsonWire.AssertGeneratedSecret(previous);
            Assert.True(seen.Add(previous), "A refresh repeated a secret.");
        }

        Assert.Equal(previous, await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task refresh_after_update_reports_the_chosen_secret_as_old()
    {
        var client = await Admin.CreateClientAsync();
        AssertOk(await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"chosen-one"}"""));

        var reply = await GetAsync(client.SecretRefreshPath());

        Assert.Equal("chosen-one", reply.Str("oldClientSecret"));
    }

    [Theory]
    [InlineData("123456789012")]
    [InlineData("no-such-alias")]
    public async Task refresh_of_an_unknown_client_is_404_and_no_secret_changes(string identifier)
    {
        var client = await Admin.CreateClientAsync();

        var reply = await GetAsync(client.SecretRefreshPath(identifier));

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ClientNotFound, identifier, client.ServiceId);
        Assert.Equal(client.Secret, await Admin.CurrentSecretAsync(client));
    }

    [Fact]
    public async Task refresh_in_an_unknown_service_is_404()
    {
        var reply = await GetAsync("/api/999999999999/client/secret/refresh/123456789012");

        AssertResult(reply, HttpStatusCode.NotFound, ResultCodes.ServiceNotFound, "999999999999");
    }

    // ---- locked clients ----------------------------------------------------------------------------

    [Fact]
    public async Task locked_client_secret_can_still_be_updated_and_refreshed_and_it_stays_locked()
    {
        var client = await Admin.CreateClientAsync();
        AssertOk(await PostJsonAsync(client.LockPath(), """{"clientLocked":true}"""));

        var updated = await PostJsonAsync(client.SecretUpdatePath(), """{"clientSecret":"while-locked"}""");
        AssertOk(updated);
        Assert.Equal(client.Secret, updated.Str("oldClientSecret"));
        var refreshed = await GetAsync(client.SecretRefreshPath());
        AssertOk(refreshed);
        Assert.Equal("while-locked", refreshed.Str("oldClientSecret"));

        var after = await GetAsync(client.GetPath());
        Assert.Equal(refreshed.Str("newClientSecret"), after.Str("clientSecret"));
        Assert.True(after.Bool("locked"));
    }

    // ---- concurrency -------------------------------------------------------------------------------

    [Fact]
    public async Task concurrent_updates_of_one_client_form_a_single_chain()
    {
        const int callers = 16;
        const int updatesPerCaller = 13;
        var client = await Admin.CreateClientAsync(json: """{"clientIdAlias":"contended"}""");
        var pairs = new ConcurrentQueue<(string Old, string New)>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var workers = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            using var http = Host.CreateAdminClient();
            await go.Task;
            for (var i = 0; i < updatesPerCaller; i++)
            {
                var secret = $"c{caller:D2}-u{i:D2}-{Guid.NewGuid():N}";
                var identifier = caller % 2 == 0 ? client.Id : "contended";
                var reply = await http.SendForReplyAsync(HttpMethod.Post, client.SecretUpdatePath(identifier), Body(JsonType, $$"""{"clientSecret":"{{secret}}"}"""));
                AssertOk(reply);
                Assert.Equal(secret, reply.Str("newClientSecret"));
                pairs.Enqueue((reply.Str("oldClientSecret"), secret));
            }
        })).ToList();
        go.SetResult();
        await Task.WhenAll(workers);

        var all = pairs.ToList();
        Assert.Equal(callers * updatesPerCaller, all.Count);
        Assert.True(all.Select(p => p.New).Distinct().Count() == all.Count, "Two updates returned the same new secret.");
        // Two updates that saw the same old secret are a fork: one of them was lost.
        var forks = all.GroupBy(p => p.Old).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(forks.Count == 0, $"{forks.Count} old secrets were replaced more than once (lost updates).");
        var news = all.Select(p => p.New).ToHashSet(StringComparer.Ordinal);
        Assert.All(all, p => Assert.True(p.Old == client.Secret || news.Contains(p.Old), $"Old secret '{p.Old}' was never a new secret."));

        var next = all.ToDictionary(p => p.Old, p => p.New, StringComparer.Ordinal);
        var current = client.Secret;
        var length = 0;
        while (next.TryGetValue(current, out var following))
        {
            current = following;
            Assert.True(++length <= all.Count, "The pairs form a cycle.");
        }

        Assert.Equal(all.Count, length);
        Assert.Equal(current, await Admin.CurrentSecretAsync(client));
    }

    // ---- secrets stay out of logs ------------------------------------------------------------------

    [Fact]
    public async Task secrets_sent_returned_or_refused_never_reach_the_log()
    {
        var client = await Admin.CreateClientAsync();
        const string chosen = "log-probe-Secret-0xC0FFEE";
        const string tooLong = "log-probe-too-long-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        const string illegal = "log-probe illegal+char";
        AssertOk(await PostJsonAsync(client.SecretUpdatePath(), $$"""{"clientSecret":"{{chosen}}"}"""));
        var refreshed = (await GetAsync(client.SecretRefreshPath())).Str("newClientSecret");
        await PostJsonAsync(client.SecretUpdatePath(), $$"""{"clientSecret":"{{tooLong}}"}""");
        await PostJsonAsync(client.SecretUpdatePath(), $$"""{"clientSecret":"{{illegal}}"}""");
        await PostJsonAsync(client.SecretUpdatePath(), $$"""{"clientSecret":"{{chosen}}" """);

        var lines = Host.Logs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains(client.Id, StringComparison.Ordinal));
        foreach (var secret in new[] { client.Secret, chosen, refreshed, tooLong, illegal })
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }
}
